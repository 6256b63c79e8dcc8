"""Rasa input/output channels: they translate between the outside world and Rasa.

Today the assistant is reached through Rasa's built-in REST channel (``credentials.yml``), which
``hotline chat`` and the tests use. The Twilio SMS/WhatsApp channel and the web chat live here
next; they will key conversations by an HMAC of the address and pass the jurisdiction of the
receiving number in the message metadata, which ``actions/context.py`` already reads.
"""
