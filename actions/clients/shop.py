"""Client for the Bottega shop service: the only code in the actions that talks to it.

Every call carries the bearer token, has explicit (connect, read) timeouts, checks the
status and returns typed results. Failures surface as `ShopError` subclasses so that
actions can tell the shopper something useful instead of crashing. The `a*` methods
run the blocking call in a worker thread so the action server's event loop never
waits on the network.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import re
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import quote

import requests
import requests.adapters

from actions.clients.shop_care import Consent, Promotion, Store, Ticket
from actions.clients.shop_orders import (
    DeliveryOptions,
    Order,
    OrderCreated,
    OrderSummary,
    PaymentMethod,
    Refund,
    ReturnCreated,
)

logger = logging.getLogger(__name__)

DEFAULT_SHOP_URL = "http://127.0.0.1:8100"
DEFAULT_TIMEOUT_SECONDS = 5.0
DEFAULT_CONCURRENCY = 32
MAX_CONCURRENCY = 256
# A local or in-cluster shop accepts a connection in milliseconds; waiting the full
# read timeout for a dead host would only make the shopper wait longer.
MAX_CONNECT_TIMEOUT_SECONDS = 3.0

T = TypeVar("T")

_CUSTOMER_SEGMENT = re.compile(r"^(/customers/)[^/]+")


# --- errors -------------------------------------------------------------------------


class ShopError(Exception):
    """Anything that went wrong while talking to the shop."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        detail: Any = None,
        facts: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.detail = detail
        # The other fields of the shop's error body, e.g. {"sku": ...} or {"deadline": ...}.
        self.facts: dict[str, Any] = dict(facts or {})

    @property
    def detail_text(self) -> str:
        """The shop's detail as one readable string (FastAPI may send a list)."""
        if isinstance(self.detail, str):
            return self.detail
        if isinstance(self.detail, list):
            parts = [str(item.get("msg", item)) if isinstance(item, dict) else str(item) for item in self.detail]
            return "; ".join(parts)
        return "" if self.detail is None else str(self.detail)


class ShopConfigurationError(ShopError):
    """The action server is not configured to reach the shop (e.g. no token)."""


class ShopUnavailable(ShopError):
    """The shop could not be reached, timed out or failed on its side (5xx)."""


class ShopNotFound(ShopError):
    """The shop has no such resource (404): unknown product, cart line, ..."""


class ShopConflict(ShopError):
    """The shop refused because of its current state (409), e.g. out of stock."""


class ShopRejected(ShopError):
    """The shop rejected the request (any other 4xx); `code` says why when it can."""


# --- typed results ------------------------------------------------------------------


def _money(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


@dataclass(frozen=True)
class ProductSummary:
    """One product as listed by a search."""

    sku: str
    name: str
    department: str
    brand: str
    price: Decimal
    currency: str
    colors: list[str]
    sizes: list[str]
    in_stock: bool
    image_url: str | None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ProductSummary:
        return cls(
            sku=str(data["sku"]),
            name=str(data["name"]),
            department=str(data.get("department") or ""),
            brand=str(data.get("brand") or ""),
            price=_money(data["price"]),
            currency=str(data.get("currency") or ""),
            colors=[str(c) for c in data.get("colors") or []],
            sizes=[str(s) for s in data.get("sizes") or []],
            in_stock=bool(data.get("in_stock", False)),
            image_url=data.get("image_url"),
        )


@dataclass(frozen=True)
class ProductPage:
    """A page of search results and the total number of matches."""

    items: list[ProductSummary]
    total: int
    # No product has every word searched for: these have the most ("bin bags" → tea bags, bins).
    partial: bool = False
    # The word the shop read as the kind of product sought ("earbuds"): every item is of that kind.
    kind: str | None = None
    # The shop sells nothing of that kind ("socks"), so it returned nothing of another kind either.
    kind_missing: bool = False

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ProductPage:
        search = data.get("search")
        if not isinstance(search, Mapping):
            search = {}
        kind = search.get("kind")
        return cls(
            items=[ProductSummary.from_json(item) for item in data["items"]],
            total=int(data["total"]),
            partial=bool(search.get("partial")),
            kind=str(kind) if kind else None,
            kind_missing=bool(search.get("kind_missing")),
        )


@dataclass(frozen=True)
class Variant:
    """One size/colour combination of a product and its stock."""

    size: str | None
    color: str | None
    stock: int

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Variant:
        return cls(
            size=None if data.get("size") is None else str(data["size"]),
            color=None if data.get("color") is None else str(data["color"]),
            stock=int(data.get("stock") or 0),
        )


@dataclass(frozen=True)
class ProductDetails(ProductSummary):
    """A product with its description and variants."""

    description: str = ""
    category: str = ""
    variants: list[Variant] = field(default_factory=list)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ProductDetails:
        summary = ProductSummary.from_json(data)
        return cls(
            **summary.__dict__,
            description=str(data.get("description") or ""),
            category=str(data.get("category") or ""),
            variants=[Variant.from_json(v) for v in data.get("variants") or []],
        )


@dataclass(frozen=True)
class Department:
    slug: str
    name: str
    product_count: int

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Department:
        return cls(
            slug=str(data["slug"]),
            name=str(data["name"]),
            product_count=int(data.get("product_count") or 0),
        )


@dataclass(frozen=True)
class CartLine:
    line_id: str
    sku: str
    name: str
    size: str | None
    color: str | None
    quantity: int
    unit_price: Decimal
    line_total: Decimal
    image_url: str | None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CartLine:
        return cls(
            line_id=str(data["line_id"]),
            sku=str(data["sku"]),
            name=str(data["name"]),
            size=None if data.get("size") is None else str(data["size"]),
            color=None if data.get("color") is None else str(data["color"]),
            quantity=int(data["quantity"]),
            unit_price=_money(data["unit_price"]),
            line_total=_money(data["line_total"]),
            image_url=data.get("image_url"),
        )


@dataclass(frozen=True)
class Cart:
    customer_id: str
    items: list[CartLine]
    total: Decimal
    currency: str
    item_count: int

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Cart:
        return cls(
            customer_id=str(data["customer_id"]),
            items=[CartLine.from_json(line) for line in data["items"]],
            total=_money(data["total"]),
            currency=str(data.get("currency") or ""),
            item_count=int(data.get("item_count", 0)),
        )


@dataclass(frozen=True)
class ProductQuery:
    """Filters for `GET /products`; `None` means "don't filter on this"."""

    q: str | None = None
    department: str | None = None
    brand: str | None = None
    color: str | None = None
    size: str | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    in_stock: bool | None = None
    limit: int = 5
    offset: int = 0

    def to_params(self) -> dict[str, str]:
        params: dict[str, str] = {}
        for name, value in self.__dict__.items():
            if value is None or value == "":
                continue
            params[name] = str(value).lower() if isinstance(value, bool) else str(value)
        return params


# --- settings -----------------------------------------------------------------------


@dataclass(frozen=True)
class ShopSettings:
    base_url: str
    token: str
    connect_timeout: float
    read_timeout: float
    # Calls to the shop at once (threads and pooled connections): asyncio's default pool has
    # cores + 4 threads, so with 20 shoppers on a 2-core machine 14 waited for a thread while the
    # shop was idle, and a slow shop stalled every shopper.
    concurrency: int = DEFAULT_CONCURRENCY

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ShopSettings:
        """Read SHOP_URL, SHOP_API_TOKEN and SHOP_TIMEOUT_SECONDS; the token has no default."""
        env = os.environ if environ is None else environ
        token = env.get("SHOP_API_TOKEN", "").strip()
        if not token:
            raise ShopConfigurationError(
                "SHOP_API_TOKEN is not set: the action server needs the shop's API "
                "token in its environment to call the shop."
            )
        raw_timeout = env.get("SHOP_TIMEOUT_SECONDS", "").strip()
        try:
            timeout = float(raw_timeout) if raw_timeout else DEFAULT_TIMEOUT_SECONDS
        except ValueError:
            raise ShopConfigurationError(
                f"SHOP_TIMEOUT_SECONDS must be a number of seconds, got {raw_timeout!r}."
            ) from None
        if timeout <= 0:
            raise ShopConfigurationError("SHOP_TIMEOUT_SECONDS must be positive.")
        raw_concurrency = env.get("SHOP_CLIENT_CONCURRENCY", "").strip()
        try:
            concurrency = int(raw_concurrency) if raw_concurrency else DEFAULT_CONCURRENCY
        except ValueError:
            concurrency = 0
        if not 1 <= concurrency <= MAX_CONCURRENCY:
            raise ShopConfigurationError(
                f"SHOP_CLIENT_CONCURRENCY must be a whole number from 1 to {MAX_CONCURRENCY}, got {raw_concurrency!r}."
            )
        base_url = (env.get("SHOP_URL", "").strip() or DEFAULT_SHOP_URL).rstrip("/")
        return cls(
            base_url=base_url,
            token=token,
            connect_timeout=min(timeout, MAX_CONNECT_TIMEOUT_SECONDS),
            read_timeout=timeout,
            concurrency=concurrency,
        )


# --- the client ---------------------------------------------------------------------


class ShopClient:
    """Blocking client of the shop API, with async (`a*`) twins for use in actions."""

    def __init__(self, settings: ShopSettings, session: requests.Session | None = None) -> None:
        self._settings = settings
        self._session = session or requests.Session()
        # As many kept-alive connections as calls at once (requests keeps 10 and opens the rest anew).
        adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=settings.concurrency)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        self._session.headers.update({"Authorization": f"Bearer {settings.token}", "Accept": "application/json"})
        self._threads = ThreadPoolExecutor(max_workers=settings.concurrency, thread_name_prefix="shop-client")

    async def _off_loop(self, call: Callable[..., T], *args: Any) -> T:
        """Runs a blocking call on the client's own threads, never on the event loop."""
        return await asyncio.get_running_loop().run_in_executor(self._threads, functools.partial(call, *args))

    @property
    def base_url(self) -> str:
        return self._settings.base_url

    def close(self) -> None:
        self._threads.shutdown(wait=False)
        self._session.close()

    # catalog

    def search_products(self, query: ProductQuery) -> ProductPage:
        data = self._request("GET", "/products", params=query.to_params())
        return self._parse(ProductPage.from_json, data)

    def get_product(self, sku: str) -> ProductDetails:
        data = self._request("GET", f"/products/{_segment(sku)}")
        return self._parse(ProductDetails.from_json, data)

    def list_departments(self) -> list[Department]:
        data = self._request("GET", "/departments")
        return self._parse(lambda d: [Department.from_json(item) for item in d["items"]], data)

    # cart

    def get_cart(self, customer_id: str) -> Cart:
        data = self._request("GET", f"/customers/{_segment(customer_id)}/cart")
        return self._parse(Cart.from_json, data)

    def add_to_cart(
        self,
        customer_id: str,
        sku: str,
        quantity: int = 1,
        size: str | None = None,
        color: str | None = None,
    ) -> Cart:
        body: dict[str, Any] = {"sku": sku, "quantity": quantity}
        if size is not None:
            body["size"] = size
        if color is not None:
            body["color"] = color
        data = self._request("POST", f"/customers/{_segment(customer_id)}/cart/items", json=body)
        return self._parse(Cart.from_json, data)

    def set_cart_line_quantity(self, customer_id: str, line_id: str, quantity: int) -> Cart:
        """PATCH a line to `quantity` (409 `out_of_stock` with `available` when the shop has fewer)."""
        data = self._request(
            "PATCH",
            f"/customers/{_segment(customer_id)}/cart/items/{_segment(line_id)}",
            json={"quantity": quantity},
        )
        return self._parse(Cart.from_json, data)

    def remove_cart_line(self, customer_id: str, line_id: str) -> Cart:
        data = self._request(
            "DELETE",
            f"/customers/{_segment(customer_id)}/cart/items/{_segment(line_id)}",
        )
        return self._parse(Cart.from_json, data)

    # checkout, orders, returns, refunds

    def delivery_options(self) -> DeliveryOptions:
        data = self._request("GET", "/delivery-options")
        return self._parse(DeliveryOptions.from_json, data)

    def payment_methods(self) -> list[PaymentMethod]:
        data = self._request("GET", "/payment-methods")
        return self._parse(lambda d: [PaymentMethod.from_json(item) for item in d["items"]], data)

    def place_order(
        self,
        customer_id: str,
        idempotency_key: str,
        shipping_address: str,
        delivery_option: str,
        payment_method: str,
        promo_code: str | None = None,
    ) -> OrderCreated:
        """POST /orders. The same key always answers the same order, so a retried or replayed
        checkout never charges twice; the shop says so with `Idempotent-Replayed: true`."""
        body: dict[str, Any] = {
            "customer_id": customer_id,
            "shipping_address": shipping_address,
            "delivery_option": delivery_option,
            "payment_method": payment_method,
        }
        if promo_code:
            body["promo_code"] = promo_code
        data, headers = self._exchange("POST", "/orders", json=body, headers={"Idempotency-Key": idempotency_key})
        replayed = str(headers.get("Idempotent-Replayed", "")).lower() == "true"
        return self._parse(lambda d: OrderCreated.from_json(d, replayed=replayed), data)

    def list_orders(self, customer_id: str, limit: int = 5) -> list[OrderSummary]:
        data = self._request("GET", f"/customers/{_segment(customer_id)}/orders", params={"limit": str(limit)})
        return self._parse(lambda d: [OrderSummary.from_json(item) for item in d["items"]], data)

    def get_order(self, customer_id: str, order_id: str) -> Order:
        """The order if it is this customer's; ShopNotFound for anyone else's, as for a missing one."""
        data = self._request("GET", f"/orders/{_segment(order_id)}", params={"customer_id": customer_id})
        return self._parse(Order.from_json, data)

    def cancel_order(self, customer_id: str, order_id: str, reason: str | None = None) -> Order:
        body: dict[str, Any] = {"customer_id": customer_id}
        if reason:
            body["reason"] = reason
        data = self._request("POST", f"/orders/{_segment(order_id)}/cancel", json=body)
        return self._parse(Order.from_json, data)

    def change_order(
        self,
        customer_id: str,
        order_id: str,
        shipping_address: str | None = None,
        delivery_option: str | None = None,
    ) -> Order:
        body: dict[str, Any] = {"customer_id": customer_id}
        if shipping_address is not None:
            body["shipping_address"] = shipping_address
        if delivery_option is not None:
            body["delivery_option"] = delivery_option
        data = self._request("PATCH", f"/orders/{_segment(order_id)}", json=body)
        return self._parse(Order.from_json, data)

    def request_return(
        self,
        customer_id: str,
        order_id: str,
        reason: str,
        lines: Sequence[tuple[str, int]] = (),
    ) -> ReturnCreated:
        """Return (line_id, quantity) pairs of a delivered order; no lines means all of it."""
        body: dict[str, Any] = {
            "customer_id": customer_id,
            "reason": reason,
            "lines": [{"line_id": int(line_id), "quantity": quantity} for line_id, quantity in lines],
        }
        data = self._request("POST", f"/orders/{_segment(order_id)}/returns", json=body)
        return self._parse(ReturnCreated.from_json, data)

    def list_refunds(self, customer_id: str) -> list[Refund]:
        data = self._request("GET", f"/customers/{_segment(customer_id)}/refunds")
        return self._parse(lambda d: [Refund.from_json(item) for item in d["items"]], data)

    # care: stores, promotions, consents, tickets, erasure

    def find_stores(
        self,
        city: str | None = None,
        lat: float | None = None,
        lon: float | None = None,
        limit: int = 3,
    ) -> list[Store]:
        """A city's stores, or the nearest to (lat, lon) with `distance_km`, or the first `limit`."""
        params: dict[str, str] = {"limit": str(limit)}
        if city:
            params["city"] = city
        if lat is not None and lon is not None:
            params["lat"], params["lon"] = str(lat), str(lon)
        data = self._request("GET", "/stores", params=params)
        return self._parse(lambda d: [Store.from_json(item) for item in d["items"]], data)

    def list_promotions(self) -> list[Promotion]:
        data = self._request("GET", "/promotions")
        return self._parse(lambda d: [Promotion.from_json(item) for item in d["items"]], data)

    def record_consent(self, customer_id: str, channel: str, topic: str, granted: bool) -> list[Consent]:
        """Record a consent (or its withdrawal); returns the consents now in force."""
        body = {"channel": channel, "topic": topic, "granted": granted}
        data = self._request("POST", f"/customers/{_segment(customer_id)}/consents", json=body)
        return self._parse(lambda d: [Consent.from_json(item) for item in d["items"]], data)

    def list_consents(self, customer_id: str) -> list[Consent]:
        data = self._request("GET", f"/customers/{_segment(customer_id)}/consents")
        return self._parse(lambda d: [Consent.from_json(item) for item in d["items"]], data)

    def open_ticket(
        self,
        customer_id: str,
        kind: str,
        subject: str,
        body: str = "",
        order_id: str | None = None,
    ) -> Ticket:
        """A ticket for the team (complaint, handoff, payment_issue, question) with its TK- reference."""
        payload: dict[str, Any] = {"customer_id": customer_id, "kind": kind, "subject": subject, "body": body}
        if order_id:
            payload["order_id"] = order_id
        data = self._request("POST", "/tickets", json=payload)
        return self._parse(Ticket.from_json, data)

    def get_ticket(self, customer_id: str, ticket_id: str) -> Ticket:
        data = self._request("GET", f"/tickets/{_segment(ticket_id)}", params={"customer_id": customer_id})
        return self._parse(Ticket.from_json, data)

    def record_feedback(self, customer_id: str, rating: str | None, topic: str | None, comment: str = "") -> None:
        """A rating of a care answer ("good"/"bad", with its topic) and/or the shopper's words."""
        body = {"customer_id": customer_id, "rating": rating, "topic": topic, "comment": comment}
        self._request("POST", "/feedback", json=body)

    def close_ticket(self, customer_id: str, ticket_id: str) -> None:
        """The customer's ticket is done with (a hand-off ends when the bot resumes)."""
        self._request("POST", f"/tickets/{_segment(ticket_id)}/close", params={"customer_id": customer_id})

    def erase_customer(self, customer_id: str) -> bool:
        """Right to erasure: the shop deletes the customer's carts, orders, consents and tickets."""
        data = self._request("DELETE", f"/customers/{_segment(customer_id)}")
        return self._parse(lambda d: bool(d["erased"]), data)

    # async twins: the blocking call runs in a worker thread

    async def asearch_products(self, query: ProductQuery) -> ProductPage:
        return await self._off_loop(self.search_products, query)

    async def aget_product(self, sku: str) -> ProductDetails:
        return await self._off_loop(self.get_product, sku)

    async def alist_departments(self) -> list[Department]:
        return await self._off_loop(self.list_departments)

    async def aget_cart(self, customer_id: str) -> Cart:
        return await self._off_loop(self.get_cart, customer_id)

    async def aadd_to_cart(
        self,
        customer_id: str,
        sku: str,
        quantity: int = 1,
        size: str | None = None,
        color: str | None = None,
    ) -> Cart:
        return await self._off_loop(self.add_to_cart, customer_id, sku, quantity, size, color)

    async def aset_cart_line_quantity(self, customer_id: str, line_id: str, quantity: int) -> Cart:
        return await self._off_loop(self.set_cart_line_quantity, customer_id, line_id, quantity)

    async def aremove_cart_line(self, customer_id: str, line_id: str) -> Cart:
        return await self._off_loop(self.remove_cart_line, customer_id, line_id)

    async def adelivery_options(self) -> DeliveryOptions:
        return await self._off_loop(self.delivery_options)

    async def apayment_methods(self) -> list[PaymentMethod]:
        return await self._off_loop(self.payment_methods)

    async def aplace_order(
        self,
        customer_id: str,
        idempotency_key: str,
        shipping_address: str,
        delivery_option: str,
        payment_method: str,
        promo_code: str | None = None,
    ) -> OrderCreated:
        return await self._off_loop(
            self.place_order,
            customer_id,
            idempotency_key,
            shipping_address,
            delivery_option,
            payment_method,
            promo_code,
        )

    async def alist_orders(self, customer_id: str, limit: int = 5) -> list[OrderSummary]:
        return await self._off_loop(self.list_orders, customer_id, limit)

    async def aget_order(self, customer_id: str, order_id: str) -> Order:
        return await self._off_loop(self.get_order, customer_id, order_id)

    async def acancel_order(self, customer_id: str, order_id: str, reason: str | None = None) -> Order:
        return await self._off_loop(self.cancel_order, customer_id, order_id, reason)

    async def achange_order(
        self,
        customer_id: str,
        order_id: str,
        shipping_address: str | None = None,
        delivery_option: str | None = None,
    ) -> Order:
        return await self._off_loop(self.change_order, customer_id, order_id, shipping_address, delivery_option)

    async def arequest_return(
        self,
        customer_id: str,
        order_id: str,
        reason: str,
        lines: Sequence[tuple[str, int]] = (),
    ) -> ReturnCreated:
        return await self._off_loop(self.request_return, customer_id, order_id, reason, lines)

    async def alist_refunds(self, customer_id: str) -> list[Refund]:
        return await self._off_loop(self.list_refunds, customer_id)

    async def afind_stores(
        self,
        city: str | None = None,
        lat: float | None = None,
        lon: float | None = None,
        limit: int = 3,
    ) -> list[Store]:
        return await self._off_loop(self.find_stores, city, lat, lon, limit)

    async def alist_promotions(self) -> list[Promotion]:
        return await self._off_loop(self.list_promotions)

    async def arecord_consent(self, customer_id: str, channel: str, topic: str, granted: bool) -> list[Consent]:
        return await self._off_loop(self.record_consent, customer_id, channel, topic, granted)

    async def alist_consents(self, customer_id: str) -> list[Consent]:
        return await self._off_loop(self.list_consents, customer_id)

    async def aopen_ticket(
        self,
        customer_id: str,
        kind: str,
        subject: str,
        body: str = "",
        order_id: str | None = None,
    ) -> Ticket:
        return await self._off_loop(self.open_ticket, customer_id, kind, subject, body, order_id)

    async def arecord_feedback(
        self, customer_id: str, rating: str | None, topic: str | None, comment: str = ""
    ) -> None:
        await self._off_loop(self.record_feedback, customer_id, rating, topic, comment)

    async def aget_ticket(self, customer_id: str, ticket_id: str) -> Ticket:
        return await self._off_loop(self.get_ticket, customer_id, ticket_id)

    async def aclose_ticket(self, customer_id: str, ticket_id: str) -> None:
        await self._off_loop(self.close_ticket, customer_id, ticket_id)

    async def aerase_customer(self, customer_id: str) -> bool:
        return await self._off_loop(self.erase_customer, customer_id)

    # plumbing

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._exchange(method, path, **kwargs)[0]

    def _exchange(self, method: str, path: str, **kwargs: Any) -> tuple[Any, Mapping[str, str]]:
        """The checked JSON body and the response headers."""
        url = self._settings.base_url + path
        where = f"{method} {_redact(path)}"
        timeout: tuple[float, float] = (
            self._settings.connect_timeout,
            self._settings.read_timeout,
        )
        # Only an idempotent GET that never reached the shop is worth repeating;
        # a read timeout may mean the shop is overloaded, and a POST may have landed.
        attempts = 2 if method == "GET" else 1
        for attempt in range(1, attempts + 1):
            try:
                response = self._session.request(method, url, timeout=timeout, **kwargs)
            except requests.ConnectionError as exc:
                # ConnectTimeout is a ConnectionError too: the request never arrived.
                if attempt < attempts:
                    logger.info("Shop connection failed on %s, retrying once", where)
                    continue
                raise ShopUnavailable(
                    f"Cannot connect to the shop at {self.base_url} ({where}): {type(exc).__name__}"
                ) from exc
            except requests.Timeout as exc:
                raise ShopUnavailable(
                    f"The shop did not answer {where} within {self._settings.read_timeout:g}s"
                ) from exc
            except requests.RequestException as exc:
                raise ShopUnavailable(f"Request to the shop failed ({where}): {type(exc).__name__}") from exc
            return self._check(where, response), response.headers
        raise AssertionError("unreachable: the last attempt returns or raises")

    @staticmethod
    def _check(where: str, response: requests.Response) -> Any:
        status = response.status_code
        if 200 <= status < 300:
            if status == 204:
                return None
            try:
                return response.json(parse_float=Decimal)
            except ValueError as exc:
                raise ShopError(
                    f"The shop sent a response that is not JSON ({where})",
                    status=status,
                ) from exc

        code, detail = _error_body(response)
        facts = _error_facts(response)
        message = f"Shop answered {status} to {where}" + (f" ({code})" if code else "")
        if status >= 500:
            raise ShopUnavailable(message, status=status, code=code, detail=detail)
        if status == 404:
            raise ShopNotFound(message, status=status, code=code, detail=detail, facts=facts)
        if status == 409:
            raise ShopConflict(message, status=status, code=code, detail=detail, facts=facts)
        if status in (401, 403):
            # Our token is wrong: an operator has to fix it, the shopper cannot.
            logger.error("The shop refused the action server's token (%s)", status)
        raise ShopRejected(message, status=status, code=code, detail=detail, facts=facts)

    @staticmethod
    def _parse(parser: Callable[[Any], T], data: Any) -> T:
        try:
            return parser(data)
        except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
            raise ShopError(f"The shop's response has an unexpected shape: {exc!r}") from exc


def _segment(value: str) -> str:
    """Quote one path segment; ':' and '@' stay readable (customer ids are `channel:id`)."""
    return quote(str(value), safe=":@")


def _redact(path: str) -> str:
    """The path without the customer id, which may be personal (a phone number)."""
    return _CUSTOMER_SEGMENT.sub(r"\1<customer>", path)


def _error_body(response: requests.Response) -> tuple[str | None, Any]:
    try:
        body = response.json()
    except ValueError:
        return None, response.text[:200] or None
    if not isinstance(body, dict):
        return None, body
    code = body.get("code")
    return (str(code) if code is not None else None), body.get("detail")


def _error_facts(response: requests.Response) -> dict[str, Any]:
    """The error body's fields besides detail and code (the shop's facts about the refusal)."""
    try:
        body = response.json()
    except ValueError:
        return {}
    if not isinstance(body, dict):
        return {}
    return {key: value for key, value in body.items() if key not in ("detail", "code")}


@functools.lru_cache(maxsize=1)
def get_shop_client() -> ShopClient:
    """The process-wide shop client, built from the environment on first use.

    Raises `ShopConfigurationError` (and caches nothing) when SHOP_API_TOKEN is unset.
    Tests call `get_shop_client.cache_clear()` after changing the environment.
    """
    settings = ShopSettings.from_env()
    logger.info("Shop client configured for %s", settings.base_url)
    return ShopClient(settings)
