"""Dialogue-level extension points for Rasa: the safety policy and the response generator."""
