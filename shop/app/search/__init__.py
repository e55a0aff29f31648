"""Catalogue search: an in-memory index per process, kept fresh by polling the database for changes."""
