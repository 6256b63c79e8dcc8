"""Who is asking, for limits on what outsiders may do: the socket's peer, or, behind a reverse proxy,
the header the proxy sets (``HOTLINE_CLIENT_ADDRESS_HEADER``; the proxy must overwrite it, or any
client could name itself). Used in memory only, never stored or logged."""

from __future__ import annotations

from typing import Mapping, Optional


def client_address(headers: Mapping[str, str], peer: Optional[str], header: Optional[str]) -> str:
    address = (headers.get(header, "") if header else "") or peer or "unknown"
    return address.split(",")[0].strip()
