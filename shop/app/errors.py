"""Domain errors raised by crud and mapped to HTTP once, in api/main.py."""

from __future__ import annotations

from typing import Any


class ShopError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra


class NotFound(ShopError):
    status_code = 404
    code = "not_found"


class UnknownProduct(NotFound):
    code = "unknown_product"


class UnknownOrder(NotFound):
    # Also raised for another customer's order: whether it exists is nobody else's business.
    code = "unknown_order"


class LinkExpired(ShopError):
    status_code = 410
    code = "link_expired"


class VariantRequired(ShopError):
    status_code = 422
    code = "variant_required"


class UnknownVariant(ShopError):
    status_code = 422
    code = "unknown_variant"


class OutOfStock(ShopError):
    status_code = 409
    code = "out_of_stock"


class ProductWithdrawn(ShopError):
    status_code = 409
    code = "product_withdrawn"


class PaymentExpired(ShopError):
    status_code = 409
    code = "payment_expired"


class ErasureBlocked(ShopError):
    status_code = 409
    code = "erasure_blocked"


class CartEmpty(ShopError):
    status_code = 409
    code = "cart_empty"


class InvalidTransition(ShopError):
    status_code = 409
    code = "invalid_status"


class IdempotencyMismatch(ShopError):
    status_code = 409
    code = "idempotency_key_reused"


class ReturnWindowClosed(ShopError):
    status_code = 409
    code = "return_window_closed"


class InvalidPromotion(ShopError):
    status_code = 422
    code = "invalid_promotion"


class DuplicateReturnLine(ShopError):
    status_code = 422
    code = "duplicate_return_line"
