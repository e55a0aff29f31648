"""`make bench`: the stock Rasa bot and Bottega over the REST channel, one run, the same machine."""
