"""A small client for the shop's HTTP API, as tests use it."""

from __future__ import annotations

from typing import Any

import requests


class Api:
    """Calls as the assistant does (its token), and /admin as an operator does (the admin token)."""

    def __init__(self, base_url: str, token: str | None, admin_token: str | None = None) -> None:
        self.base_url = base_url
        self.http = requests.Session()
        self.admin_token = admin_token
        if token is not None:
            self.http.headers["Authorization"] = f"Bearer {token}"

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *_: object) -> None:
        self.http.close()

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        if self.admin_token is not None and path.startswith("/admin/"):
            kwargs["headers"] = {"Authorization": f"Bearer {self.admin_token}", **(kwargs.get("headers") or {})}
        return self.http.request(method, self.base_url + path, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    # -- shortcuts for the common arrangements -------------------------------------------------

    def add(self, customer: str, sku: str, quantity: int = 1, **choice: str) -> requests.Response:
        return self.post(f"/customers/{customer}/cart/items", json={"sku": sku, "quantity": quantity, **choice})

    def checkout(self, customer: str, key: str, **overrides: Any) -> requests.Response:
        body = {"customer_id": customer, "shipping_address": "Via Roma 1, 20121 Milano, Italy",
                "delivery_option": "standard", "payment_method": "card", **overrides}
        return self.post("/orders", json=body, headers={"Idempotency-Key": key})
