"""Customers are created the first time a channel identity does something that needs one."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import models


def find(session: Session, customer_id: str) -> models.Customer | None:
    return session.scalar(select(models.Customer).where(models.Customer.customer_id == customer_id))


def get_or_create(session: Session, customer_id: str) -> models.Customer:
    customer = find(session, customer_id)
    if customer is not None:
        return customer
    customer = models.Customer(customer_id=customer_id)
    try:
        with session.begin_nested():  # a concurrent first request may create the same customer
            session.add(customer)
    except IntegrityError:
        customer = find(session, customer_id)
        assert customer is not None
    return customer

