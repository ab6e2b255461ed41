"""Temporary names for files that are written elsewhere and moved into place when complete."""

from __future__ import annotations

import uuid
from pathlib import Path


def part_path(final: Path) -> Path:
    """A hidden, unique name beside `final`: same filesystem, so os.replace is an atomic rename.

    Unlike tempfile.mkstemp it does not create the file, which would make it private (0600); the
    writer creates it with the usual permissions.
    """
    return final.parent / f".{final.name}.{uuid.uuid4().hex[:8]}.part"
