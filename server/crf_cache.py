"""Loads Rasa's CRFEntityExtractor from a cache of its trained CRFs instead of training them again.

Stock Rasa 3.6 does not keep the extractor's trained CRFs in the model: the archive holds their
training set (crf_dataset.json), and every load trains them again from it — about 9 of the 45 s a
start took on a 2-core machine. That training is deterministic (CRFsuite's L-BFGS: the same set and
settings give the same model file, byte for byte), so the CRFs trained on one start are kept in
$BOTTEGA_CACHE_DIR/crf/<key>.pkl (var/cache by default) and the next start with the same set loads
them. The key hashes everything the training reads — the set, the CRFs' order, the component's
settings, the CRF packages' versions — so a model trained on other data gets a new key and its own
entry; the least recently used entries beyond the newest few are removed. An unreadable or unwritable
cache only costs the training, as in stock Rasa.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import logging
import os
import pickle
import tempfile
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rasa.engine.graph import ExecutionContext
    from rasa.engine.storage.resource import Resource
    from rasa.engine.storage.storage import ModelStorage
    from rasa.nlu.extractors.crf_entity_extractor import CRFEntityExtractor

logger = logging.getLogger(__name__)

CACHE_DIR_ENV = "BOTTEGA_CACHE_DIR"
DEFAULT_CACHE_DIR = Path(__file__).resolve().parents[1] / "var" / "cache"
KEEP = 3  # entries kept: the current model's and a couple of recent ones (a branch switch back)
_applied = False


def cache_dir() -> Path:
    """Where the trained CRFs are kept: $BOTTEGA_CACHE_DIR/crf, var/cache/crf by default."""
    return Path(os.environ.get(CACHE_DIR_ENV) or DEFAULT_CACHE_DIR) / "crf"


def cache_key(dataset: bytes, order: bytes, config: dict[str, Any]) -> str:
    """A hash of everything CRFEntityExtractor.train_model reads."""
    versions = [importlib.metadata.version(name) for name in ("rasa", "sklearn-crfsuite", "python-crfsuite")]
    digest = hashlib.sha256()
    for part in (dataset, order, json.dumps(config, sort_keys=True, default=str).encode(), repr(versions).encode()):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def read(directory: Path, key: str) -> OrderedDict[str, Any] | None:
    """The CRFs stored under `key`, or None when there are none (or they cannot be read)."""
    path = directory / f"{key}.pkl"
    try:
        with path.open("rb") as file:
            taggers = pickle.load(file)  # noqa: S301  # written by write() below, never downloaded
        os.utime(path)  # most recently used: kept by the pruning
    except FileNotFoundError:
        return None
    except Exception as error:  # a damaged entry is a miss: training replaces it
        logger.warning("CRF cache: %s is unreadable (%s); training the CRFs instead", path, error)
        return None
    return taggers if isinstance(taggers, OrderedDict) else None


def write(directory: Path, key: str, taggers: OrderedDict[str, Any]) -> None:
    """Stores the CRFs under `key` (atomically) and removes the least recently used entries."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory, suffix=".tmp", delete=False) as file:
            pickle.dump(taggers, file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(file.name, directory / f"{key}.pkl")
        entries = sorted(directory.glob("*.pkl"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[KEEP:]:
            old.unlink(missing_ok=True)
    except OSError as error:
        logger.warning("CRF cache: cannot write %s (%s); the next start trains the CRFs again", directory, error)


def load_cached(
    cls: type[CRFEntityExtractor],
    config: dict[str, Any],
    model_storage: ModelStorage,
    resource: Resource,
    execution_context: ExecutionContext,
    **kwargs: Any,
) -> CRFEntityExtractor:
    """`CRFEntityExtractor.load` with the trained CRFs from the cache when it has them."""
    from rasa.nlu.extractors.crf_entity_extractor import CRFToken

    try:
        with model_storage.read_from(resource) as model_dir:
            dataset = (model_dir / "crf_dataset.json").read_bytes()
            order = (model_dir / "crf_order.json").read_bytes()
    except ValueError:  # the model has no trained extractor: what stock Rasa does
        logger.warning(f"Failed to load {cls.__name__} from model storage. Resource '{resource.name}' doesn't exist.")
        return cls(config, model_storage, resource)
    crf_order = json.loads(order)
    key = cache_key(dataset, order, config)
    directory = cache_dir()
    taggers = read(directory, key)
    if taggers is None:
        tokens = [[CRFToken.create_from_dict(token) for token in sentence] for sentence in json.loads(dataset)]
        taggers = cls.train_model(tokens, config, crf_order)
        write(directory, key, taggers)
    else:
        logger.debug("CRF cache: loaded the trained CRFs from %s", directory / f"{key}.pkl")
    extractor = cls(config, model_storage, resource, taggers)
    extractor.crf_order = crf_order
    return extractor


def apply() -> None:
    """Replaces `CRFEntityExtractor.load` with `load_cached` for this process (idempotent)."""
    global _applied
    if _applied:
        return
    from rasa.nlu.extractors.crf_entity_extractor import CRFEntityExtractor

    CRFEntityExtractor.load = classmethod(load_cached)  # type: ignore[method-assign, assignment, arg-type]
    _applied = True
