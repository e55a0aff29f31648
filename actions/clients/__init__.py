"""Clients for the services the actions talk to: one module per outside service."""
