"""The invoice link's token: signed, expiring, and no key to the pay page.

The pay link's token (`payments.token`, 32 random characters) used to open the invoice as well, for
ever: a forwarded invoice let anyone pay or decline the order. An invoice token is
`<order id>.<expiry, Unix seconds>.<HMAC-SHA256>` under `SHOP_LINK_SECRET`, over the order id, the
expiry and the payment's current token, so it never reveals the pay token, cannot be stretched,
and dies when erasure gives the order new link tokens.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass

_INVOICE_TOKEN = re.compile(r"^([A-Z]{2}-[A-Z0-9]{4,16})\.([0-9]{1,12})\.([A-Za-z0-9_-]{43})$")


@dataclass(frozen=True)
class InvoiceClaim:
    """What an invoice token says before it is checked: the order, and until when."""

    order_id: str
    expires: int
    signature: str


def _signature(secret: str, order_id: str, pay_token: str, expires: int) -> str:
    message = f"invoice|{order_id}|{expires}|{pay_token}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def invoice_token(secret: str, order_id: str, pay_token: str, expires: int) -> str:
    return f"{order_id}.{expires}.{_signature(secret, order_id, pay_token, expires)}"


def read_invoice_token(token: str) -> InvoiceClaim | None:
    match = _INVOICE_TOKEN.match(token)
    return InvoiceClaim(match[1], int(match[2]), match[3]) if match else None


def signed_by(claim: InvoiceClaim, secrets: list[str], pay_token: str) -> bool:
    """True when one of `secrets` signed the claim for this payment (every one compared)."""
    valid = [hmac.compare_digest(claim.signature, _signature(s, claim.order_id, pay_token, claim.expires))
             for s in secrets]
    return any(valid)
