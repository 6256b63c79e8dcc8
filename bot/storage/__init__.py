"""Storage: the project's own tables (SQLAlchemy + Alembic) and Rasa's tracker store.

``db`` makes engines and sessions and applies migrations; ``models`` declares the tables;
``tracker_store`` is the Rasa tracker store that honours erasure requests.
"""

# Slot whose being set asks the tracker store to erase the conversation (see tracker_store).
ERASURE_SLOT = "conversation_erased"
# The table Rasa's SQL tracker store keeps its events in, on the project's database.
TRACKER_EVENTS_TABLE = "events"
