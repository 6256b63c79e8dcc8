"""The handoff summary as a counselor reads it: what set off danger, in the person's words, and
what the bot already told them, in words (``console/texts.yml``) rather than response names."""

from __future__ import annotations

from typing import Any, Dict

from console.texts import bot_said


def summary_view(summary: Dict[str, Any]) -> Dict[str, Any]:
    """The stored summary (``bot.handoff.escalation.HandoffSummary``), ready for the templates."""
    view = dict(summary)
    view["bot_said"] = [bot_said(key) for key in summary.get("bot_told") or []]
    view["danger_moments"] = [
        {
            "text": moment.get("text") or "",
            "words": [word for word in moment.get("words") or [] if word],
            "danger": bool(moment.get("danger")),
        }
        for moment in summary.get("danger_moments") or []
    ]
    return view
