"""Dependencies injected into routes: settings, sessions, the search index, authentication."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Query, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from app import schemas
from app.core.config import Settings
from app.core.db import open_session
from app.search.index import CatalogIndex


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def get_factory(request: Request) -> sessionmaker[Session]:
    return request.app.state.session_factory  # type: ignore[no-any-return]


def get_read_db(request: Request) -> Iterator[Session]:
    yield from open_session(request.app.state.session_factory)


def get_write_db(request: Request) -> Iterator[Session]:
    yield from open_session(request.app.state.write_session_factory)


ReadDB = Annotated[Session, Depends(get_read_db)]
WriteDB = Annotated[Session, Depends(get_write_db)]


def get_index(request: Request) -> CatalogIndex:
    return request.app.state.search_index  # type: ignore[no-any-return]


IndexDep = Annotated[CatalogIndex, Depends(get_index)]

_bearer = HTTPBearer(auto_error=False)
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _matches(given: str, accepted: list[str]) -> bool:
    # Every accepted token is compared, in constant time, so timing tells nothing.
    results = [hmac.compare_digest(given.encode(), token.encode()) for token in accepted]
    return any(results)


def _check(credentials: HTTPAuthorizationCredentials | None, accepted: list[str], other: list[str],
           refusal: str) -> None:
    given = credentials.credentials if credentials else ""
    if given and _matches(given, accepted):
        return
    if given and _matches(given, other):
        # A real token of the other kind: the caller is known, the route is not theirs.
        raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail=refusal)
    raise HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail="A valid bearer token is required.",
        headers={"WWW-Authenticate": "Bearer"},
    )


def require_token(settings: SettingsDep, credentials: BearerDep) -> None:
    """The assistant's routes: `SHOP_API_TOKEN` (or its predecessor during a rotation)."""
    _check(credentials, settings.api_tokens(), settings.admin_tokens(),
           "This route needs the assistant's token (SHOP_API_TOKEN).")


def require_admin_token(settings: SettingsDep, credentials: BearerDep) -> None:
    """The operators' routes (/admin): `SHOP_ADMIN_TOKEN` (or its predecessor during a rotation)."""
    _check(credentials, settings.admin_tokens(), settings.api_tokens(),
           "This route needs the operators' token (SHOP_ADMIN_TOKEN).")


CustomerPath = Annotated[schemas.CustomerId, Path(description="<channel>:<sender id>, e.g. messenger:1234")]
CustomerQuery = Annotated[schemas.CustomerId, Query(description="The customer asking: <channel>:<sender id>")]
OrderIdPath = Annotated[str, Path(pattern=r"^[A-Za-z]{2}-[A-Za-z0-9]{4,16}$", max_length=20)]
