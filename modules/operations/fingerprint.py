"""Skipping a synthesis whose inputs have not changed since the last one.

A synthesis costs 12 s or more, nearly all of it loading the AWS bindings. Its
output depends only on the configuration (and the local files it names), the
project's code and the tool versions, so `synthesize` records a hash of those
in the output folder, and a run whose hash matches, with every stack still in
place, does nothing. The hash is computed without loading the bindings. Any
changed input, a missing stack, or `--force` re-synthesizes.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
from importlib import metadata
from pathlib import Path
from typing import Sequence

from ..configuration.cluster import ClusterConfig
from ..configuration.topology import STACK_FILE
from . import PROJECT_ROOT

DEFAULT_OUTDIR = "cdktf.out"
OUTDIR_ENV = "CDKTF_OUTDIR"  # set by the cdktf CLI
RECORD = "ocp-upi-tf.synth.json"
# The code and pins that shape the output (every .py file below modules/, at any depth,
# and these); tests/ and docs do not.
CODE = ("main.py", "cdktf.json", "Pipfile.lock", "package-lock.json")
TOOLS = ("cdktf", "cdktf-cdktf-provider-aws", "constructs", "jsii")


def resolve_outdir(outdir: str | os.PathLike[str] | None = None) -> Path:
    return Path(outdir or os.environ.get(OUTDIR_ENV) or DEFAULT_OUTDIR)


def code_files() -> list[Path]:
    return sorted((PROJECT_ROOT / "modules").rglob("*.py")) + [PROJECT_ROOT / name for name in CODE]


def fingerprint(configs: Sequence[ClusterConfig]) -> str:
    digest = hashlib.sha256()

    def add(label: str, data: bytes) -> None:
        digest.update(f"{label}\0{len(data)}\0".encode())
        digest.update(data)

    for config in configs:
        add("config", repr(config).encode())
        if config.bootstrap.ignition_is_local:  # uploaded as an asset: its bytes are output too
            add("asset", Path(config.bootstrap.ignition).read_bytes())
    for path in code_files():
        add(path.relative_to(PROJECT_ROOT).as_posix(), path.read_bytes() if path.exists() else b"")
    add("python", sys.version.encode())
    for tool in TOOLS:
        add(tool, metadata.version(tool).encode())
    return digest.hexdigest()


def unchanged(outdir: Path, digest: str) -> bool:
    """The output holds a complete synthesis of exactly these inputs."""
    try:
        record = json.loads((outdir / RECORD).read_text())
    except (OSError, ValueError):
        return False
    return record.get("fingerprint") == digest and all(
        (outdir / "stacks" / stack / STACK_FILE).is_file() for stack in record.get("stacks", []))


def forget(outdir: Path) -> None:
    """Before the output changes: a run interrupted midway must not look complete."""
    (outdir / RECORD).unlink(missing_ok=True)


def remember(outdir: Path, digest: str, stacks: Sequence[str]) -> None:
    tmp = outdir / f".{RECORD}.tmp"
    tmp.write_text(json.dumps({"fingerprint": digest, "stacks": sorted(stacks)}, indent=2) + "\n")
    tmp.replace(outdir / RECORD)
