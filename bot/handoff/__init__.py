"""Handing a conversation to a human counselor, in one place.

* ``escalation``: the one way a conversation asks for a counselor (its priority, its summary);
* ``queue``: the queue's states (:class:`~bot.handoff.queue.QueueState`) and moves, places and
  real waits, the one clock of place-and-wait notices;
* ``notices``: what the line tells people waiting, and when (the bot's action at the handoff and
  the console's sweeper word it the same way);
* ``case_notes``: counselors' internal notes on an escalation (sealed).
"""
