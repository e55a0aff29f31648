"""Stores, promotions, delivery and payment options, consent, tickets and erasure."""

from __future__ import annotations

import secrets

from tests.utils.api import Api

MILAN_DUOMO = (45.4642, 9.1900)


def test_nearest_stores_from_a_location(api: Api) -> None:
    stores = api.get("/stores", params={"lat": MILAN_DUOMO[0], "lon": MILAN_DUOMO[1], "limit": 3}).json()["items"]
    assert len(stores) == 3
    distances = [s["distance_km"] for s in stores]
    assert distances == sorted(distances) and distances[0] < 10
    assert stores[0]["city"] in {"Milan", "Milano"}
    assert set(stores[0]["opening_hours"]) == {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}


def test_stores_by_city_and_bad_coordinates(api: Api) -> None:
    city = api.get("/stores", params={"limit": 20}).json()["items"][0]["city"]
    in_city = api.get("/stores", params={"city": city.upper()}).json()["items"]
    assert in_city and all(s["city"] == city for s in in_city)
    assert api.get("/stores", params={"city": "Atlantis"}).json()["items"] == []
    assert api.get("/stores", params={"lat": 95, "lon": 0}).status_code == 422
    assert api.get("/stores", params={"lat": 45}).status_code == 422


def test_only_current_promotions(api: Api) -> None:
    promotions = api.get("/promotions").json()["items"]
    assert promotions
    from app.seed.catalog import PROMOTIONS

    expired = {p["code"] for p in PROMOTIONS if p["ends_days_from_now"] < 0}
    assert expired and not expired & {p["code"] for p in promotions}


def test_delivery_options_and_payment_methods(api: Api) -> None:
    options = {o["code"]: o for o in api.get("/delivery-options").json()["items"]}
    assert {"standard", "express", "next_day", "click_and_collect"} == set(options)
    assert options["standard"]["free_over"] == "50.00"
    assert {m["code"] for m in api.get("/payment-methods").json()["items"]} >= {"card", "paypal"}


def test_consent_history_keeps_the_latest(api: Api, customer: str) -> None:
    url = f"/customers/{customer}/consents"
    assert api.get(url).json()["items"] == []
    api.post(url, json={"channel": "messenger", "topic": "offers", "granted": True})
    current = api.post(url, json={"channel": "messenger", "topic": "offers", "granted": False}).json()["items"]
    assert [(c["topic"], c["granted"]) for c in current] == [("offers", False)]
    assert api.post(url, json={"channel": "messenger", "topic": "spam", "granted": True}).status_code == 422


def test_tickets_have_references_and_stay_private(api: Api, customer: str) -> None:
    created = api.post("/tickets", json={"customer_id": customer, "kind": "complaint",
                                         "subject": "Parcel arrived damaged", "body": "The box was crushed."})
    assert created.status_code == 201
    ticket = created.json()
    assert ticket["ticket_id"].startswith("TK-") and ticket["status"] == "open"
    assert api.get(f"/tickets/{ticket['ticket_id']}", params={"customer_id": customer}).json() == ticket
    assert api.get(f"/tickets/{ticket['ticket_id']}", params={"customer_id": "rest:other"}).status_code == 404
    assert api.post(f"/admin/tickets/{ticket['ticket_id']}/close").status_code == 204
    assert api.get(f"/tickets/{ticket['ticket_id']}", params={"customer_id": customer}).json()["status"] == "closed"


def test_the_desk_queue_lists_open_handoffs_oldest_first(api: Api, customer: str) -> None:
    def opened(kind: str, subject: str) -> str:
        answer = api.post("/tickets", json={"customer_id": customer, "kind": kind, "subject": subject})
        assert answer.status_code == 201
        return str(answer.json()["ticket_id"])

    first, complaint, second = opened("handoff", "Agent please"), opened("complaint", "Late"), opened("handoff", "Hi")

    def queue() -> list[str]:
        page = api.get("/admin/tickets", params={"status": "open", "kind": "handoff", "limit": 200}).json()
        assert page["total"] >= len(page["items"])
        assert all(t["kind"] == "handoff" and t["status"] == "open" for t in page["items"])
        return [t["ticket_id"] for t in page["items"] if t["customer_id"] == customer]

    assert queue() == [first, second]
    assert complaint not in queue()
    assert api.post(f"/admin/tickets/{first}/close").status_code == 204
    assert queue() == [second]
    closed = api.get("/admin/tickets", params={"status": "closed", "limit": 200}).json()["items"]
    assert first in [t["ticket_id"] for t in closed]
    assert api.get("/admin/tickets", params={"kind": "gossip"}).status_code == 422
    assert api.get("/admin/tickets", params={"limit": 0}).status_code == 422


def test_feedback_is_recorded_and_summed_up_per_topic(api: Api, customer: str) -> None:
    topic = f"t_{secrets.token_hex(4)}"  # the database is shared by the session's tests

    def rate(rating: str | None, comment: str = "") -> int:
        body = {"customer_id": customer, "rating": rating, "topic": topic, "comment": comment}
        return api.post("/feedback", json=body).status_code

    assert [rate("good"), rate("good"), rate("bad", "  The store was closed  ")] == [201, 201, 201]
    words = api.post("/feedback", json={"customer_id": customer, "comment": "Lovely chat"})
    assert words.status_code == 201 and words.json()["rating"] is None

    def ours() -> list[dict[str, object]]:
        summary = api.get("/admin/feedback/summary").json()
        return [t for t in summary["topics"] if t["topic"] == topic]

    assert ours() == [{"topic": topic, "good": 2, "bad": 1, "satisfaction": 0.667}]
    assert api.get("/admin/feedback/summary").json()["comments"] >= 2
    future = api.get("/admin/feedback/summary", params={"since": "2999-01-01T00:00:00Z"}).json()
    assert future == {"topics": [], "comments": 0}
    # Nothing to say, or something the desk can't use, is refused.
    assert rate(None) == 422
    assert rate("meh") == 422
    for refused in ({"topic": "Bad Topic!"}, {"extra": 1}):
        assert api.post("/feedback", json={"customer_id": customer, "rating": "good", **refused}).status_code == 422
    # Erasing the shopper erases what they said.
    assert api.delete(f"/customers/{customer}").json()["erased"] is True
    assert ours() == []


def test_erasure_removes_everything_about_a_customer(api: Api, customer: str) -> None:
    sku = api.get("/products", params={"q": "apples", "in_stock": "true", "limit": 1}).json()["items"][0]["sku"]
    api.add(customer, sku)
    api.post(f"/customers/{customer}/consents", json={"channel": "rest", "topic": "news", "granted": True})
    api.post("/tickets", json={"customer_id": customer, "kind": "question", "subject": "Hello there"})
    assert api.checkout(customer, "erase-key-0001").status_code == 201
    erased = api.delete(f"/customers/{customer}").json()
    assert (erased["customer_id"], erased["erased"], len(erased["cancelled"])) == (customer, True, 1)
    assert api.get(f"/customers/{customer}/orders").json() == {"items": [], "total": 0}
    assert api.get(f"/customers/{customer}/consents").json()["items"] == []
    assert api.get(f"/customers/{customer}/cart").json()["items"] == []
    assert api.delete(f"/customers/{customer}").json()["erased"] is False
