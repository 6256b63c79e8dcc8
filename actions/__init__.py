"""Rasa SDK actions: what the bot does at each step of the conversation design.

One module per flow (``emergency``, ``handoff``, ``situation``, ``screening``, ``rights``,
``community``, ``delete_data``, ``fallback``, ``small_talk``, ``language``) plus ``context``, which
runs before every turn. Text never lives here: actions name responses from ``translations/``.
"""
