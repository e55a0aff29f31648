"""Bottega's own Rasa graph components (NLU and dialogue) and the text analysis they share."""
