"""Core library of the help-line assistant: language, safety, knowledge, storage, escalation.

Channels (``channels/``) and Rasa SDK actions (``actions/``) both build on this package; nothing
here imports Rasa's server at import time, so every module can be used and tested on its own.
"""
