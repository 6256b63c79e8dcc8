"""Custom Rasa NLU components: keyword commands, language identification, indicators and danger.

Their outputs become part of Rasa's parse result (``language``, ``indicators``, ``danger``), so
actions, policies, ``hotline classify`` and the evaluation all read the same values.
"""
