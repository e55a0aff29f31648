"""The application: routers, error mapping, lifespan. Routes live in api/routes/."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from fastapi import Depends, FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from app.api.deps import require_admin_token, require_token
from app.api.guards import RequestGuard
from app.api.methods import MethodFallbacks
from app.api.openapi import NEEDS_TOKEN, ShopAPI
from app.api.routes import admin, care, carts, orders, products, public
from app.core.config import Settings, get_settings
from app.core.db import create_db_engine, make_sessionmaker
from app.errors import ShopError
from app.expiry import sweep_periodically
from app.notify import Notifier
from app.search.index import CatalogIndex
from app.seed.catalog import SYNONYMS

logger = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_db_engine(settings.shop_database_url, pool_size=settings.shop_db_pool_size)
        app.state.settings = settings
        app.state.session_factory = make_sessionmaker(engine)
        app.state.write_session_factory = make_sessionmaker(engine, write=True)
        app.state.search_index = CatalogIndex(SYNONYMS)
        app.state.search_index.build(app.state.session_factory)
        sweeper = None
        if settings.shop_expiry_sweep_seconds > 0:
            sweeper = asyncio.create_task(sweep_periodically(
                app.state.session_factory, app.state.write_session_factory, settings.shop_expiry_sweep_seconds))
        app.state.rate_limiters = {}
        app.state.notifier = Notifier(settings)
        app.state.notifier.start()
        yield
        app.state.notifier.stop()
        if sweeper is not None:
            sweeper.cancel()
            with suppress(asyncio.CancelledError):
                await sweeper
        engine.dispose()

    app = ShopAPI(title="Bottega shop service", version="1.0.0", lifespan=lifespan,
                  description="Catalogue, carts, orders, payments, returns and care for the Bottega assistant.")
    app.add_middleware(MethodFallbacks, router=app.router)
    app.add_middleware(RequestGuard)  # added last: the outermost, it sees every request first

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        # FastAPI's own handler echoes each offending `input`: personal data back in the answer, and
        # a 500 when the input cannot be encoded. Where and why is enough to fix a request.
        errors = [{key: value for key, value in e.items() if key != "input"} for e in error.errors()]
        return JSONResponse({"detail": jsonable_encoder(errors)}, status_code=422)

    @app.exception_handler(ShopError)
    async def _shop_error(_: Request, error: ShopError) -> JSONResponse:
        return JSONResponse({"detail": error.message, "code": error.code, **error.extra},
                            status_code=error.status_code)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        # Logged with the route's template only: paths hold customer ids and link tokens, bodies and
        # query strings personal data (app/logs.py).
        route = request.scope.get("route")
        logger.exception("unhandled error on %s %s", request.method, getattr(route, "path", "(no route)"))
        return JSONResponse({"detail": "Internal server error."}, status_code=500)

    for module in (products, carts, orders, care):
        app.include_router(module.router, dependencies=[Depends(require_token)], responses=NEEDS_TOKEN)
    app.include_router(admin.router, dependencies=[Depends(require_admin_token)], responses=NEEDS_TOKEN)
    app.include_router(public.router)
    return app
