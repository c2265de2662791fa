"""Writing generated files for other tools (the installer's manifests): each whole, or not at all.

A file is written to a temporary name in its folder and renamed into place, so a
reader (the installer, `oc apply -f`) never sees half of one, and a failure
leaves the previous file where it was.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_files(target: Path, files: dict[str, str], mode: int = 0o644) -> list[Path]:
    """Write `files` (name -> content) into `target`, each atomically with `mode`; the paths, sorted."""
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in sorted(files.items()):
        handle, temporary = tempfile.mkstemp(prefix=f".{name}.", dir=target)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(content)
            os.chmod(temporary, mode)
            os.replace(temporary, target / name)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        written.append(target / name)
    return written
