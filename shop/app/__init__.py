"""Bottega's shop service: catalog, carts, orders, payments, returns and care, over HTTP."""
