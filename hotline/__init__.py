"""The ``hotline`` command line: set-up, the servers, accounts, classify and eval (``hotline.cli``)."""
