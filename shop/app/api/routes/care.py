"""Stores, promotions, consent, tickets and erasure."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status
from fastapi.exceptions import RequestValidationError

from app import schemas
from app.api.deps import CustomerPath, CustomerQuery, ReadDB, WriteDB
from app.api.openapi import errors
from app.crud import care, erasure

router = APIRouter(tags=["care"])


@router.get("/stores", response_model=schemas.Stores)
def find_stores(db: ReadDB,
                lat: Annotated[float | None, Query(ge=-90, le=90)] = None,
                lon: Annotated[float | None, Query(ge=-180, le=180)] = None,
                city: Annotated[str | None, Query(max_length=80)] = None,
                limit: Annotated[int, Query(ge=1, le=20)] = 3) -> schemas.Stores:
    if (lat is None) != (lon is None):
        raise RequestValidationError([{"type": "missing", "loc": ("query", "lon" if lon is None else "lat"),
                                       "msg": "Give both lat and lon, or neither."}])
    return care.stores(db, lat, lon, city, limit)


@router.get("/promotions", response_model=schemas.Promotions)
def active_promotions(db: ReadDB) -> schemas.Promotions:
    return care.promotions(db)


@router.post("/customers/{customer_id}/consents", response_model=schemas.Consents,
             status_code=status.HTTP_201_CREATED)
def record_consent(customer_id: CustomerPath, consent: schemas.ConsentCreate, db: WriteDB) -> schemas.Consents:
    care.record_consent(db, customer_id, consent)
    return care.consents(db, customer_id)


@router.get("/customers/{customer_id}/consents", response_model=schemas.Consents)
def list_consents(customer_id: CustomerPath, db: ReadDB) -> schemas.Consents:
    return care.consents(db, customer_id)


@router.post("/tickets", response_model=schemas.TicketPublic, status_code=status.HTTP_201_CREATED,
             responses=errors(404))
def open_ticket(ticket: schemas.TicketCreate, db: WriteDB) -> schemas.TicketPublic:
    return care.open_ticket(db, ticket)


@router.get("/tickets/{ticket_id}", response_model=schemas.TicketPublic, responses=errors(404))
def get_ticket(ticket_id: Annotated[str, Path(max_length=20)], customer_id: CustomerQuery,
               db: ReadDB) -> schemas.TicketPublic:
    return care.get_ticket(db, ticket_id, customer_id)


@router.post("/tickets/{ticket_id}/close", status_code=status.HTTP_204_NO_CONTENT,
             responses={404: {"description": "No such ticket for this customer"}})
def close_own_ticket(ticket_id: Annotated[str, Path(max_length=20)], customer_id: CustomerQuery,
                     db: WriteDB) -> None:
    """The assistant closes its customer's ticket (a hand-off ends when the bot resumes)."""
    care.close_ticket(db, ticket_id, customer_id)


@router.post("/feedback", response_model=schemas.FeedbackPublic, status_code=status.HTTP_201_CREATED)
def record_feedback(feedback: schemas.FeedbackCreate, db: WriteDB) -> schemas.FeedbackPublic:
    """A shopper's rating of a care answer and/or their comment (erased with the customer)."""
    return care.record_feedback(db, feedback)


@router.delete("/customers/{customer_id}", response_model=schemas.ErasureResult, responses=errors(409))
def erase_customer(customer_id: CustomerPath, db: WriteDB) -> schemas.ErasureResult:
    """Right to erasure: orders waiting for payment or shipping are cancelled (stock released, paid
    ones refunded), the others kept for accounting without the person; cart, consents, tickets and
    feedback are deleted. 409 `erasure_blocked` while an order is on its way or being returned."""
    return erasure.erase(db, customer_id)
