"""A customer's cart."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from app import schemas
from app.api.deps import CustomerPath, ReadDB, SettingsDep, WriteDB
from app.api.openapi import DOMAIN_422, errors
from app.crud import carts

router = APIRouter(prefix="/customers/{customer_id}/cart", tags=["cart"])
LineId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _view(db: ReadDB | WriteDB, customer_id: str, settings: SettingsDep) -> schemas.Cart:
    return carts.view(db, customer_id, settings.public_url, settings.shop_currency)


@router.get("", response_model=schemas.Cart)
def get_cart(customer_id: CustomerPath, db: ReadDB, settings: SettingsDep) -> schemas.Cart:
    return _view(db, customer_id, settings)


@router.post("/items", response_model=schemas.Cart, status_code=status.HTTP_201_CREATED,
             responses={**errors(400, 404, 409), **DOMAIN_422})
def add_item(customer_id: CustomerPath, item: schemas.CartItemCreate, db: WriteDB,
             settings: SettingsDep) -> schemas.Cart:
    carts.add_item(db, customer_id, item)
    return _view(db, customer_id, settings)


@router.patch("/items/{line_id}", response_model=schemas.Cart, responses=errors(404, 409))
def update_item(customer_id: CustomerPath, line_id: LineId, change: schemas.CartItemUpdate,
                db: WriteDB, settings: SettingsDep) -> schemas.Cart:
    carts.update_item(db, customer_id, line_id, change.quantity)
    return _view(db, customer_id, settings)


@router.delete("/items/{line_id}", response_model=schemas.Cart, responses=errors(404))
def remove_item(customer_id: CustomerPath, line_id: LineId, db: WriteDB,
                settings: SettingsDep) -> schemas.Cart:
    carts.remove_item(db, customer_id, line_id)
    return _view(db, customer_id, settings)


@router.delete("", response_model=schemas.Cart)
def clear_cart(customer_id: CustomerPath, db: WriteDB, settings: SettingsDep) -> schemas.Cart:
    carts.clear(db, customer_id)
    return _view(db, customer_id, settings)
