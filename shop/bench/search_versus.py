"""This search index against another commit's, side by side: precision@5 on shoppers' queries, and
the latency of the search benchmark's queries.

    python -m bench.search_versus [--baseline main] [--count 100000] [--rounds 50]

Both indexes are built in this process from the same fresh database (the seed catalogue, then the
seed plus `count` generated products); the baseline's index.py is read from git at `--baseline`.
Precision uses tests/utils/search_queries.py (its judge is written there). Latency alternates the two
indexes round by round over bench/search_latency.py's queries, so a busy host slows both alike:
compare the medians with each other, not with another run.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

from sqlalchemy import select

from app import models
from app.core.db import create_db_engine, make_sessionmaker
from app.search.index import CatalogIndex
from app.seed.catalog import SYNONYMS
from bench.search_latency import QUERIES, fill, percentile
from tests.utils.search_queries import CASES, Case, precision_at

SHOP = Path(__file__).resolve().parents[1]


def baseline_module(ref: str, workdir: Path) -> ModuleType:
    """The index module as it is at git `ref`, importable beside today's."""
    source = subprocess.run(["git", "show", f"{ref}:shop/app/search/index.py"], cwd=SHOP, check=True,
                            capture_output=True, text=True).stdout
    path = workdir / "baseline_index.py"
    path.write_text(source, encoding="utf-8")
    name = "bench._baseline_index"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


def search_query(module: ModuleType, params: dict[str, str], limit: int) -> Any:
    values: dict[str, Any] = {k: (v == "true" if k == "in_stock" else Decimal(v) if "price" in k else v)
                              for k, v in params.items() if k != "q"}
    return module.SearchQuery(q=params.get("q", ""), limit=limit, **values)


def build(module: ModuleType, url: str) -> Any:
    engine = create_db_engine(url)
    index = module.CatalogIndex(SYNONYMS)
    index.build(make_sessionmaker(engine))
    engine.dispose()
    return index


def catalogue_facts(url: str) -> dict[int, tuple[str, str, str]]:
    """product id → (name, category, department slug), for the judge."""
    engine = create_db_engine(url)
    p, d = models.Product, models.Department
    with make_sessionmaker(engine)() as session:
        rows = session.execute(select(p.id, p.name, p.category, d.slug).join(d, p.department_id == d.id))
        facts = {pid: (name, category, slug) for pid, name, category, slug in rows}
    engine.dispose()
    return facts


def precision(indexes: dict[str, tuple[ModuleType, Any]], facts: dict[int, tuple[str, str, str]]) -> None:
    scores: dict[str, list[float]] = {label: [] for label in indexes}
    print(f"\nPrecision@5 over {len(CASES)} queries (seed catalogue); queries whose score changed:\n")
    print(f"{'query':<58}" + "".join(f"{label:>12}" for label in indexes))
    for case in CASES:
        row = [_precision(case, module, index, facts) for module, index in indexes.values()]
        for label, value in zip(indexes, row, strict=True):
            scores[label].append(value)
        if len(set(row)) > 1:
            print(f"{case.label[:57]:<58}" + "".join(f"{value:>12.2f}" for value in row))
    print("-" * (58 + 12 * len(indexes)))
    print(f"{'mean precision@5':<58}" + "".join(f"{statistics.mean(v):>12.3f}" for v in scores.values()))
    print(f"{'queries with every result of the kind':<58}"
          + "".join(f"{sum(x == 1.0 for x in v):>9}/{len(v)}" for v in scores.values()))


def _precision(case: Case, module: ModuleType, index: Any, facts: dict[int, tuple[str, str, str]]) -> float:
    result = index.search(search_query(module, {"q": case.q, **case.params}, limit=5))
    return precision_at(case, [facts[hit.doc.product_id] for hit in result.hits])


def latency(indexes: dict[str, tuple[ModuleType, Any]], rounds: int, label: str) -> None:
    timings: dict[str, list[float]] = {name: [] for name in indexes}
    prepared = {name: [search_query(module, q, limit=10) for q in QUERIES]
                for name, (module, _) in indexes.items()}
    for name, (_, index) in indexes.items():  # warm-up
        for query in prepared[name]:
            index.search(query)
    for _ in range(rounds):
        for name, (_, index) in indexes.items():
            for query in prepared[name]:
                started = time.perf_counter()
                index.search(query)
                timings[name].append((time.perf_counter() - started) * 1000)
    base = statistics.median(next(iter(timings.values())))
    print(f"\nIndex search latency, {label} ({len(QUERIES)} queries x {rounds} rounds, alternating)")
    for name, values in timings.items():
        median = statistics.median(values)
        print(f"  {name:<12} p50 {median:7.3f} ms   p99 {percentile(values, 99):7.3f} ms   "
              f"x{median / base:.2f} of the first")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", default="main", help="git ref whose index to compare with")
    parser.add_argument("--count", type=int, default=100_000,
                        help="generated products for the big catalogue (0: the seed catalogue only)")
    parser.add_argument("--rounds", type=int, default=50, help="latency rounds per catalogue")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bottega-versus-") as tmp:
        modules = {args.baseline[:12]: baseline_module(args.baseline, Path(tmp)),
                   "this": sys.modules[CatalogIndex.__module__]}
        for label, count in (("seed", 0), (f"{args.count:,}", args.count))[:2 if args.count else 1]:
            url = f"sqlite:///{Path(tmp) / f'{label}.sqlite3'}"
            print(f"versus: preparing the {label} catalogue", flush=True)
            fill(url, count)
            indexes = {name: (module, build(module, url)) for name, module in modules.items()}
            if label == "seed":
                precision(indexes, catalogue_facts(url))
            latency(indexes, args.rounds, f"{label} catalogue")
    return 0


if __name__ == "__main__":
    sys.exit(main())
