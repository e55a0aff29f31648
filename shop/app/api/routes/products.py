"""Departments, search and product details."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from app import schemas
from app.api.deps import IndexDep, ReadDB, SettingsDep, get_factory
from app.api.openapi import errors
from app.crud import catalog
from app.images import image_url
from app.search.index import SearchQuery

router = APIRouter(tags=["catalog"])

Filter = Annotated[str | None, Query(max_length=60)]
Price = Annotated[Decimal | None, Query(ge=0, le=1_000_000, max_digits=12)]


@router.get("/departments", response_model=schemas.Departments)
def list_departments(db: ReadDB) -> schemas.Departments:
    return catalog.departments(db)


@router.get("/products", response_model=schemas.Products)
async def search_products(
    request: Request,
    index: IndexDep,
    settings: SettingsDep,
    q: Annotated[str, Query(max_length=200)] = "",
    department: Filter = None,
    brand: Filter = None,
    color: Filter = None,
    size: Filter = None,
    min_price: Price = None,
    max_price: Price = None,
    in_stock: bool = False,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
) -> schemas.Products:
    # Async on purpose: the index is only ever touched from the event loop's thread.
    index.refresh_if_due(get_factory(request), settings.shop_search_refresh_seconds)
    result = index.search(SearchQuery(q=q, department=department, brand=brand, color=color, size=size,
                                      min_price=min_price, max_price=max_price, in_stock=in_stock,
                                      limit=limit, offset=offset))
    base = settings.public_url
    return schemas.Products(
        total=result.total,
        search=schemas.SearchInfo(
            corrections=result.corrections, ignored=result.ignored, partial=result.partial,
            kind=result.kind, kind_missing=result.kind_missing,
        ),
        items=[schemas.ProductSummary(
            sku=h.doc.sku, name=h.doc.name, department=h.doc.department, brand=h.doc.brand,
            price=h.doc.price, currency=h.doc.currency, colors=list(h.doc.colors),
            sizes=list(h.doc.sizes), in_stock=h.in_stock, image_url=image_url(base, h.doc.sku),
        ) for h in result.hits],
    )


@router.get("/products/{sku}", response_model=schemas.ProductDetail, responses=errors(404))
def get_product(db: ReadDB, settings: SettingsDep,
                sku: Annotated[str, Path(max_length=40)]) -> schemas.ProductDetail:
    return catalog.product_detail(db, sku, settings.public_url)
