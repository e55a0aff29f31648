"""What browsers reach without the API token: health, product images, the sandbox pay page, invoices.

The pay link's token is its own secret (32 random characters), so the page needs no login; it
shows the order only while it can be paid. The invoice link has a token of its own, signed and
expiring (app/links.py). Both pages are private to one shopper: never cached, framed or referred.
"""

from __future__ import annotations

from html import escape
from typing import Annotated

from fastapi import APIRouter, Form, Path, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy import text

from app.api.deps import ReadDB, SettingsDep, WriteDB
from app.api.openapi import RATE_LIMITED, errors, html_errors
from app.api.ratelimit import ClientLimit, PayLinkLimit
from app.crud import catalog, orders, payments
from app.errors import ShopError
from app.images import etag, placeholder_png, placeholder_svg
from app.models import Order, OrderStatus, PaymentStatus, utcnow
from app.notify import Notifier

router = APIRouter(tags=["public"], dependencies=[ClientLimit], responses=RATE_LIMITED)
# Wide enough that any link's token reaches the page, which answers an unknown one in words.
LinkToken = Annotated[str, Path(min_length=16, max_length=128, pattern=r"^[A-Za-z0-9_.\-]+$")]
# The pages hold an order, an address and a pay button: no cache may keep them, no other site may
# frame them (clickjacking the Pay button) or learn their URL from a Referer; no script runs.
PRIVATE_PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": ("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                                "frame-ancestors 'none'; base-uri 'none'"),
}

_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem;color:#222}}
table{{width:100%;border-collapse:collapse}}td{{padding:.3rem 0}}td.r{{text-align:right}}
.total{{font-weight:bold;border-top:1px solid #ccc}}
button{{font-size:1.1rem;padding:.6rem 1.4rem;margin:.4rem .4rem 0 0;border-radius:.4rem;border:0;cursor:pointer}}
.pay{{background:#1a7f37;color:#fff}}.decline{{background:#ddd}}
.note{{color:#666;font-size:.9rem}}</style></head><body><h1>{title}</h1>{body}
<p class="note">Bottega sandbox payments: no real money moves.</p></body></html>"""


@router.get("/health")
def health(db: ReadDB) -> dict[str, str]:
    db.execute(text("SELECT 1"))
    return {"status": "ok"}


# Pictures change only when a product is renamed or moved, which gives them a new ETag.
IMAGE_HEADERS = {"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"}
ImageSku = Annotated[str, Path(max_length=40)]


@router.get("/images/{sku}.svg", response_class=Response, responses={
    200: {"content": {"image/svg+xml": {"schema": {"type": "string"}}}, "description": "The product's picture"},
    **errors(404)})
def product_image(sku: ImageSku, db: ReadDB) -> Response:
    product = catalog.get_product(db, sku)
    svg = placeholder_svg(product.name, product.department.slug, product.sku)
    return Response(svg, media_type="image/svg+xml", headers=IMAGE_HEADERS)


@router.get("/images/{sku}.png", response_class=Response, responses={
    200: {"content": {"image/png": {"schema": {"type": "string", "format": "binary"}}},
          "description": "The product's picture as PNG, for channels that show no SVG (Messenger, WhatsApp)"},
    304: {"description": "The picture the client holds (If-None-Match) is still current"},
    **errors(404)})
def product_image_png(sku: ImageSku, db: ReadDB, request: Request) -> Response:
    product = catalog.get_product(db, sku)
    png = placeholder_png(product.name, product.department.slug, product.sku)
    tag = etag(png)
    headers = {**IMAGE_HEADERS, "ETag": tag}
    if tag in (part.strip() for part in request.headers.get("if-none-match", "").split(",")):
        return Response(status_code=304, headers=headers)
    return Response(png, media_type="image/png", headers=headers)


def _order_rows(order: Order) -> str:
    """The order's lines, delivery, discount and total as table rows."""
    rows = "".join(
        f"<tr><td>{li.quantity} × {escape(li.name)}"
        f"{escape(' (' + ', '.join(x for x in (li.color, li.size) if x) + ')') if li.color or li.size else ''}"
        f"</td><td class=r>{li.line_total:.2f}</td></tr>" for li in order.lines)
    rows += f"<tr><td>Delivery</td><td class=r>{order.shipping_cost:.2f}</td></tr>"
    if order.discount:
        rows += f"<tr><td>Discount {escape(order.promo_code or '')}</td><td class=r>-{order.discount:.2f}</td></tr>"
    rows += f"<tr class=total><td>Total</td><td class=r>{order.total:.2f} {escape(order.currency)}</td></tr>"
    return rows


def _page(title: str, body: str, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(_PAGE.format(title=escape(title), body=body), status_code=status_code,
                        headers=PRIVATE_PAGE_HEADERS)


@router.get("/pay/{token}", response_class=HTMLResponse, responses=html_errors(404))
def pay_page(token: LinkToken, db: ReadDB) -> HTMLResponse:
    try:
        payment = payments.by_token(db, token)
    except ShopError as error:
        return _page("Payment link not valid", f"<p>{escape(error.message)}</p>", 404)
    order = payment.order
    rows = _order_rows(order)
    if orders.is_overdue(order) or orders.was_expired(order):
        due = order.payment_due_at
        action = (f"<p>The time to pay for this order ran out{f' at {due:%Y-%m-%d %H:%M} UTC' if due else ''}: "
                  "it is cancelled and its items went back on sale. You can order again in the chat.</p>")
    elif order.status == OrderStatus.cancelled:
        refunded = " Your payment has been refunded." if payment.status == PaymentStatus.paid else ""
        action = f"<p>This order was cancelled and can't be paid.{refunded}</p>"
    elif payment.status == PaymentStatus.paid:
        return _page(f"Order {order.order_id}", "<p><strong>This order is paid.</strong> You can go back to the "
                     "chat, which has its status and invoice.</p>")
    elif order.status != OrderStatus.pending_payment or payment.status == PaymentStatus.cancelled:
        action = f"<p>This order is {escape(order.status.value.replace('_', ' '))} and can't be paid.</p>"
    else:
        declined = payment.status == PaymentStatus.failed
        retry = "<p>The last attempt was declined. You can try again.</p>" if declined else ""
        if order.payment_due_at is not None:
            retry += (f"<p>Please pay by {order.payment_due_at:%Y-%m-%d %H:%M} UTC: an order not paid by then "
                      "is cancelled and its items go back on sale.</p>")
        action = (f'{retry}<form method="post"><button class="pay" name="action" value="pay">Pay '
                  f'{order.total:.2f} {escape(order.currency)}</button><button class="decline" name="action" '
                  'value="decline">Decline</button></form>')
    return _page(f"Order {order.order_id}", f"<table>{rows}</table>{action}")


@router.post("/pay/{token}", response_class=HTMLResponse, dependencies=[PayLinkLimit],
             responses=html_errors(404, 409))
def pay(token: LinkToken, action: Annotated[str, Form(pattern="^(pay|decline)$")], db: WriteDB,
        request: Request) -> HTMLResponse:
    try:
        outcome = payments.settle(db, token, approve=action == "pay")
    except ShopError as error:
        return _page("Payment not possible", f"<p>{escape(error.message)}</p>", error.status_code)
    if not outcome.repeated:
        notifier: Notifier = request.app.state.notifier
        notifier.submit(outcome)
    if outcome.status == "paid":
        return _page("Thank you!", f"<p>Order {escape(outcome.order_id)} is paid: {outcome.total} "
                     f"{escape(outcome.currency)}. You can close this page and go back to the chat.</p>")
    return _page("Payment declined", f"<p>The payment for order {escape(outcome.order_id)} was declined. "
                 f'<a href="/pay/{escape(token)}">Try again</a> or go back to the chat.</p>')


@router.get("/invoices/{token}", response_class=HTMLResponse, responses=html_errors(404, 410))
def invoice_page(token: LinkToken, db: ReadDB, settings: SettingsDep) -> HTMLResponse:
    try:
        payment = payments.by_invoice_token(db, token, settings.link_secrets(), utcnow())
    except ShopError as error:
        title = "Invoice link expired" if error.status_code == 410 else "Invoice not found"
        return _page(title, f"<p>{escape(error.message)}</p>", error.status_code)
    order = payment.order
    address = order.shipping_address
    bill_to = escape(address.get("text") or ", ".join(
        str(address[k]) for k in ("name", "line1", "line2", "postcode", "city", "country") if address.get(k)))
    if payment.status != PaymentStatus.paid:
        state = "Not paid"
    elif order.status in (OrderStatus.cancelled, OrderStatus.refunded):
        state = "Refunded"  # paid once, and the money went back: the invoice must not say "Paid"
    else:
        state = "Paid " + payment.updated_at.date().isoformat()
    body = (f"<p>Bottega S.r.l. — invoice for order <strong>{escape(order.order_id)}</strong><br>"
            f"Date: {order.created_at.date().isoformat()}<br>Deliver to: {bill_to}<br>"
            f"Status: {escape(order.status.value.replace('_', ' '))} · {state}</p>"
            f"<table>{_order_rows(order)}</table><p class=note>Prices include VAT.</p>")
    return _page(f"Invoice {order.order_id}", body)
