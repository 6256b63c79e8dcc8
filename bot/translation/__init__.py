"""Offline machine translation with argostranslate (CTranslate2 models an operator installs).

* :mod:`bot.translation.packages`: where ``.argosmodel`` packages live, what one must hold, which
  pairs are installed (read from their metadata, without loading a model).
* :mod:`bot.translation.engine`: the models loaded once per process, translations run off the event
  loop in a worker, one call at a time per pair, with a time limit; never raises to its caller.
* :mod:`bot.translation.quality`: output the line refuses (one word repeated, numbers lost).
* :mod:`bot.translation.sentences`: the sentence split used instead of argostranslate's own
  (which downloads a model on first use).
* :mod:`bot.translation.marking`: "(machine translated)" in the reader's language.

Nothing here downloads anything, ever; nothing leaves the server.
"""
