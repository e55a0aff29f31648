"""What a component's trained state depends on beyond its config: its data files and its code.

Rasa fingerprints a component by its class and config, so a trainer's edit to a data file, or a
change to the component's own code, would otherwise reuse the cached training. Each of our
components returns `files_digest(...)` from `fingerprint_addon`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path


def files_digest(*paths: str | Path) -> str:
    """SHA-256 over the files' contents (a missing file counts as such, never as an error)."""
    digest = hashlib.sha256()
    for path in paths:
        file = Path(path)
        digest.update(str(file).encode())
        digest.update(file.read_bytes() if file.is_file() else b"<missing>")
    return digest.hexdigest()
