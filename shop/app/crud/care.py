"""Customer care: stores, promotions, consent records and support tickets."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import models, schemas
from app.crud import customers, orders
from app.crud.orders import new_public_id
from app.errors import NotFound
from app.models import FeedbackRating, TicketKind, TicketStatus, utcnow
from app.search.index import compact

EARTH_RADIUS_KM = 6371.0088


def _distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def _store(store: models.Store, distance: float | None = None) -> schemas.StorePublic:
    return schemas.StorePublic(
        code=store.code, name=store.name, address=store.address, city=store.city,
        postcode=store.postcode, country=store.country, latitude=store.latitude,
        longitude=store.longitude, phone=store.phone, opening_hours=store.opening_hours,
        distance_km=None if distance is None else round(distance, 1))


def stores(session: Session, lat: float | None, lon: float | None, city: str | None,
           limit: int) -> schemas.Stores:
    """Nearest first from a point (with distances); a city name gives that city's stores."""
    everything = list(session.scalars(select(models.Store).order_by(models.Store.name)))
    if city:
        wanted = compact(city)
        in_city = [s for s in everything if compact(s.city) == wanted]
        if in_city:
            return schemas.Stores(items=[_store(s) for s in in_city[:limit]])
        return schemas.Stores(items=[])
    if lat is not None and lon is not None:
        ranked = sorted(((s, _distance_km(lat, lon, s.latitude, s.longitude)) for s in everything),
                        key=lambda pair: pair[1])
        return schemas.Stores(items=[_store(s, d) for s, d in ranked[:limit]])
    return schemas.Stores(items=[_store(s) for s in everything[:limit]])


def promotions(session: Session) -> schemas.Promotions:
    now = utcnow()
    active = session.scalars(select(models.Promotion).where(
        models.Promotion.starts_at <= now, models.Promotion.ends_at >= now).order_by(models.Promotion.ends_at))
    return schemas.Promotions(items=[schemas.PromotionPublic(
        code=p.code, title=p.title, description=p.description,
        department=p.department.slug if p.department else None, percent_off=p.percent_off,
        amount_off=p.amount_off, min_order=p.min_order, ends_at=p.ends_at,
        uses_per_customer=p.uses_per_customer, uses_total=p.uses_total)
        for p in active])


def record_consent(session: Session, customer_id: str, consent: schemas.ConsentCreate) -> None:
    customer = customers.get_or_create(session, customer_id)
    session.add(models.Consent(customer_pk=customer.id, channel=consent.channel, topic=consent.topic,
                               granted=consent.granted))
    session.commit()


def consents(session: Session, customer_id: str) -> schemas.Consents:
    """The consent in force per (channel, topic): the latest record wins."""
    customer = customers.find(session, customer_id)
    current: dict[tuple[str, str], models.Consent] = {}
    if customer is not None:
        for record in session.scalars(select(models.Consent).where(models.Consent.customer_pk == customer.id)
                                      .order_by(models.Consent.at, models.Consent.id)):
            current[(record.channel, record.topic)] = record
    return schemas.Consents(customer_id=customer_id, items=[
        schemas.ConsentPublic(channel=c.channel, topic=c.topic, granted=c.granted, at=c.at)
        for c in current.values()])


def _ticket(ticket: models.Ticket, customer_id: str) -> schemas.TicketPublic:
    return schemas.TicketPublic(ticket_id=ticket.ticket_id, customer_id=customer_id, kind=ticket.kind.value,
                                status=ticket.status.value, subject=ticket.subject,
                                order_id=ticket.order_id, created_at=ticket.created_at)


def open_ticket(session: Session, ticket_in: schemas.TicketCreate) -> schemas.TicketPublic:
    # A ticket names only the customer's own order (UnknownOrder otherwise, as for any order route).
    order_id = orders.get(session, ticket_in.order_id, ticket_in.customer_id).order_id if ticket_in.order_id else None
    customer = customers.get_or_create(session, ticket_in.customer_id)
    ticket = models.Ticket(ticket_id=new_public_id("TK"), customer_pk=customer.id,
                           kind=TicketKind(ticket_in.kind), status=TicketStatus.open,
                           subject=ticket_in.subject, body=ticket_in.body, order_id=order_id)
    session.add(ticket)
    session.commit()
    return _ticket(ticket, customer.customer_id)


def get_ticket(session: Session, ticket_id: str, customer_id: str) -> schemas.TicketPublic:
    ticket = session.scalar(select(models.Ticket).join(models.Customer).where(
        func.upper(models.Ticket.ticket_id) == ticket_id.upper(), models.Customer.customer_id == customer_id))
    if ticket is None:
        raise NotFound(f"No ticket {ticket_id} was found for you.")
    return _ticket(ticket, customer_id)


def list_tickets(session: Session, status: TicketStatus | None, kind: TicketKind | None,
                 limit: int) -> schemas.TicketsPublic:
    """Tickets for the care desk, oldest first: the order a queue is worked in."""
    conditions = []
    if status is not None:
        conditions.append(models.Ticket.status == status)
    if kind is not None:
        conditions.append(models.Ticket.kind == kind)
    total = session.scalar(select(func.count()).select_from(models.Ticket).where(*conditions)) or 0
    rows = session.execute(
        select(models.Ticket, models.Customer.customer_id).join(models.Customer).where(*conditions)
        .order_by(models.Ticket.created_at, models.Ticket.id).limit(limit)
    ).all()
    return schemas.TicketsPublic(items=[_ticket(ticket, who) for ticket, who in rows], total=total)


def record_feedback(session: Session, feedback_in: schemas.FeedbackCreate) -> schemas.FeedbackPublic:
    customer = customers.get_or_create(session, feedback_in.customer_id)
    feedback = models.Feedback(customer_pk=customer.id, topic=feedback_in.topic,
                               rating=FeedbackRating(feedback_in.rating) if feedback_in.rating else None,
                               comment=feedback_in.comment)
    session.add(feedback)
    session.commit()
    return schemas.FeedbackPublic(customer_id=customer.customer_id, rating=feedback_in.rating,
                                  topic=feedback.topic, comment=feedback.comment, created_at=feedback.created_at)


def _as_utc(moment: datetime) -> datetime:
    """A moment in UTC: naive means UTC; beyond what datetime holds is the start or end of time."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59:59-14:00 is in the year 10000
        return (datetime.max if moment.year == datetime.max.year else datetime.min).replace(tzinfo=UTC)


def feedback_summary(session: Session, since: datetime | None) -> schemas.FeedbackSummary:
    """Good and bad ratings per topic, and the number of comments, for the merchant."""
    window = [models.Feedback.created_at >= _as_utc(since)] if since is not None else []
    rated = session.execute(
        select(models.Feedback.topic, models.Feedback.rating, func.count())
        .where(models.Feedback.rating.is_not(None), *window)
        .group_by(models.Feedback.topic, models.Feedback.rating)
    ).all()
    counts: dict[str, dict[FeedbackRating, int]] = {}
    for topic, rating, count in rated:
        counts.setdefault(topic or "other", {})[rating] = count
    topics = []
    for topic, by_rating in sorted(counts.items()):
        good, bad = by_rating.get(FeedbackRating.good, 0), by_rating.get(FeedbackRating.bad, 0)
        topics.append(schemas.TopicSatisfaction(topic=topic, good=good, bad=bad,
                                                satisfaction=round(good / (good + bad), 3)))
    comments = session.scalar(select(func.count()).select_from(models.Feedback)
                              .where(models.Feedback.comment != "", *window)) or 0
    return schemas.FeedbackSummary(topics=topics, comments=comments)


def close_ticket(session: Session, ticket_id: str, customer_id: str | None = None) -> None:
    """Closes a ticket; with `customer_id`, only that customer's (another's answers 404, like a missing one)."""
    query = select(models.Ticket).where(func.upper(models.Ticket.ticket_id) == ticket_id.upper())
    if customer_id is not None:
        query = query.join(models.Customer).where(models.Customer.customer_id == customer_id)
    ticket = session.scalar(query)
    if ticket is None:
        raise NotFound(f"No ticket {ticket_id}.")
    ticket.status = TicketStatus.closed
    ticket.updated_at = utcnow()
    session.commit()
