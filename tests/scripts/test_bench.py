"""`make bench`'s harness at a tiny scale against real servers: Bottega's whole stack started the way
the benchmark starts it (shop, action server, Rasa with the trained model), a few turns and a
crowd of two. It proves what results.json holds and that failed turns are counted; it asserts no
timing (the benchmark prints figures, it never fails on a slow machine).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from bench import report, stacks, turns
from bench.__main__ import measure
from bench.load import converse, cpu_seconds, crowd, summarise
from bench.stacks import Processes, StartupError, Target

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bottega(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    folder = tmp_path_factory.mktemp("bench")
    with Processes(folder / "logs") as processes, stacks.bottega_stack(processes, folder / "bottega") as target:
        yield target


def test_a_tiny_run_gives_every_figure_of_results_json(bottega: Target, tmp_path: Path) -> None:
    figures = measure(bottega, "test", turns.bottega_turns, seq_turns=3, shoppers=2, turns_each=2, warmup=1,
                      say=lambda _: None)

    assert figures["errors"] == 0, figures["error_examples"]
    assert (figures["seq_turns"], figures["conc_messages"], len(figures["seq_ms"])) == (3, 4, 3)
    for name in report.FIGURES:
        assert isinstance(figures[name], int | float) and figures[name] >= 0, name
    assert figures["conc_msgs_per_s"] > 0
    assert figures["seq_p50_first_ms"] <= figures["seq_p99_first_ms"]
    assert figures["conc_p50_ms"] <= figures["conc_p99_ms"]

    # The same figures in both places: this checks the file's shape, not a comparison.
    results = {"stock": figures, "bottega": figures}
    report.write_results(tmp_path / "results.json", results)
    written = json.loads((tmp_path / "results.json").read_text())
    assert set(written) == {"stock", "bottega"}
    assert set(report.FIGURES) <= set(written["bottega"])
    report.plot(tmp_path / "latency.png", results)
    assert (tmp_path / "latency.png").read_bytes().startswith(b"\x89PNG")
    table = report.table(results, 3, 3, 2, 2)
    assert "one shopper, p50 of turns 1-3" in table and "no errors (stock + Bottega)" in table
    assert "1.00   met" in table  # Bottega against itself: the ratios are 1


def test_a_results_file_without_a_figure_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="conc_p99_ms"):
        report.write_results(tmp_path / "results.json", {"stock": {name: 1 for name in report.FIGURES
                                                                   if name != "conc_p99_ms"}})


def test_turns_that_fail_are_counted_whatever_the_failure(bottega: Target) -> None:
    wrong_token = Target("bottega", bottega.url, headers={"Authorization": "Bearer not-the-rest-channel-token"},
                         error_texts=bottega.error_texts)
    refused = converse(wrong_token, "bench-test-refused", ["hi", "show me running shoes"])
    assert [turn.error for turn in refused] == ["HTTP 401", "HTTP 401"]

    # A 200 that is a failure: "the first one" before any product was shown.
    answered = converse(bottega, "bench-test-nothing-shown", ["hi", "tell me more about the first one"])
    assert answered[0].error is None and answered[0].replies
    assert answered[1].error is not None and "error reply" in answered[1].error, answered[1]

    nobody = Target("nobody", f"http://127.0.0.1:{stacks.free_port()}")
    unreachable, seconds = crowd(nobody, ["a", "b"], [["hi"], ["hi", "bye"]])
    assert len(unreachable) == 3 and all(t.error and t.error.startswith("request failed") for t in unreachable)

    figures = summarise([*refused, *answered], unreachable, seconds)
    assert figures["errors"] == 2 + 1 + 3
    assert {example["error"] for example in figures["error_examples"]} >= {"HTTP 401"}


def test_the_stock_bot_is_rasa_inits_project_with_every_seed_fixed(tmp_path: Path) -> None:
    stacks.create_stock_project(tmp_path / "project")

    for name in ("domain.yml", "credentials.yml", "data/nlu.yml", "data/stories.yml", "data/rules.yml"):
        assert (tmp_path / "project" / name).exists(), name
    config = yaml.safe_load((tmp_path / "project" / "config.yml").read_text())
    components = {c["name"]: c for c in [*config["pipeline"], *config["policies"]]}
    assert {"DIETClassifier", "TEDPolicy", "UnexpecTEDIntentPolicy", "RulePolicy"} <= set(components)
    for name in stacks.SEEDED:
        assert components[name]["random_seed"] == stacks.STOCK_SEED
    assert "rest" in yaml.safe_load((tmp_path / "project" / "credentials.yml").read_text())
    # The cache is keyed on the Rasa version and the seed: another version trains its own.
    assert stacks.stock_folder(tmp_path).name == f"rasa-3.6.21-seed-{stacks.STOCK_SEED}"


def test_a_server_that_does_not_start_is_a_clear_error_and_nothing_is_left_running(tmp_path: Path) -> None:
    with Processes(tmp_path) as processes:
        processes.start("broken", [sys.executable, "-c", "print('no model here'); raise SystemExit(3)"],
                        cwd=tmp_path, env={})
        with pytest.raises(StartupError, match=r"broken exited with code 3(.|\n)*no model here"):
            processes.wait_ready("broken", f"http://127.0.0.1:{stacks.free_port()}/", timeout=30)

    with pytest.raises(StartupError, match="make train"), Processes(tmp_path) as processes, \
            stacks.bottega_stack(processes, tmp_path, tmp_path / "none.tar.gz"):
        pass

    # A failure after start-up stops the process and the children it started (its process group).
    marker = tmp_path / "child.pid"
    started: list[subprocess.Popen[bytes]] = []
    with pytest.raises(RuntimeError, match="measurement failed"):
        _start_then_fail(tmp_path, marker, started)
    server, = started
    assert server.poll() is not None
    child, deadline = int(marker.read_text()), time.monotonic() + 10
    while _running(child):  # its SIGTERM is delivered; a busy machine may take a moment to run it
        assert time.monotonic() < deadline, "its child still runs"
        time.sleep(0.1)


def _start_then_fail(folder: Path, marker: Path, started: list[subprocess.Popen[bytes]]) -> None:
    """A server whose child writes its pid to `marker`, then a failure while it runs."""
    with Processes(folder) as processes:
        started.append(processes.start("server", ["bash", "-c", f"sleep 300 & echo $! > {marker}; wait"],
                                       cwd=folder, env={"PATH": "/usr/bin:/bin"}))
        deadline = time.monotonic() + 10
        while not marker.exists() or not marker.read_text().strip():
            assert time.monotonic() < deadline, "the server never started its child"
            time.sleep(0.05)
        raise RuntimeError("measurement failed")


def _running(pid: int) -> bool:
    """Whether `pid` runs: a zombie (killed, not yet reaped by its new parent) does not."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def test_cpu_time_counts_a_process_and_its_children() -> None:
    # A parent that starts a child burning CPU: the child's time is counted under the parent.
    burner = subprocess.Popen([sys.executable, "-c", (
        "import subprocess, sys, time;"
        "child = subprocess.Popen([sys.executable, '-c', 'import time\\nend = time.process_time() + 0.6\\n"
        "while time.process_time() < end: pass\\ntime.sleep(30)']);"
        "time.sleep(30)")])
    try:
        deadline = time.monotonic() + 20
        while cpu_seconds([burner.pid]) < 0.5 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert cpu_seconds([burner.pid]) >= 0.5
    finally:
        for child in Path(f"/proc/{burner.pid}/task/{burner.pid}/children").read_text().split():
            os.kill(int(child), signal.SIGKILL)
        burner.kill()
        burner.wait()
    assert cpu_seconds([burner.pid]) == 0.0  # gone: nothing to count
