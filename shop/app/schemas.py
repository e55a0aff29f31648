"""The API's shapes: what requests may carry and what responses promise. ORM rows never leave crud."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Annotated, Any, Literal

from annotated_types import GroupedMetadata
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictBool,
    StrictInt,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

# <channel>:<sender id>, e.g. messenger:1254459154682919, whatsapp:393331234567, rest:alice. The sender
# id becomes a path segment of the notice sent to Rasa: it never starts with a dot ('..' would climb).
CUSTOMER_ID_PATTERN = r"^[a-z][a-z0-9_]{1,31}:[A-Za-z0-9_@+=\-][A-Za-z0-9_.@+=\-]{0,127}$"
ORDER_ID_PATTERN = r"^[A-Za-z]{2}-[A-Za-z0-9]{4,16}$"
CustomerId = Annotated[str, StringConstraints(pattern=CUSTOMER_ID_PATTERN, max_length=160)]  # the column's length


def _printable(value: str) -> str:
    """Refuses control characters (NUL included) other than tab and line breaks."""
    if any(unicodedata.category(c) in ("Cc", "Cs") and c not in "\t\n\r" for c in value):
        raise ValueError("control characters are not allowed")
    return value


def _has_words(value: str) -> str:
    """A name, an address or a subject says something: at least one letter or digit."""
    if value and not any(c.isalnum() for c in value):
        raise ValueError("must contain letters or digits")
    return value


Printable = AfterValidator(_printable)
Wordy = AfterValidator(_has_words)


@dataclass(frozen=True)
class _Size(GroupedMetadata):
    """Stripped of surrounding whitespace, then between the two lengths; and, as the OpenAPI document
    says (`maxLength`), at most `max_length` characters as sent: 300 spaces around a word are refused,
    not stripped into a short value (schemathesis sent 201 characters starting with U+0085)."""

    min_length: int
    max_length: int

    def __iter__(self) -> Iterator[object]:
        yield BeforeValidator(partial(_sent_at_most, self.max_length))
        yield StringConstraints(strip_whitespace=True, min_length=self.min_length, max_length=self.max_length)


def _sent_at_most(max_length: int, value: Any) -> Any:
    if isinstance(value, str) and len(value) > max_length:
        raise PydanticCustomError("string_too_long", "String should have at most {max_length} characters",
                                  {"max_length": max_length})
    return value


def _size(min_length: int, max_length: int) -> _Size:
    return _Size(min_length, max_length)


# Text a shopper or an integration sends: stripped, printable, and where it names something, wordy.
Sku = Annotated[str, _size(1, 40), Printable, Wordy]
ShortText = Annotated[str, _size(1, 60), Printable, Wordy]
Note = Annotated[str, _size(0, 200), Printable]
Quantity = Annotated[StrictInt, Field(ge=1, le=20)]

CENT = Decimal("0.01")
# Amounts leave the shop as decimal strings with two places ("29.90"): a float cannot hold 0.10
# exactly, and clients that add floats drift by cents. Clients parse them as decimals.
Money = Annotated[
    Decimal,
    PlainSerializer(lambda value: str(value.quantize(CENT)), return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^-?\d+\.\d{2}$", "examples": ["29.90"],
                    "description": "Amount in the currency's major unit, a decimal string with two places"}),
]

DeliveryCode = Literal["standard", "express", "next_day", "click_and_collect"]
PaymentCode = Literal["card", "paypal", "apple_pay", "google_pay"]


class ErrorBody(BaseModel):
    """A refusal: `detail` says why; domain errors add a machine-readable `code` and facts the caller
    can use (`available`, `sizes`, ...)."""

    model_config = ConfigDict(extra="allow")
    detail: str
    code: str | None = None


class StrictModel(BaseModel):
    # Unknown fields are refused rather than silently dropped: a typo in a request is an error.
    model_config = ConfigDict(extra="forbid")


# --- catalog ------------------------------------------------------------------------------------


class Department(BaseModel):
    slug: str
    name: str
    product_count: int


class Departments(BaseModel):
    items: list[Department]


class ProductSummary(BaseModel):
    sku: str
    name: str
    department: str
    brand: str
    price: Money
    currency: str
    colors: list[str]
    sizes: list[str]
    in_stock: bool
    image_url: str


class SearchInfo(BaseModel):
    corrections: dict[str, str] = Field(
        default_factory=dict, description="Query words read as other catalogue words (typos, plurals)"
    )
    ignored: list[str] = Field(default_factory=list, description="Query words that matched nothing")
    partial: bool = Field(
        default=False,
        description="No product has every query word: the items are those with the most of them",
    )
    kind: str | None = Field(
        default=None,
        description='The query word naming the kind of product sought ("earbuds" in "white wireless earbuds"): '
        "every item is of that kind. Null when the query names none (a brand, a department, a colour)",
    )
    kind_missing: bool = Field(
        default=False,
        description="The shop has no product of that kind; nothing of another kind is returned instead",
    )


class Products(BaseModel):
    items: list[ProductSummary]
    total: int
    search: SearchInfo = Field(default_factory=SearchInfo)


class VariantPublic(BaseModel):
    size: str | None
    color: str | None
    stock: int


class ProductDetail(ProductSummary):
    category: str
    description: str
    variants: list[VariantPublic]


# --- carts --------------------------------------------------------------------------------------


class CartItemCreate(StrictModel):
    sku: Sku
    size: ShortText | None = None
    color: ShortText | None = None
    quantity: Quantity = 1


class CartItemUpdate(StrictModel):
    quantity: Quantity


class CartLine(BaseModel):
    line_id: int
    sku: str
    name: str
    size: str | None
    color: str | None
    quantity: int
    unit_price: Money
    line_total: Money
    in_stock: bool
    available: bool = Field(description="False when the shop no longer sells the product: checkout refuses it")
    image_url: str


class Cart(BaseModel):
    customer_id: str
    items: list[CartLine]
    total: Money
    currency: str
    item_count: int


# --- orders -------------------------------------------------------------------------------------


class Address(StrictModel):
    name: Annotated[str, _size(1, 120), Printable, Wordy]
    line1: Annotated[str, _size(1, 200), Printable, Wordy]
    line2: Note | None = None
    city: Annotated[str, _size(1, 80), Printable, Wordy]
    postcode: Annotated[str, _size(1, 20), Printable, Wordy]
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]


# A chat collects the address as one line of text; integrations send it structured. Both are kept.
AddressText = Annotated[str, _size(5, 300), Printable, Wordy]


class OrderCreate(StrictModel):
    customer_id: CustomerId
    shipping_address: Address | AddressText
    delivery_option: DeliveryCode
    payment_method: PaymentCode
    promo_code: Annotated[str, _size(0, 40), Printable] | None = None


class OrderCreated(BaseModel):
    order_id: str
    status: str
    total: Money
    currency: str
    payment_url: str | None
    payment_due_at: datetime | None = Field(
        description="Unpaid at this time, the order is cancelled and its items go back on sale")


class OrderLinePublic(BaseModel):
    line_id: int
    sku: str
    name: str
    size: str | None
    color: str | None
    quantity: int
    unit_price: Money
    line_total: Money
    discount: Money = Field(description="This line's share of the order's discount")


class StatusChange(BaseModel):
    status: str
    at: datetime
    note: str | None = None


class OrderPublic(BaseModel):
    order_id: str
    customer_id: str | None = Field(description="None once the customer has been erased")
    status: str
    created_at: datetime
    lines: list[OrderLinePublic]
    subtotal: Money
    discount: Money
    shipping_cost: Money
    total: Money
    currency: str
    promo_code: str | None
    shipping_address: dict[str, Any]
    delivery_option: str
    payment_method: str
    payment_status: str | None
    payment_url: str | None
    payment_due_at: datetime | None = Field(
        description="While the order waits for payment: unpaid at this time, it is cancelled")
    invoice_url: str | None
    tracking_number: str | None
    estimated_delivery: str | None
    can_cancel: bool
    can_return: bool
    return_deadline: datetime | None
    history: list[StatusChange]


class OrderSummary(BaseModel):
    order_id: str
    status: str
    created_at: datetime
    total: Money
    currency: str
    item_count: int
    tracking_number: str | None


class Orders(BaseModel):
    items: list[OrderSummary]
    total: int


class OrderOwner(StrictModel):
    customer_id: CustomerId


class OrderCancel(OrderOwner):
    reason: Note | None = None


class OrderChange(OrderOwner):
    shipping_address: Address | AddressText | None = None
    delivery_option: DeliveryCode | None = None


class ReturnLineCreate(StrictModel):
    line_id: StrictInt = Field(ge=1, le=2**31 - 1)
    quantity: Quantity


class ReturnCreate(OrderOwner):
    reason: Annotated[str, _size(2, 500), Printable, Wordy]
    # Empty means every line of the order, in full.
    lines: list[ReturnLineCreate] = Field(default_factory=list, max_length=50)


class ReturnPublic(BaseModel):
    return_id: str
    order_id: str
    status: str
    reason: str
    amount: Money
    currency: str
    lines: list[dict[str, Any]]
    created_at: datetime


class RefundPublic(BaseModel):
    refund_id: str
    order_id: str
    return_id: str | None
    amount: Money
    currency: str
    status: str
    reason: str
    created_at: datetime
    completed_at: datetime | None


class Refunds(BaseModel):
    items: list[RefundPublic]


class StatusUpdate(StrictModel):
    """Operator transitions (warehouse, carrier, returns desk)."""

    status: Literal["shipped", "delivered", "returned", "refunded"]
    tracking_number: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9\-]{6,40}$")] | None = None


class DeliveryOption(BaseModel):
    code: str
    name: str
    price: Money
    free_over: Money | None
    days_min: int
    days_max: int


class DeliveryOptions(BaseModel):
    items: list[DeliveryOption]
    currency: str


class PaymentMethod(BaseModel):
    code: str
    name: str


class PaymentMethods(BaseModel):
    items: list[PaymentMethod]


# --- care ---------------------------------------------------------------------------------------


class StorePublic(BaseModel):
    code: str
    name: str
    address: str
    city: str
    postcode: str
    country: str
    latitude: float
    longitude: float
    phone: str
    opening_hours: dict[str, str]
    distance_km: float | None = None


class Stores(BaseModel):
    items: list[StorePublic]


class PromotionPublic(BaseModel):
    code: str
    title: str
    description: str
    department: str | None
    percent_off: int | None
    amount_off: Money | None
    min_order: Money | None
    ends_at: datetime
    uses_per_customer: int | None = Field(description="How many orders each customer may use it on")
    uses_total: int | None = Field(description="How many orders may use it in all")


class Promotions(BaseModel):
    items: list[PromotionPublic]


Topic = Literal["news", "offers", "order_updates"]


class ConsentCreate(StrictModel):
    channel: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,31}$")]
    topic: Topic
    granted: StrictBool


class ConsentPublic(BaseModel):
    channel: str
    topic: str
    granted: bool
    at: datetime


class Consents(BaseModel):
    customer_id: str
    items: list[ConsentPublic]


class TicketCreate(StrictModel):
    customer_id: CustomerId
    kind: Literal["complaint", "handoff", "payment_issue", "question"]
    subject: Annotated[str, _size(2, 200), Printable, Wordy]
    body: Annotated[str, _size(0, 4000), Printable] = ""
    order_id: Annotated[str, StringConstraints(pattern=ORDER_ID_PATTERN)] | None = Field(
        default=None, description="One of this customer's orders")


class TicketPublic(BaseModel):
    ticket_id: str
    customer_id: str
    kind: str
    status: str
    subject: str
    order_id: str | None
    created_at: datetime


class TicketsPublic(BaseModel):
    """The desk's queue: oldest first, `total` counting beyond the page."""

    items: list[TicketPublic]
    total: int


class FeedbackCreate(StrictModel):
    """A rating of a care answer ("did that help?"), the shopper's own words, or both."""

    customer_id: CustomerId
    rating: Literal["good", "bad"] | None = None
    topic: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,39}$")] | None = None
    comment: Annotated[str, _size(0, 2000), Printable] = ""

    @model_validator(mode="after")
    def says_something(self) -> FeedbackCreate:
        if self.rating is None and not self.comment:
            raise ValueError("Give a rating, a comment, or both.")
        return self


class FeedbackPublic(BaseModel):
    customer_id: str
    rating: str | None
    topic: str | None
    comment: str
    created_at: datetime


class TopicSatisfaction(BaseModel):
    topic: str
    good: int
    bad: int
    satisfaction: float = Field(description="good / (good + bad), 0 to 1")


class FeedbackSummary(BaseModel):
    """Satisfaction per care topic, and how many shoppers left words, since `since` (all time if unset)."""

    topics: list[TopicSatisfaction]
    comments: int


class ErasureResult(BaseModel):
    customer_id: str
    erased: bool
    cancelled: list[str] = Field(default_factory=list,
                                 description="Orders cancelled by the erasure (their stock released)")
    refunded: list[str] = Field(default_factory=list, description="Of those, the paid ones, refunded in full")
    kept: list[str] = Field(default_factory=list,
                            description="Orders kept for accounting, without the customer's name or address")
