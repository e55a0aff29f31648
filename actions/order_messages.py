"""What the checkout, order, return and refund actions say (built on actions/responses.py).

Kept out of responses.py, which holds the catalogue and cart messages, so each module stays
short. Every message is plain text plus buttons; a pay link or an invoice is a url button
*and* a line of text, for channels that show no buttons.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from decimal import Decimal

from actions.clients.shop import Cart
from actions.clients.shop_orders import (
    DeliveryOption,
    DeliveryOptions,
    Order,
    OrderCreated,
    OrderSummary,
    PaymentMethod,
    Refund,
)
from actions.responses import (
    MAX_BUTTONS,
    BotMessage,
    Button,
    button,
    describe_variant,
    format_price,
    status_words,
    text,
    url_button,
)

RETURN_REASONS = ("Too small", "Too big", "Damaged", "Not as described", "Changed my mind")


def _date(iso: str | None) -> str:
    """ "2026-11-22T10:00:00+00:00" → "2026-11-22"."""
    return (iso or "")[:10]


def _line(quantity: int, name: str, size: str | None, color: str | None, amount: Decimal, currency: str) -> str:
    variant = describe_variant(size, color)
    variant = f" ({variant})" if variant else ""
    return f"- {quantity} × {name}{variant} — {format_price(amount, currency)}"


def pay_by(payment_due_at: str | None) -> str:
    """ "2026-11-22T10:30:00Z" → "by 2026-11-22 10:30 UTC" ("" when the shop gave no deadline)."""
    if not payment_due_at:
        return ""
    try:
        due = datetime.fromisoformat(payment_due_at.replace("Z", "+00:00")).astimezone(timezone.utc)
    except ValueError:
        return ""
    return f"by {due:%Y-%m-%d %H:%M} UTC"


def pay_button(total: Decimal, currency: str, payment_url: str) -> Button:
    return url_button(f"Pay {format_price(total, currency)}", payment_url)


# --- checkout -----------------------------------------------------------------------


def cart_empty_at_checkout() -> BotMessage:
    return text(
        "Your cart is empty, so there's nothing to check out yet. What can I find for you?",
        [button("Browse departments", "browse_catalog")],
    )


def ask_shipping_address() -> BotMessage:
    return text(
        'Where should we deliver it? Please write the address on one line, e.g. "Via Roma 1, 20121 Milano, Italy". '
        'Say "stop" to leave the checkout.'
    )


def delivery_option_title(option: DeliveryOption, currency: str) -> str:
    days = f"{option.days_min}" if option.days_min == option.days_max else f"{option.days_min}–{option.days_max}"
    price = "free" if option.price == 0 else format_price(option.price, currency)
    return f"{option.name}: {price}, {days} day{'s' if option.days_max != 1 else ''}"


def ask_delivery_option(options: DeliveryOptions) -> BotMessage:
    lines = ["How should we deliver it?"]
    for option in options.items:
        free = ""
        if option.free_over is not None:
            free = f" (free over {format_price(option.free_over, options.currency)})"
        lines.append(f"- {delivery_option_title(option, options.currency)}{free}")
    # The payload is the option's code as plain text: the form reads it from the text.
    buttons = [{"title": delivery_option_title(o, options.currency), "payload": o.code} for o in options.items]
    return text("\n".join(lines), buttons[:MAX_BUTTONS])


def ask_payment_method(methods: Sequence[PaymentMethod]) -> BotMessage:
    lines = ["How would you like to pay?"] + [f"- {m.name}" for m in methods]
    return text("\n".join(lines), [{"title": m.name, "payload": m.code} for m in methods][:MAX_BUTTONS])


def checkout_summary(
    cart: Cart,
    address: str,
    delivery: DeliveryOption,
    shipping: Decimal,
    payment: PaymentMethod,
) -> BotMessage:
    lines = ["Here's your order:"]
    lines += [_line(li.quantity, li.name, li.size, li.color, li.line_total, cart.currency) for li in cart.items]
    lines.append(f"Subtotal: {format_price(cart.total, cart.currency)}")
    lines.append(f"Delivery ({delivery.name}): {'free' if shipping == 0 else format_price(shipping, cart.currency)}")
    lines.append(f"Total: {format_price(cart.total + shipping, cart.currency)}")
    lines.append(f"To: {address}")
    lines.append(f"Paying with: {payment.name}")
    lines.append("Shall I place the order?")
    return text("\n".join(lines), [button("Yes, place the order", "affirm"), button("No, not yet", "deny")])


def order_placed(created: OrderCreated) -> BotMessage:
    total = format_price(created.total, created.currency)
    if not created.payment_url:
        return text(f"Your order {created.order_id} is placed: {total}.")
    deadline = pay_by(created.payment_due_at)
    expiry = (f"Please pay {deadline}: an order not paid by then is cancelled and its items go back on sale.\n"
              if deadline else "")
    return text(
        f"Your order {created.order_id} is placed: {total}. Please pay with this link: {created.payment_url}\n"
        f"{expiry}I'll let you know as soon as the payment arrives.",
        [pay_button(created.total, created.currency, created.payment_url)],
    )


def order_already_placed(order: Order, payment_url: str) -> BotMessage:
    deadline = pay_by(order.payment_due_at)
    return text(
        f"Your cart is empty: your order {order.order_id} ({format_price(order.total, order.currency)}) is "
        f"already placed and waiting for payment. Pay here{' ' + deadline if deadline else ''}: {payment_url}",
        [pay_button(order.total, order.currency, payment_url)],
    )


def checkout_declined() -> BotMessage:
    return text(
        "No problem, I haven't placed the order and your cart is kept. "
        "You can change your cart, or check out again with another address, delivery or payment.",
        [
            button("View cart", "view_cart"),
            button("Check out again", "checkout"),
            button("Keep shopping", "browse_catalog"),
        ],
    )


def checkout_incomplete() -> BotMessage:
    return text(
        "OK, I've stopped the checkout and placed no order. Your cart is kept: say \"checkout\" when you're ready.",
        [button("Check out", "checkout")],
    )


def sold_out_at_checkout(name: str) -> BotMessage:
    return text(
        f"Sorry, {name} sold out before your order went through, so I haven't placed it. "
        "Your cart is kept: remove that item (or pick another size or colour) and check out again.",
        [button("View cart", "view_cart")],
    )


def withdrawn_at_checkout(names: Sequence[str]) -> BotMessage:
    gone = " and ".join(dict.fromkeys(names))
    is_, it = ("is", "it") if len(set(names)) == 1 else ("are", "them")
    return text(
        f"Sorry, {gone} {is_} no longer sold, so I haven't placed your order. "
        f"Your cart is kept: remove {it} (say \"remove\" and the name) and check out again to order the rest.",
        [button("View cart", "view_cart")],
    )


def order_not_placed_shop_down() -> BotMessage:
    return text(
        "Sorry, I can't reach the shop right now, so I couldn't confirm your order. Nothing was charged. "
        "Please check out again in a few minutes: your cart is kept, and if the order did go through, "
        "I'll send you its pay link then.",
        [button("Check out", "checkout")],
    )


def promotion_refused(code: str | None, reason: str | None) -> BotMessage:
    named = f"The code {code}" if code else "That code"
    why = {"used_by_customer": f"You've already used {named.lower() if not code else 'the code ' + code}.",
           "used_up": f"{named} has been used up."}.get(reason or "", f"{named} can't be used on this order.")
    return text(f"{why} I haven't placed the order; your cart is kept.", [button("Check out", "checkout")])


def cannot_any_more(order_id: str, status: str | None, doing: str) -> BotMessage:
    """The shop refused to cancel, change or return an order because of its state, in the chat's
    words (the shop's own sentence never reaches the shopper)."""
    state = f"is {status_words(status)}" if status else "has moved on"
    if doing == "returned":
        return text(f"Order {order_id} {state}: only delivered orders can be returned.")
    instead = " You can return it instead." if doing == "cancelled" and status == "delivered" else ""
    return text(f"Order {order_id} {state}, so it can't be {doing} any more.{instead}")


# --- orders -------------------------------------------------------------------------


def order_details(order: Order) -> BotMessage:
    lines = [f"Order {order.order_id} from {_date(order.created_at)} is {status_words(order.status)}."]
    lines += [_line(li.quantity, li.name, li.size, li.color, li.line_total, order.currency) for li in order.lines]
    lines.append(f"Total: {format_price(order.total, order.currency)}")
    if order.tracking_number:
        lines.append(f"Tracking number: {order.tracking_number}")
    if order.estimated_delivery:
        lines.append(f"Estimated delivery: {order.estimated_delivery}")
    if order.status == "delivered" and order.return_deadline:
        lines.append(f"You can return it until {_date(order.return_deadline)}.")
    buttons: list[Button] = []
    if order.payment_url:
        deadline = pay_by(order.payment_due_at)
        if deadline:
            lines.append(f"Please pay {deadline}: after that the order is cancelled.")
        lines.append(f"Pay here: {order.payment_url}")
        buttons.append(pay_button(order.total, order.currency, order.payment_url))
    if order.can_cancel:
        buttons.append(button("Cancel this order", "cancel_order", order_id=order.order_id))
    if order.can_return:
        buttons.append(button("Return something", "return_item", order_id=order.order_id))
    return text("\n".join(lines), buttons)


def order_buttons(orders: Sequence[OrderSummary], intent: str) -> list[Button]:
    return [
        button(
            f"{o.order_id} — {format_price(o.total, o.currency)}, {status_words(o.status)}",
            intent,
            order_id=o.order_id,
        )
        for o in orders
    ][:MAX_BUTTONS]


def pick_order(question: str, orders: Sequence[OrderSummary], intent: str) -> BotMessage:
    lines = [question] + [
        f"- {o.order_id} from {_date(o.created_at)}: {o.item_count} item{'s' if o.item_count != 1 else ''}, "
        f"{format_price(o.total, o.currency)}, {status_words(o.status)}"
        for o in orders
    ]
    return text("\n".join(lines), order_buttons(orders, intent))


def no_orders() -> BotMessage:
    return text("You haven't placed any orders with us yet.", [button("Browse departments", "browse_catalog")])


def order_not_found(order_id: str) -> BotMessage:
    return text(
        f"I can't find order {order_id} on your account. Please check the number, or pick one of your orders.",
        [button("My orders", "order_status")],
    )


def confirm_cancellation(order: Order) -> BotMessage:
    refund = " Your payment will be refunded at once." if order.status == "paid" else ""
    return text(
        f"Do you want to cancel order {order.order_id} ({format_price(order.total, order.currency)})?{refund}",
        [button("Yes, cancel it", "affirm"), button("No, keep it", "deny")],
    )


def cannot_cancel(order: Order) -> BotMessage:
    status = status_words(order.status)
    if order.status in ("shipped", "delivered"):
        hint = " Once it's delivered you can return it within 30 days."
        buttons = [button("Return something", "return_item", order_id=order.order_id)] if order.can_return else []
        if order.status == "delivered":
            hint = " You can return it instead." if order.can_return else ""
        return text(f"Order {order.order_id} is already {status}, so it can't be cancelled any more.{hint}", buttons)
    return text(f"Order {order.order_id} is {status}, so there's nothing to cancel.")


def order_cancelled(order: Order) -> BotMessage:
    refund = " Your payment is refunded to your original payment method." if order.payment_status == "paid" else ""
    return text(f"Done: order {order.order_id} is cancelled.{refund}")


def cannot_change(order: Order) -> BotMessage:
    return text(
        f"Order {order.order_id} is already {status_words(order.status)}, so I can't change it any more.",
        [button("Track it", "order_status", order_id=order.order_id)],
    )


def confirm_address_change(order_id: str, address: str) -> BotMessage:
    return text(f"Send order {order_id} to this address instead?\n{address}",
                [button("Yes, change it", "affirm"), button("No, keep the old one", "deny")])


def address_kept(order_id: str | None, wanted: str | None) -> BotMessage:
    """The address stays; when they asked for something else instead, how to get it."""
    instead = {"cancel_order": ' To cancel it, say "cancel my order".',
               "order_status": ' To see where it is, say "where is my order?".',
               "return_item": ' To send something back, say "I want to return it".'}.get(wanted or "", "")
    return text(f"OK, I've left the address of {order_id or 'your order'} as it was.{instead}")


def address_changed(order: Order) -> BotMessage:
    return text(f"Done: order {order.order_id} now goes to {order.shipping_address}.")


def invoice(order: Order) -> BotMessage:
    if not order.invoice_url:
        return text(f"The invoice for order {order.order_id} isn't available yet.")
    return text(
        f"Here's the invoice for order {order.order_id}: {order.invoice_url}",
        [url_button(f"Invoice {order.order_id}", order.invoice_url)],
    )


def change_choices(order: Order, options: Sequence[DeliveryOption] = ()) -> BotMessage:
    buttons = [button("Delivery address", "change_shipping_address", order_id=order.order_id)]
    said = f"What would you like to change on order {order.order_id}? I can change the delivery address"
    if order.status == "pending_payment":
        said += ", or the delivery option while it's unpaid"
        buttons += [button(f"Switch to {o.name}", "change_order", order_id=order.order_id, delivery_code=o.code)
                    for o in options if o.code != order.delivery_option]
    said += ". To change the items, cancel it and order again."
    if order.can_cancel:
        buttons.append(button("Cancel the order", "cancel_order", order_id=order.order_id))
    return text(said, buttons[:MAX_BUTTONS])


def delivery_changed(order: Order, option: DeliveryOption) -> BotMessage:
    pay = [url_button("Pay now", order.payment_url)] if order.payment_url else []
    return text(
        f"Done: order {order.order_id} now comes by {delivery_option_title(option, order.currency)}. "
        f"The new total is {format_price(order.total, order.currency)}; pay with the same link.",
        pay,
    )


def delivery_unchanged(order: Order, option: DeliveryOption) -> BotMessage:
    return text(f"Order {order.order_id} already comes by {option.name}.")


def delivery_fixed_once_paid(order: Order) -> BotMessage:
    return text(
        f"Order {order.order_id} is paid, so its delivery option can't change any more. I can still "
        "change its delivery address.",
        [button("Delivery address", "change_shipping_address", order_id=order.order_id)],
    )


# --- payments -----------------------------------------------------------------------


def payment_received(order: Order) -> BotMessage:
    if order.status == "paid":
        return text(f"Payment received for {order.order_id} — we'll let you know when it ships.")
    return text(f"Payment received for {order.order_id}. It's {status_words(order.status)}.")


def payment_not_received(order: Order) -> BotMessage:
    if not order.payment_url:
        return text(f"I haven't received the payment for {order.order_id} yet.")
    return text(
        f"I haven't received the payment for {order.order_id} yet. If you haven't paid, you can use this link: "
        f"{order.payment_url}. It can take a minute to come through.",
        [pay_button(order.total, order.currency, order.payment_url)],
    )


def payment_declined(order: Order) -> BotMessage:
    buttons = [button("Payment help", "payment_issue", order_id=order.order_id)]
    if order.payment_url:
        buttons.insert(0, pay_button(order.total, order.currency, order.payment_url))
    link = f" You can try again, or with another card or method, here: {order.payment_url}" if order.payment_url else ""
    return text(
        f"The payment for {order.order_id} was declined, so the order isn't paid yet.{link} "
        "If it keeps failing, I can get you payment help.",
        buttons,
    )


def nothing_to_pay() -> BotMessage:
    return text("I can't see an order of yours waiting for payment.", [button("My orders", "order_status")])


# --- returns and refunds --------------------------------------------------------------


def ask_return_order(orders: Sequence[OrderSummary]) -> BotMessage:
    return pick_order("Which order would you like to return something from?", orders, "return_item")


def no_returnable_orders() -> BotMessage:
    return text(
        "You have no delivered orders that can still be returned. Returns are possible within 30 days of delivery.",
        [button("My orders", "order_status")],
    )


def not_delivered_yet(order: Order) -> BotMessage:
    if order.can_cancel:
        return text(
            f"Order {order.order_id} hasn't been delivered yet ({status_words(order.status)}), so it can't be "
            "returned — but you can still cancel it.",
            [button("Cancel the order", "cancel_order", order_id=order.order_id)],
        )
    return text(
        f"Order {order.order_id} hasn't been delivered yet ({status_words(order.status)}). "
        "You can return it once it arrives, within 30 days of delivery."
    )


def return_not_possible(order: Order) -> BotMessage:
    return text(f"Order {order.order_id} is {status_words(order.status)}, so it can't be returned.")


def return_window_closed(order_id: str, deadline: str | None = None, window_days: int = 30) -> BotMessage:
    closed = f" The window for {order_id} closed on {deadline}." if deadline else ""
    return text(f"Sorry, order {order_id} can't be returned any more: we accept returns within {window_days} days "
                f"of delivery.{closed}")


def ask_return_line(order: Order) -> BotMessage:
    lines = [f"Which item of {order.order_id} would you like to return?"]
    lines += [
        f"{n}. {_line(li.quantity, li.name, li.size, li.color, li.line_total, order.currency)[2:]}"
        for n, li in enumerate(order.lines, 1)
    ]
    buttons = [
        button(f"{li.name} ({describe_variant(li.size, li.color)})" if describe_variant(li.size, li.color) else li.name,
               "return_item", product_index=str(n))
        for n, li in enumerate(order.lines, 1)
    ]
    if len(order.lines) > 1:
        buttons.append(button("Everything", "return_item", product_index="all"))
    return text("\n".join(lines), buttons[:MAX_BUTTONS])


def ask_return_reason() -> BotMessage:
    return text(
        "Why are you returning it? Pick a reason or tell me in your own words.",
        [{"title": reason, "payload": reason} for reason in RETURN_REASONS],
    )


def return_requested(return_id: str, order_id: str, amount: Decimal, currency: str) -> BotMessage:
    return text(
        f"Your return {return_id} for order {order_id} is registered. Please send the items back; once they "
        f"arrive we refund {format_price(amount, currency)} to your original payment method within 5–10 "
        "business days."
    )


def refunds(items: Sequence[Refund]) -> BotMessage:
    if not items:
        return text("You have no refunds with us.", [button("Refund policy", "refund_policy")])
    lines = ["Your refunds:"]
    for refund in items[:MAX_BUTTONS]:
        amount = format_price(refund.amount, refund.currency)
        if refund.status == "completed":
            state = f"paid back on {_date(refund.completed_at)}" if refund.completed_at else "paid back"
        else:
            state = "on its way: expect it within 5–10 business days"
        lines.append(f"- {amount} for order {refund.order_id}: {state}.")
    return text("\n".join(lines))


def refund_by_cancelling(order: Order) -> BotMessage:
    paid = " and refund your payment at once" if order.status == "paid" else ""
    return text(
        f"Order {order.order_id} hasn't shipped yet, so I can cancel it{paid}.",
        [button("Cancel the order", "cancel_order", order_id=order.order_id)],
    )


def refund_by_returning(order: Order) -> BotMessage:
    return text(
        f"To get a refund for order {order.order_id}, return it (until {_date(order.return_deadline)}). "
        "We refund you within 5–10 business days after the return arrives.",
        [button("Return something", "return_item", order_id=order.order_id)],
    )


def refund_on_the_way(order: Order) -> BotMessage:
    return text(
        f"Order {order.order_id} is {status_words(order.status)}.",
        [button("Refund status", "refund_status")],
    )


def refund_after_delivery(order: Order) -> BotMessage:
    return text(
        f"Order {order.order_id} is {status_words(order.status)}, so it can't be cancelled any more. "
        "Once it's delivered you can return it within 30 days for a refund."
    )


def no_refund_possible(order: Order) -> BotMessage:
    return text(
        f"Order {order.order_id} is {status_words(order.status)}; its return window has closed, so I can't "
        "refund it. Returns are accepted within 30 days of delivery."
    )
