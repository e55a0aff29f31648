"""What the benchmark talks to: the stock `rasa init` bot and Bottega's full stack, each started
as processes of their own on free loopback ports (never 5005/5055/8100, so a running `make run`
is left alone) and stopped again however the run ends.

The stock bot is the project `rasa init --no-prompt` creates, trained once with a fixed seed and
cached under var/bench/stock/, keyed on the Rasa version and the seed; later runs reuse the model.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import yaml

ROOT = Path(__file__).resolve().parents[1]
ASSISTANT_BIN = ROOT / ".venv" / "assistant" / "bin"
SHOP_PYTHON = ROOT / ".venv" / "shop" / "bin" / "python"
BOTTEGA_MODEL = ROOT / "models" / "bottega.tar.gz"
STOCK_SEED = 20261207
# The components of Rasa's default configuration that draw random numbers: each gets STOCK_SEED.
SEEDED = ("DIETClassifier", "ResponseSelector", "UnexpecTEDIntentPolicy", "TEDPolicy")
START_TIMEOUT = 300.0  # a model load on a busy 2-core machine
STOP_TIMEOUT = 15.0


class StartupError(RuntimeError):
    """Something the benchmark needs did not start; the message says what and ends with its log."""


@dataclass(frozen=True)
class Target:
    """A bot's REST channel, and the texts that mean a turn failed although it answered 200."""

    name: str
    url: str  # Rasa's base URL
    headers: Mapping[str, str] = field(default_factory=dict)
    error_texts: tuple[str, ...] = ()

    @property
    def webhook(self) -> str:
        return f"{self.url}/webhooks/rest/webhook"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def log_tail(path: Path, characters: int = 3000) -> str:
    return path.read_text(errors="replace")[-characters:] if path.exists() else "(no log)"


class Processes:
    """Processes started for one run, each in its own process group with its output in a log file.

    `stop_all` (also on leaving the `with` block, however it is left) stops every one: SIGTERM to
    its group, SIGKILL after STOP_TIMEOUT.
    """

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.started: list[tuple[str, subprocess.Popen[bytes]]] = []

    def __enter__(self) -> Processes:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop_all()

    def pids(self) -> list[int]:
        """The processes started and still running."""
        return [process.pid for _, process in self.started if process.poll() is None]

    def log_of(self, name: str) -> Path:
        return self.logs / f"{name}.log"

    def start(self, name: str, command: Sequence[str], *, cwd: Path, env: Mapping[str, str]) -> subprocess.Popen[bytes]:
        self.logs.mkdir(parents=True, exist_ok=True)
        with self.log_of(name).open("wb") as log:
            process = subprocess.Popen(list(command), cwd=cwd, env=dict(env), stdout=log, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, start_new_session=True)
        self.started.append((name, process))
        return process

    def wait_ready(self, name: str, url: str, *, headers: Mapping[str, str] | None = None,
                   timeout: float = START_TIMEOUT, ready: Callable[[requests.Response], bool] | None = None) -> None:
        """Until `url` answers 200 (or `ready` accepts the answer); StartupError with the log's end
        when the process exits or the time runs out."""
        process = dict(self.started)[name]
        accept = ready or (lambda response: response.status_code == 200)
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise StartupError(f"{name} exited with code {process.returncode} while starting; "
                                   f"its log ({self.log_of(name)}) ends:\n{log_tail(self.log_of(name))}")
            if time.monotonic() > deadline:
                raise StartupError(f"{name} did not answer {url} within {timeout:.0f} s; "
                                   f"its log ({self.log_of(name)}) ends:\n{log_tail(self.log_of(name))}")
            try:
                if accept(requests.get(url, headers=dict(headers or {}), timeout=5)):
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)

    def stop_all(self) -> None:
        for _, process in reversed(self.started):
            if process.poll() is None:
                _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        for _, process in self.started:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait()
        self.started.clear()


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with suppress(ProcessLookupError):
        os.killpg(process.pid, sig)


# --- the stock bot ---------------------------------------------------------------------------------


def _rasa_package() -> Path:
    spec = importlib.util.find_spec("rasa")
    if spec is None or spec.origin is None:
        raise StartupError("Rasa is not installed in this environment: run `make setup`")
    return Path(spec.origin).parent


def stock_config() -> dict[str, Any]:
    """Rasa's default configuration (what a `rasa init` project trains with), every random seed fixed."""
    config: dict[str, Any] = yaml.safe_load(
        (_rasa_package() / "engine" / "recipes" / "config_files" / "default_config.yml").read_text())
    for component in [*config["pipeline"], *config["policies"]]:
        if component["name"] in SEEDED:
            component["random_seed"] = STOCK_SEED
    return config


def stock_folder(cache: Path) -> Path:
    """Where the stock project and model are cached: one folder per Rasa version and seed."""
    return cache / f"rasa-{importlib.metadata.version('rasa')}-seed-{STOCK_SEED}"


def create_stock_project(project: Path) -> None:
    """The files `rasa init --no-prompt` writes (rasa/cli/initial_project), with stock_config()."""
    shutil.copytree(_rasa_package() / "cli" / "initial_project", project)
    (project / "config.yml").write_text(yaml.safe_dump(stock_config(), sort_keys=False))


def stock_model(cache: Path, say: Callable[[str], None] = print) -> Path:
    """The stock bot's project folder with its trained model (models/stock.tar.gz): trained on the
    first run, reused afterwards. An interrupted training leaves nothing that looks finished."""
    folder = stock_folder(cache)
    project = folder / "project"
    model = project / "models" / "stock.tar.gz"
    if model.exists():
        return project
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    create_stock_project(project)
    say(f"bench: training the stock bot once (cached in {folder}); a few minutes")
    log = folder / "train.log"
    with log.open("wb") as out:
        trained = subprocess.run(
            [str(ASSISTANT_BIN / "rasa"), "train", "--out", "training", "--fixed-model-name", "stock"], cwd=project,
            env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"}, stdout=out, stderr=subprocess.STDOUT, check=False)
    if trained.returncode != 0 or not (project / "training" / "stock.tar.gz").exists():
        raise StartupError(f"training the stock bot failed (code {trained.returncode}); {log} ends:\n{log_tail(log)}")
    model.parent.mkdir(exist_ok=True)
    (project / "training" / "stock.tar.gz").rename(model)
    return project


STOCK_ERROR_TEXTS = ("Sorry I didn't get that", "I'm sorry, I didn't quite understand that")


@contextmanager
def stock_bot(processes: Processes, project: Path) -> Iterator[Target]:
    """The stock bot on a free port: plain `rasa run` with its own credentials.yml (the `rest` channel)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    processes.start("stock-rasa", [str(ASSISTANT_BIN / "rasa"), "run", "--enable-api", "--interface", "127.0.0.1",
                                   "--port", str(port), "--model", "models/stock.tar.gz",
                                   "--credentials", "credentials.yml"],
                    cwd=project, env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"})
    processes.wait_ready("stock-rasa", f"{url}/status")
    yield Target("stock", url, error_texts=STOCK_ERROR_TEXTS)


# --- Bottega -----------------------------------------------------------------------------------------

# What Bottega says when a turn went wrong: the shop unreachable or failing, the fallback's
# "Did you mean …?" and "rephrase", the desk unreachable, a hand-off (the bot pauses), a search
# that found nothing (the benchmark's searches all match the seed catalogue), or "the first one"
# with no products shown.
BOTTEGA_ERROR_TEXTS = (
    "can't reach the shop", "something went wrong", "not sure I understood", "didn't quite understand",
    "Could you rephrase", "didn't get that", "outside what I can help with", "can't reach our team",
    "asked a person", "Try leaving out", "Try other words", "You could have a look around",
    "haven't shown you any products", "Which product would you like",
)


def _run_stack() -> Any:
    """scripts/run_stack.py, which `make run` runs: the stack is started the way it starts it."""
    spec = importlib.util.spec_from_file_location("run_stack", ROOT / "scripts" / "run_stack.py")
    if spec is None or spec.loader is None:
        raise StartupError("scripts/run_stack.py is missing")
    module = importlib.util.module_from_spec(spec)
    sys.modules["run_stack"] = module
    spec.loader.exec_module(module)
    return module


@contextmanager
def bottega_stack(processes: Processes, workdir: Path, model: Path = BOTTEGA_MODEL) -> Iterator[Target]:
    """Shop and conversations (fresh SQLite databases in `workdir`), action server and Rasa with the trained model,
    started as `make run` starts them but on free ports; the REST channel with REST_CHANNEL_TOKEN."""
    if not model.exists():
        raise StartupError(f"no trained model at {model}: run `make train` first")
    run_stack = _run_stack()
    shop_port, action_port, rasa_port = free_port(), free_port(), free_port()
    env: dict[str, str] = run_stack.load_env()
    missing = [key for key in run_stack.REQUIRED_SECRETS if not env.get(key)]
    if missing:
        raise StartupError(f"{', '.join(missing)} must be set: `make setup` writes them into .env")
    env.update({"SHOP_PORT": str(shop_port), "SHOP_URL": f"http://127.0.0.1:{shop_port}",
                "ACTION_PORT": str(action_port), "RASA_PORT": str(rasa_port),
                "RASA_URL": f"http://127.0.0.1:{rasa_port}",
                "SHOP_DATABASE_URL": f"sqlite:///{workdir / 'shop.sqlite3'}",
                # endpoints.yml's tracker store, on a fresh file like the shop's
                "TRACKER_STORE_URL": f"sqlite:///{workdir / 'conversations.sqlite3'}"})
    workdir.mkdir(parents=True, exist_ok=True)
    endpoints = workdir / "endpoints.yml"
    endpoints.write_text((ROOT / "endpoints.yml").read_text().replace("127.0.0.1:5055", f"127.0.0.1:{action_port}"))
    rasa_url = env["RASA_URL"]
    processes.start("shop", [str(SHOP_PYTHON), "-m", "app.cli", "serve"], cwd=ROOT / "shop",
                    env=run_stack.service_env(env, "shop"))
    processes.start("actions", [str(ASSISTANT_BIN / "python"), "-m", "server.action_server", "--actions", "actions",
                                "--port", str(action_port)], cwd=ROOT, env=run_stack.service_env(env, "actions"))
    processes.start("rasa", [str(ASSISTANT_BIN / "python"), "-m", "server", "run", "--enable-api",
                             "--interface", "127.0.0.1", "--port", str(rasa_port), "--model", str(model),
                             "--endpoints", str(endpoints), "--credentials", run_stack.credentials_file(env)],
                    cwd=ROOT, env=run_stack.service_env(env, "rasa"))
    processes.wait_ready("shop", f"{env['SHOP_URL']}/health")
    processes.wait_ready("actions", f"http://127.0.0.1:{action_port}/health")
    # /status answers 200 once the model is loaded (409 before).
    processes.wait_ready("rasa", f"{rasa_url}/status", headers={"Authorization": f"Bearer {env['RASA_API_TOKEN']}"})
    yield Target("bottega", rasa_url, headers={"Authorization": f"Bearer {env['REST_CHANNEL_TOKEN']}"},
                 error_texts=BOTTEGA_ERROR_TEXTS)
