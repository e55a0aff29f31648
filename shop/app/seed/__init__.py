"""Seed data for the Bottega catalogue: hand-curated shop data and a scale-test generator."""
