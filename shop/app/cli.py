"""`python -m app.cli <command>`: migrate, seed, generate a big catalogue, serve.

serve   migrate, seed an empty database, then run the HTTP service (what `make shop` runs)
prepare migrate and seed an empty database, then exit
seed-generated --count N   add N generated products (scale tests and benchmarks)
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from pydantic import ValidationError

from app.core.config import SHOP_DIR, Settings, get_settings
from app.core.db import create_db_engine, make_sessionmaker
from app.seed import catalog, load


class AlembicPreamble(logging.Filter):
    """Alembic says which dialect and DDL mode it uses on every run, with nothing to migrate too (twice
    per `make run`): those lines are dropped; its "Running upgrade …" lines, warnings and errors stay."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.levelno == logging.INFO
                    and record.getMessage().startswith(("Context impl ", "Will assume ")))


def migrate(database_url: str) -> None:
    config = Config(str(SHOP_DIR / "alembic.ini"))
    config.attributes["database_url"] = database_url
    command.upgrade(config, "head")


def prepare(settings: Settings) -> None:
    print(f"shop: migrating {_safe(settings.shop_database_url)}", flush=True)
    migrate(settings.shop_database_url)
    engine = create_db_engine(settings.shop_database_url)
    with make_sessionmaker(engine)() as session:
        if load.is_empty(session):
            print(f"shop: seeding the catalogue ({len(catalog.PRODUCTS)} products)", flush=True)
            load.load_reference(session, catalog.DEPARTMENTS, catalog.STORES, catalog.PROMOTIONS)
            load.load_products(session, catalog.PRODUCTS)
    engine.dispose()


def seed_generated(settings: Settings, count: int) -> None:
    from app.seed.generate import generate_products

    prepare(settings)
    engine = create_db_engine(settings.shop_database_url)
    with make_sessionmaker(engine)() as session:
        print(f"shop: generating {count:,} products", flush=True)
        load.load_products(session, generate_products(count), batch_size=5000,
                           progress=load.printing_progress(count, "generated"))
    engine.dispose()


def serve(settings: Settings) -> None:
    import uvicorn

    prepare(settings)
    print(f"shop: serving on http://{settings.shop_host}:{settings.shop_port}", flush=True)
    from app.logs import LOGGING_CONFIG

    uvicorn.run("app.api.main:create_app", factory=True, host=settings.shop_host,
                port=settings.shop_port, log_level="info", access_log=False, log_config=LOGGING_CONFIG)


def export_catalogue(settings: Settings, out: Path) -> None:
    from app.export import catalogue_export, write_if_changed

    prepare(settings)
    engine = create_db_engine(settings.shop_database_url)
    with make_sessionmaker(engine)() as session:
        data = catalogue_export(session)
    engine.dispose()
    written = write_if_changed(data, out)
    state = "written" if written else "unchanged"
    print(f"shop: catalogue export {state}: {out} ({len(data['products'])} products)", flush=True)


def _safe(url: str) -> str:
    """The URL without its password, for printing."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.cli", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve")
    sub.add_parser("prepare")
    gen = sub.add_parser("seed-generated")
    gen.add_argument("--count", type=int, default=100_000)
    export = sub.add_parser("export-catalogue", help="write the catalogue for the assistant's NLU (JSON)")
    export.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.migration").addFilter(AlembicPreamble())
    try:
        settings = get_settings()
    except ValidationError as error:
        print(f"shop: configuration error:\n{error}", file=sys.stderr)
        return 2
    if args.command == "serve":
        serve(settings)
    elif args.command == "prepare":
        prepare(settings)
    elif args.command == "export-catalogue":
        export_catalogue(settings, args.out)
    else:
        seed_generated(settings, args.count)
    return 0


if __name__ == "__main__":
    sys.exit(main())
