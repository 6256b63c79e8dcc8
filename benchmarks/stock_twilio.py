"""Rasa's built-in ``twilio`` channel, unchanged but for its REST base URL (the emulator).

Only used by ``benchmarks/twilio_bench.py`` as the baseline: Twilio's API cannot be reached
from the benchmark machine, so the stock channel's client is pointed at the local emulator.
"""

from __future__ import annotations

import os

from rasa.core.channels.channel import OutputChannel
from rasa.core.channels.twilio import TwilioInput, TwilioOutput


class StockTwilioAgainstEmulator(TwilioInput):
    def get_output_channel(self) -> OutputChannel:
        output = TwilioOutput(self.account_sid, self.auth_token, self.twilio_number)
        output.api.base_url = os.environ["HOTLINE_TWILIO_API_URL"]
        return output
