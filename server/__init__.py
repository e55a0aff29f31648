"""How Bottega runs Rasa: the stock server with start-up made fast (`python -m server run ...`)."""
