"""What the care actions say: promotions, stores, consents, tickets and erasure.

Built on actions/responses.py like order_messages.py: plain text plus buttons, so every
channel shows something readable.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from actions.clients.shop_care import Promotion, Store, Ticket
from actions.clients.shop_orders import OrderSummary
from actions.responses import MAX_BUTTONS, BotMessage, Button, button, format_price, status_words, text

# The shop's currency: promotions carry amounts without one.
SHOP_CURRENCY = "EUR"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_NAMES = {"mon": "Mon", "tue": "Tue", "wed": "Wed", "thu": "Thu", "fri": "Fri", "sat": "Sat", "sun": "Sun"}

HANDOFF_BUTTON = button("Talk to a person", "human_handoff")


# --- promotions ---------------------------------------------------------------------


def _promotion_details(promo: Promotion) -> str:
    """ "on fashion, min. order 30.00 EUR, until 2027-01-01" """
    applies = f"on {promo.department}" if promo.department else "on everything"
    details = [applies]
    if promo.min_order is not None:
        details.append(f"min. order {format_price(promo.min_order, SHOP_CURRENCY)}")
    if promo.ends_at:
        details.append(f"until {promo.ends_at[:10]}")
    return ", ".join(details)


def _promotion_line(promo: Promotion) -> str:
    return f"- {promo.title} — code {promo.code} ({_promotion_details(promo)})"


def promotions(items: Sequence[Promotion]) -> BotMessage:
    if not items:
        return text(
            "There are no promotions running right now. Ask me again soon, or subscribe to hear about the next one.",
            [button("Subscribe to offers", "subscribe_news")],
        )
    lines = ["Here's what's on right now:"] + [_promotion_line(p) for p in items]
    lines.append("Enter the code at checkout.")
    return text("\n".join(lines), [button("Browse departments", "browse_catalog")])


def campaign(promo: Promotion) -> BotMessage:
    """The promotion a shopper came for (an m.me link, a QR code, an ad): what it is, the code, how
    long, and where to use it."""
    lines = [f"You came for our offer: {promo.title}."]
    if promo.description:
        lines.append(promo.description)
    lines.append(f"Use code {promo.code} at checkout ({_promotion_details(promo)}).")
    shop = (button(f"Shop {promo.department}", "search_product", department=promo.department) if promo.department
            else button("Browse departments", "browse_catalog"))
    return text("\n".join(lines), [shop, button("All offers", "promotions")])


# --- stores -------------------------------------------------------------------------


def _hours(hours: str) -> str:
    return "closed" if hours.lower() == "closed" else hours.replace("-", "–")


def _week(store: Store) -> str:
    """ "Mon–Fri 09:00–20:00, Sat 09:00–20:00, Sun closed": days in a row with the same hours joined."""
    runs: list[tuple[str, str, str]] = []  # (first day, last day, hours)
    for day in (d for d in WEEKDAYS if d in store.opening_hours):
        hours = _hours(store.opening_hours[day])
        if runs and runs[-1][2] == hours and WEEKDAYS.index(runs[-1][1]) + 1 == WEEKDAYS.index(day):
            runs[-1] = (runs[-1][0], day, hours)
        else:
            runs.append((day, day, hours))
    return ", ".join(
        f"{WEEKDAY_NAMES[a] if a == b else WEEKDAY_NAMES[a] + '–' + WEEKDAY_NAMES[b]} {hours}" for a, b, hours in runs
    )


def _store_block(store: Store, today: date) -> str:
    day = WEEKDAYS[today.weekday()]
    distance = f" ({store.distance_km} km away)" if store.distance_km is not None else ""
    lines = [f"{store.name}{distance}", f"{store.address}, {store.postcode} {store.city}"]
    if day in store.opening_hours:
        lines.append(f"Today: {_hours(store.opening_hours[day])}")
    lines.append(f"Week: {_week(store)}")
    if store.phone:
        lines.append(f"Phone: {store.phone}")
    return "\n".join(lines)


def stores(items: Sequence[Store], today: date, intro: str) -> BotMessage:
    return text("\n\n".join([intro] + [_store_block(s, today) for s in items]))


def no_store_in(city: str, cities: Sequence[str]) -> BotMessage:
    where = f" We're in {', '.join(cities)}." if cities else ""
    return text(f"Sorry, we have no store in {city}.{where}", city_buttons(cities))


def city_buttons(cities: Sequence[str]) -> list[dict[str, str]]:
    return [button(city, "store_locator", city=city) for city in cities][:MAX_BUTTONS]


def ask_where(cities: Sequence[str]) -> BotMessage:
    return text(
        "Which city are you in? Pick one below, write the city, or share your location and I'll find the "
        "nearest store.",
        city_buttons(cities),
    )


# --- consents -----------------------------------------------------------------------


def subscribed() -> BotMessage:
    return text(
        "Done! You're signed up for our offers and promotions in this chat. "
        'To stop, just write "unsubscribe" at any time.'
    )


def unsubscribed() -> BotMessage:
    return text(
        "Done: you won't get news or offers from us in this chat any more. "
        "Messages about your own orders still come. You can subscribe again whenever you like.",
    )


# --- tickets ------------------------------------------------------------------------


def complaint_opened(ticket: Ticket, order: OrderSummary | None = None) -> BotMessage:
    """The ticket's reference; `order` is the newest one under way, when the complaint was about a
    delivery and named none: its status, so the shopper knows which order the team will look at."""
    about = f" about order {ticket.order_id}" if ticket.order_id else ""
    status = ""
    if order is not None:
        tracking = f" (tracking number {order.tracking_number})" if order.tracking_number else ""
        status = f"Your latest order, {order.order_id}, is {status_words(order.status)}{tracking}. "
    return text(
        f"I'm really sorry about this. {status}I've passed your complaint{about} to our customer care team: "
        f"your reference is {ticket.ticket_id}. They'll get back to you in this chat. "
        "If you'd rather talk to someone now, I can bring in a person.",
        [HANDOFF_BUTTON],
    )


def complaint_noted(ticket: Ticket) -> BotMessage:
    """More complaining while the conversation's complaint ticket is open."""
    about = f" about order {ticket.order_id}" if ticket.order_id else ""
    return text(
        f"Noted, and I'm sorry. Your complaint{about} ({ticket.ticket_id}) is already with our customer care "
        "team, and they'll see everything you write here. If you'd rather talk to someone now, I can bring "
        "in a person.",
        [HANDOFF_BUTTON],
    )


def payment_help(problem: str, ticket: Ticket | None) -> BotMessage:
    """Advice for the problem, and the ticket the team answers in this chat (None on a channel a
    person can't write to: then where to reach one)."""
    if problem == "charged_twice":
        advice = ("Sorry about the double charge. Often the second one is only a hold that your bank releases "
                  f"within a few days{', but we will check it' if ticket else ''}.")
    elif problem == "declined":
        advice = ("Sorry your payment didn't go through. Please try again with the pay link, check the card "
                  "details and limit, or choose another method (PayPal, Apple Pay or Google Pay). Nothing is "
                  "charged for a declined payment.")
    else:
        advice = "Sorry about the trouble with your payment."
    if ticket is None:
        return text(
            f"{advice} Our team can't write to you in this chat: to have them look into it, please "
            f"{WHERE_A_PERSON_ANSWERS}.",
            [button("My orders", "order_status")],
        )
    return text(
        f"{advice} We've noted it: your reference is {ticket.ticket_id} and the team will answer in this chat.",
        [button("My orders", "order_status"), HANDOFF_BUTTON],
    )


def handoff(ticket: Ticket, reason: str = "asked") -> BotMessage:
    """The bot pauses after this: it says why, who comes, and that they answer right here."""
    opening = {
        "angry": "I'm really sorry, this clearly hasn't gone the way it should. I've asked a person from "
                 "the Bottega team to take over",
        "not_understood": "Sorry, I'm not getting this right. I've asked a person from the Bottega team to "
                          "take over",
    }.get(reason, "I've asked a member of the Bottega team to join")
    return text(
        f"{opening} (reference {ticket.ticket_id}). They'll reply right here in this chat, usually within "
        "working hours (Monday to Saturday, 9:00–18:00). Your cart and everything we talked about stay as "
        "they are; I'll be back once they're done, or say \"back to the bot\" to carry on with me."
    )


def not_understood() -> BotMessage:
    """A first turn the bot could not follow (Rasa's default fallback)."""
    return text(
        "Sorry, I didn't quite get that. Could you say it in other words? You can say e.g. "
        '"show me running shoes", "where is my order?" or "talk to a person".'
    )


def handoff_timed_out(ticket_id: str | None) -> BotMessage:
    reference = f" Your request {ticket_id} stays open" if ticket_id else " Your request stays open"
    return text(
        "I'm sorry, nobody from our team has been able to answer yet, so I'm back in the meantime."
        f"{reference}: a person will write to you right here as soon as they can. What can I do for you now?",
        [HANDOFF_BUTTON],
    )


# Where a person can answer a shopper who writes on a channel they can't write to (REST).
WHERE_A_PERSON_ANSWERS = "use our web chat, Messenger or WhatsApp, or visit a store"


def handoff_reply_only(reason: str = "asked") -> BotMessage:
    """On a channel a person can't write to: nothing is passed on that nobody could answer."""
    sorry = "I'm really sorry this hasn't gone well. " if reason == "angry" else ""
    return text(
        f"{sorry}I'm sorry, a person can't write to you in this chat. To talk to someone from the Bottega "
        f"team, {WHERE_A_PERSON_ANSWERS}; meanwhile I'm still here."
    )


def complaint_reply_only(order_id: str | None) -> BotMessage:
    about = f" about order {order_id}" if order_id else ""
    return text(
        f"I'm really sorry about this. Our customer care team can't write to you in this chat, so to have "
        f"your complaint{about} looked at, please {WHERE_A_PERSON_ANSWERS}. "
        "Meanwhile, tell me if there's anything I can do."
    )


def handoff_unavailable() -> BotMessage:
    return text(
        "I'm sorry, I can't reach our team right now. Please try again in a few minutes — or tell me "
        "what you need and I'll do my best.",
        [button("What can you do?", "help")],
    )


def handed_back(cart_items: int | None, payment_orders: Sequence[str], by_shopper: bool = False) -> BotMessage:
    parts = ["OK, I'm back, and I've told our team you don't need them any more." if by_shopper
             else "You're back with Bottega's assistant."]
    buttons: list[Button] = []
    if payment_orders:
        orders = ", ".join(payment_orders)
        parts.append(f"While you were with our team, there was news about the payment for {orders}.")
        buttons.extend(button(f"Check {order_id}", "order_status", order_id=order_id) for order_id in payment_orders)
    if cart_items:
        parts.append(f"Your cart still has {cart_items} item{'s' if cart_items != 1 else ''} in it.")
        buttons.append(button("View my cart", "view_cart"))
    parts.append("What can I do for you?")
    return text(" ".join(parts), buttons[:MAX_BUTTONS])


# --- satisfaction ---------------------------------------------------------------------


def did_that_help() -> BotMessage:
    return text(
        "Did that answer your question?",
        [button("👍 Yes, thanks", "feedback", rating="good"), button("👎 Not really", "feedback", rating="bad")],
    )


def glad_it_helped() -> BotMessage:
    return text("Great, glad I could help! Anything else I can do for you?")


def sorry_it_did_not_help() -> BotMessage:
    return text(
        "Sorry that didn't help. Tell me what you're looking for in other words, or a person from our "
        "team can take it from here.",
        [HANDOFF_BUTTON],
    )


def thanks_for_feedback() -> BotMessage:
    return text("Thanks for telling us — it goes straight to the team.")


def feedback_unclear() -> BotMessage:
    return text('Thanks! If you have feedback for the team, just write it here, e.g. "the delivery was quick".')


# --- erasure ------------------------------------------------------------------------


def ask_erasure() -> BotMessage:
    return text(
        "I can delete everything the shop holds about you from this chat: your cart, your marketing "
        "preferences, your support tickets and your name and address on your orders. Orders not yet "
        "shipped are cancelled (a paid one is refunded in full); the shop keeps the bare records of your "
        "orders (amounts and dates, with nobody's name on them) because the tax law requires it. "
        "This can't be undone. Shall I delete it?",
        [button("Yes, delete my data", "affirm"), button("No, keep it", "deny")],
    )


# Tells a channel that keeps its own copy of the conversation (the web chat's browser storage)
# to forget it too; channels that keep nothing ignore it.
CONVERSATION_ERASED = {"type": "conversation_erased"}


def erased(history_erased: bool = True) -> BotMessage:
    if history_erased:
        return BotMessage(
            text="Done: your cart, marketing preferences, support tickets and your details on your orders are "
            "deleted, and so is the history of this chat. If you write again, we start from scratch.",
            custom=CONVERSATION_ERASED,
        )
    return text(
        "Your cart, marketing preferences, support tickets and your details on your orders are deleted, "
        "but I couldn't delete "
        "the history of this chat just now. Please say \"delete my data\" again in a little while to "
        "finish; nothing else is kept."
    )


def erasure_blocked(order_ids: list[str]) -> BotMessage:
    which = ", ".join(order_ids) or "one of your orders"
    return text(
        f"I can't delete your data yet: order {which} is on its way to or from you, and the shop needs your "
        "address until it arrives. Nothing has been deleted. Please ask me again once it has been "
        "delivered (or your return has reached us).",
        [button("My orders", "order_status")],
    )


def erasure_declined() -> BotMessage:
    return text("OK, I haven't deleted anything: your cart, orders and preferences stay as they are.")


def erasure_not_asked() -> BotMessage:
    return text(
        'To delete your data, write "delete my data" and I\'ll tell you what it covers first.'
    )
