"""The action server's modules depend only downwards (docs/architecture.md, "Actions layering")."""

from __future__ import annotations

import ast

from tests.actions.conftest import PROJECT

ACTIONS = PROJECT / "actions"

# Bottom to top; a module imports only from the layers below its own. The clients package is one unit.
LAYERS: list[set[str]] = [
    {"clients", "identity"},
    {"responses", "message", "slots"},
    {"order_messages", "care_messages", "shop_errors", "forms"},
    {"order_choice"},
    {"catalog", "checkout", "orders", "returns", "care", "satisfaction", "handoff", "fallback", "greeting",
     "catalog_order"},
    # The cart hands a turn on to the search, the checkout and the unsubscribe actions.
    {"cart"},
]


def _unit(dotted: str) -> str | None:
    """The layering unit of an imported module ("actions.clients.shop" → "clients"), None outside actions."""
    parts = dotted.split(".")
    return parts[1] if parts[0] == "actions" and len(parts) > 1 else None


def _imported_units(source: str) -> set[str]:
    units: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            units.update(u for alias in node.names if (u := _unit(alias.name)))
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "actions":  # from actions import responses
                units.update(alias.name for alias in node.names)
            elif (unit := _unit(node.module)) is not None:
                units.add(unit)
    return units


def _layer_of(unit: str) -> int:
    return next(i for i, layer in enumerate(LAYERS) if unit in layer)


def test_every_module_has_a_layer() -> None:
    modules = {p.stem for p in ACTIONS.glob("*.py") if p.stem != "__init__"} | {"clients"}
    assert modules == set().union(*LAYERS)


def test_modules_import_only_from_layers_below() -> None:
    upward_or_sideways = []
    for path in sorted(ACTIONS.rglob("*.py")):
        unit = _unit("actions." + ".".join(path.relative_to(ACTIONS).with_suffix("").parts))
        if unit is None or unit == "__init__":
            continue
        for imported in _imported_units(path.read_text(encoding="utf-8")) - {unit}:
            if _layer_of(imported) >= _layer_of(unit):
                upward_or_sideways.append(f"{path.relative_to(PROJECT)} imports actions.{imported}")
    assert upward_or_sideways == []
