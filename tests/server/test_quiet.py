"""server/quiet.py filters the third-party start-up notices it names and nothing else: the same
kind of warning from our own code, another message from the same library, or another category
from it still shows. Nothing heavy is started; the warnings are raised as the libraries raise them."""

from __future__ import annotations

import logging
import os
import warnings

import pytest
from pyparsing.warnings import PyparsingDeprecationWarning
from sqlalchemy.exc import MovedIn20Warning, RemovedIn20Warning

from server import quiet
from server.action_server import CountRegistrations

SQLALCHEMY_20 = ("Deprecated API features detected! These feature(s) are not compatible with SQLAlchemy 2.0. "
                 "(Background on SQLAlchemy 2.0 at: https://sqlalche.me/e/b8d9)")
# What a second `make run` printed before these filters, from where it printed it.
NOTICES = [
    (DeprecationWarning, "pkg_resources is deprecated as an API. See https://setuptools.pypa.io/", "apscheduler"),
    (DeprecationWarning, "Deprecated call to `pkg_resources.declare_namespace('ruamel')`.\nImplementing implicit "
                         "namespace packages (as specified in PEP 420) is preferred", "pkg_resources"),
    (MovedIn20Warning, SQLALCHEMY_20, "rasa.core.tracker_store"),
    (RemovedIn20Warning, "The Query.get() method is considered legacy as of the 1.x series of SQLAlchemy and "
                         "becomes a legacy construct in 2.0. (Background on SQLAlchemy 2.0 at: "
                         "https://sqlalche.me/e/b8d9)", "rasa.core.tracker_store"),
    (DeprecationWarning, "distutils Version classes are deprecated. Use packaging.version instead.",
     "sanic_cors.extension"),
    (PyparsingDeprecationWarning, "'setParseAction' deprecated - use 'set_parse_action'",
     "matplotlib.fontconfig_pattern"),
]
# Warnings that must still show.
REAL = [
    (UserWarning, "the catalogue has no products", "components.catalogue"),
    (UserWarning, "pkg_resources is deprecated as an API", "actions.catalog"),
    (DeprecationWarning, "pkg_resources is deprecated as an API", "actions.catalog"),
    (DeprecationWarning, "distutils Version classes are deprecated", "server.action_server"),
    (MovedIn20Warning, SQLALCHEMY_20, "actions.clients.shop"),
    (DeprecationWarning, "BlockingScheduler is deprecated", "apscheduler.schedulers"),
    (DeprecationWarning, "a new deprecation", "matplotlib.pyplot"),
    (RuntimeWarning, "'setParseAction' deprecated - use 'set_parse_action'", "matplotlib.fontconfig_pattern"),
    (UserWarning, SQLALCHEMY_20, "rasa.core.tracker_store"),
]


def _shown(category: type[Warning], message: str, module: str) -> bool:
    """Whether the warning reaches the screen with our filters in front of sanic's "show every
    DeprecationWarning" (here: every warning)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        quiet.install_filters()
        warnings.warn_explicit(message, category, filename=module.replace(".", "/") + ".py", lineno=1, module=module)
    return bool(caught)


@pytest.mark.parametrize(("category", "message", "module"), NOTICES)
def test_the_named_notices_are_filtered(category: type[Warning], message: str, module: str) -> None:
    assert not _shown(category, message, module)


@pytest.mark.parametrize(("category", "message", "module"), REAL)
def test_other_warnings_still_show(category: type[Warning], message: str, module: str) -> None:
    assert _shown(category, message, module)


def _our_code_warns() -> None:
    warnings.warn("the shop's catalogue export is older than the model", UserWarning, stacklevel=1)


def test_a_warning_from_our_code_still_shows_once_the_servers_are_quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(quiet.TF_LOG_LEVEL_ENV, raising=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        quiet.apply()
        _our_code_warns()
        warnings.warn("pkg_resources is deprecated as an API", DeprecationWarning, stacklevel=1)
    assert [str(w.message) for w in caught] == ["the shop's catalogue export is older than the model",
                                                "pkg_resources is deprecated as an API"]
    assert os.environ[quiet.TF_LOG_LEVEL_ENV] == "2"


def test_an_explicit_tensorflow_log_level_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(quiet.TF_LOG_LEVEL_ENV, "0")
    quiet.quiet_tensorflow()
    assert os.environ[quiet.TF_LOG_LEVEL_ENV] == "0"


def _executor_logger(level: int) -> tuple[logging.Logger, CountRegistrations, list[str]]:
    logger = logging.getLogger(f"test_quiet.executor.{level}")
    logger.setLevel(level)
    logger.propagate = False
    seen: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: seen.append(record.getMessage())  # type: ignore[method-assign]
    logger.handlers = [handler]
    registrations = CountRegistrations()
    logger.filters = [registrations]
    return logger, registrations, seen


def test_the_action_servers_registrations_are_counted_not_listed() -> None:
    logger, registrations, seen = _executor_logger(logging.INFO)
    logger.info("Registered function for 'action_greet'.")
    logger.info("Registered function for 'action_view_cart'.")
    logger.info("Re-registered function for 'action_greet'.")
    logger.warning("Skipping built in Action action_listen.")
    assert registrations.count == 2
    assert seen == ["Re-registered function for 'action_greet'.", "Skipping built in Action action_listen."]


def test_the_registrations_are_listed_at_debug_level() -> None:
    logger, registrations, seen = _executor_logger(logging.DEBUG)
    logger.info("Registered function for 'action_greet'.")
    assert registrations.count == 1
    assert seen == ["Registered function for 'action_greet'."]
