"""Schemathesis against the shop's own OpenAPI document: generated requests (valid, boundary and
invalid) to every documented operation, each answer checked against what the document promises.

Fails on any 5xx, on a status, header, content type or body the document does not describe, and on
invalid input that is accepted. Bounded in time (BOTTEGA_FUZZ_SECONDS per database, default 60) with
a fixed seed, so a run is repeatable; set BOTTEGA_FUZZ_SEED to explore other inputs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.utils.server import ShopProcess

FUZZ_SECONDS = int(os.environ.get("BOTTEGA_FUZZ_SECONDS", "60"))
FUZZ_SEED = os.environ.get("BOTTEGA_FUZZ_SEED", "20260805")
CHECKS = ",".join([
    "not_a_server_error", "status_code_conformance", "content_type_conformance",
    "response_headers_conformance", "response_schema_conformance", "negative_data_rejection",
    "missing_required_header", "unsupported_method", "allow_header_conformance", "ignored_auth",
])


def test_the_api_answers_as_its_openapi_document_says(shop: ShopProcess, tmp_path: Path) -> None:
    command = [
        str(Path(sys.executable).with_name("schemathesis")), "run", f"{shop.url}/openapi.json",
        "--checks", CHECKS, "--phases", "examples,coverage,fuzzing",
        "--max-time", str(FUZZ_SECONDS), "--seed", FUZZ_SEED,
        # One worker: with two, hypothesis's ast.parse in two threads at once trips CPython 3.11's
        # "AST constructor recursion depth mismatch" (a SystemError reported as a runtime error).
        "--workers", "1",
        "--request-timeout", "30", "--max-failures", "50", "--no-color",
        "--header", f"Authorization: Bearer {shop.token}",
        # Its own client address: the fuzzing spends its own allowance on the public routes.
        "--header", "X-Forwarded-For: 192.0.2.77",
        "--report", "junit", "--report-dir", str(tmp_path),
    ]
    run = subprocess.run(command, capture_output=True, text=True, timeout=FUZZ_SECONDS + 240, cwd=tmp_path,
                         env={**os.environ, "SCHEMATHESIS_HOOKS": ""})
    output = run.stdout + run.stderr
    report = output if len(output) < 40000 else output[:15000] + "\n...\n" + output[-25000:]
    assert run.returncode == 0, report
    assert "No issues found" in report or "passed" in report, report
