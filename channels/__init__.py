"""Rasa input/output channels of our own, one module per channel."""
