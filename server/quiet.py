"""Start-up notices of third-party code that nobody running Bottega can act on, filtered where they arise.

`python -m server` and `python -m server.action_server` call `apply()` before Rasa or rasa-sdk is
imported. Each filter names the notice's category, the start of its message and the module it is
reported from, so the same kind of warning from any other code — ours, or another library's — still
shows, and so do errors. TensorFlow's C++ start-up logs (no GPU, CPU instructions, TensorRT) are
left out the way stock Rasa leaves them out, with TF_CPP_MIN_LOG_LEVEL=2 (errors still show; set it
to 0 to see them all); stock Rasa sets it after server/fast_load.py has imported TensorFlow, too late.
"""

from __future__ import annotations

import os
import warnings

# (category, message, module): the message and module are regular expressions matched at their
# start (module: the one the warning is reported from, i.e. the code calling a deprecated API).
NOTICES: tuple[tuple[type[Warning], str, str], ...] = (
    # apscheduler 3 (Rasa's scheduler) imports pkg_resources, which setuptools deprecates
    (DeprecationWarning, r"pkg_resources is deprecated as an API", r"apscheduler\b"),
    # pkg_resources registering old-style namespace packages (mpl_toolkits, ruamel) as it is imported
    (DeprecationWarning, r"Deprecated call to `pkg_resources\.declare_namespace", r"pkg_resources\b"),
    # Rasa 3.6 uses SQLAlchemy 1.4 APIs that 2.0 moved or removed (MovedIn20Warning, RemovedIn20Warning)
    (DeprecationWarning, r".*SQLAlchemy 2\.0", r"rasa\."),
    # sanic-cors compares versions with distutils' LooseVersion
    (DeprecationWarning, r"distutils Version classes are deprecated", r"sanic_cors\."),
    # matplotlib 3.5's font configuration parser calls pyparsing 2 names (PyparsingDeprecationWarning)
    (DeprecationWarning, r"'\w+' deprecated - use '\w+'", r"matplotlib\."),
)
TF_LOG_LEVEL_ENV = "TF_CPP_MIN_LOG_LEVEL"


def install_filters() -> None:
    """Puts the filters in front of the warnings filters."""
    for category, message, module in NOTICES:
        warnings.filterwarnings("ignore", message=message, category=category, module=module)


def quiet_tensorflow() -> None:
    """TensorFlow's C++ logs from errors up, unless TF_CPP_MIN_LOG_LEVEL says otherwise; call it
    before TensorFlow is imported."""
    os.environ.setdefault(TF_LOG_LEVEL_ENV, "2")


def apply() -> None:
    """Quiets this process's start-up; call it before Rasa or rasa-sdk is imported.

    Importing sanic.app puts a "once" filter for every DeprecationWarning in front of all filters,
    which would shadow ours, so it is imported here, first (both servers import it anyway). Under
    that filter, the DeprecationWarnings TensorFlow's own imports raise would show once each, which
    Python's default filters keep quiet: `python -m server` imports TensorFlow before calling this.
    """
    quiet_tensorflow()
    import sanic.app  # noqa: F401

    install_filters()
