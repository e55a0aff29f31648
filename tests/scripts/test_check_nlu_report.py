"""The NLU gate of `make test-dialogue` fails below its floors and when a report is missing."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "check_nlu_report.py"


def _gate() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_nlu_report", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _reports(folder: Path, intent: float, entity: float, response: float) -> None:
    weighted = {"weighted avg": {"f1-score": intent}}
    (folder / "intent_report.json").write_text(json.dumps(
        {"accuracy": intent, **weighted, "greet": {"f1-score": 0.4, "support": 3}}))
    (folder / "DIETClassifier_report.json").write_text(json.dumps({"weighted avg": {"f1-score": entity}}))
    (folder / "response_selection_report.json").write_text(json.dumps({"accuracy": response}))


def test_figures_above_the_floors_pass(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _reports(tmp_path, 0.95, 0.95, 0.95)
    assert _gate().main(tmp_path) == 0
    assert "intents read badly (F1 < 0.5): greet" in capsys.readouterr().out


@pytest.mark.parametrize(("intent", "entity", "response"), [(0.89, 0.95, 0.95), (0.95, 0.89, 0.95),
                                                           (0.95, 0.95, 0.84)])
def test_any_figure_below_its_floor_fails(tmp_path: Path, intent: float, entity: float, response: float) -> None:
    _reports(tmp_path, intent, entity, response)
    assert _gate().main(tmp_path) == 1


def test_a_missing_report_fails(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match=r"intent_report\.json is missing"):
        _gate().main(tmp_path)
