"""Skipping the synthesis of a cluster whose inputs have not changed since the last one.

A synthesis costs 12 s or more, nearly all of it loading the AWS bindings, and
a little more per cluster. A cluster's output depends only on its configuration
(and the local files it names), the project's code and the tool versions, so
`synthesize` records a hash of those per cluster in the output folder (RECORD),
with the stacks it wrote. A run re-synthesizes only the clusters whose hash
changed or whose stacks are gone; when there are none it does not load the
bindings at all. The hashes are computed without loading the bindings.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from ..configuration.cluster import ClusterConfig
from ..configuration.topology import STACK_FILE
from . import PROJECT_ROOT

DEFAULT_OUTDIR = "cdktf.out"
OUTDIR_ENV = "CDKTF_OUTDIR"  # set by the cdktf CLI
RECORD = "ocp-upi-tf.synth.json"  # {"clusters": {name: {"fingerprint": ..., "stacks": [...]}}}
# The code and pins that shape the output (every .py file below modules/, at any depth,
# and these); tests/ and docs do not.
CODE = ("main.py", "cdktf.json", "Pipfile.lock", "package-lock.json")
TOOLS = ("cdktf", "cdktf-cdktf-provider-aws", "constructs", "jsii")


def resolve_outdir(outdir: str | os.PathLike[str] | None = None) -> Path:
    return Path(outdir or os.environ.get(OUTDIR_ENV) or DEFAULT_OUTDIR)


def code_files() -> list[Path]:
    return sorted((PROJECT_ROOT / "modules").rglob("*.py")) + [PROJECT_ROOT / name for name in CODE]


class _Digest:
    def __init__(self) -> None:
        self._hash = hashlib.sha256()

    def add(self, label: str, data: bytes) -> "_Digest":
        self._hash.update(f"{label}\0{len(data)}\0".encode())
        self._hash.update(data)
        return self

    def hex(self) -> str:
        return self._hash.hexdigest()


def code_digest() -> str:
    """The hash of what every cluster's output shares: the code and the tool versions."""
    digest = _Digest()
    for path in code_files():
        digest.add(path.relative_to(PROJECT_ROOT).as_posix(), path.read_bytes() if path.exists() else b"")
    digest.add("python", sys.version.encode())
    for tool in TOOLS:
        digest.add(tool, metadata.version(tool).encode())
    return digest.hex()


def fingerprint(config: ClusterConfig, code: str | None = None) -> str:
    """The hash of one cluster's inputs; `code` is code_digest(), computed once for a fleet."""
    digest = _Digest().add("code", (code or code_digest()).encode()).add("config", repr(config).encode())
    if config.bootstrap.ignition_is_local:  # uploaded as an asset: its bytes are output too
        digest.add("asset", Path(config.bootstrap.ignition).read_bytes())
    return digest.hex()


def fingerprints(configs: Sequence[ClusterConfig]) -> dict[str, str]:
    code = code_digest()
    return {config.cluster_name: fingerprint(config, code) for config in configs}


@dataclass(frozen=True)
class Synthesized:
    """What the output holds of one cluster: the hash of its inputs and the stacks written from them."""

    fingerprint: str
    stacks: tuple[str, ...]


def recorded(outdir: Path) -> dict[str, Synthesized]:
    """The clusters the output holds, by name; none when it has no record (or one of an older format,
    which names no cluster: everything is synthesized again)."""
    try:
        clusters = json.loads((outdir / RECORD).read_text())["clusters"]
        return {name: Synthesized(entry["fingerprint"], tuple(entry["stacks"])) for name, entry in clusters.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def write(outdir: Path, clusters: Mapping[str, Synthesized]) -> None:
    """Replace the record (atomically: a reader finds the old one or the new one)."""
    tmp = outdir / f".{RECORD}.tmp"
    body = {"clusters": {name: {"fingerprint": entry.fingerprint, "stacks": sorted(entry.stacks)}
                         for name, entry in sorted(clusters.items())}}
    tmp.write_text(json.dumps(body, indent=2) + "\n")
    tmp.replace(outdir / RECORD)


def forget(outdir: Path, names: Iterable[str]) -> dict[str, Synthesized]:
    """Before those clusters' output changes: a run interrupted midway must not find them complete.
    Their entries stay, with no fingerprint: their stacks are still known, and a removed cluster still
    removed (and warned of) by the next run. Returns the record of the others, as kept."""
    gone, record = set(names), recorded(outdir)
    if (outdir / RECORD).exists():
        write(outdir, {name: Synthesized("", entry.stacks) if name in gone else entry
                       for name, entry in record.items()})
    return {name: entry for name, entry in record.items() if name not in gone}


MANIFEST = "manifest.json"  # cdktf's list of the stacks in the output


def manifest(outdir: Path) -> dict[str, Any]:
    """cdktf's manifest in `outdir`: its `version` and its `stacks` by name; empty when unreadable."""
    try:
        document = json.loads((outdir / MANIFEST).read_text())
        stacks = document.get("stacks")
        return {"version": str(document.get("version", "")), "stacks": dict(stacks) if isinstance(stacks, dict) else {}}
    except (OSError, ValueError, AttributeError):
        return {"version": "", "stacks": {}}


@dataclass(frozen=True)
class Removed:
    """A cluster the fleet file no longer has, taken out of the output (synthesis.py)."""

    cluster: str
    left: tuple[Path, ...]  # its stack folders Terraform worked in, left whole

    def warning(self) -> str:
        where = (f"; Terraform worked in {', '.join(str(path) for path in self.left)}: left as they are "
                 "(run `terraform destroy` there, or delete them once the cluster is gone)") if self.left else ""
        return (f"{self.cluster}: no longer in the configuration, so no longer in the output. Nothing was "
                f"destroyed: whatever it applied is still in AWS, and its state with it{where}")


@dataclass(frozen=True)
class Synthesis:
    """What a synthesis did to the output folder."""

    outdir: Path
    synthesized: tuple[str, ...]  # the clusters written by this run
    unchanged: tuple[str, ...]  # the clusters asked for that were current already
    removed: tuple[Removed, ...] = ()
    dropped: tuple[tuple[Path, bool], ...] = ()  # folders of tiers no longer synthesized; left whole?

    def warnings(self) -> list[str]:
        return [*(removed.warning() for removed in self.removed),
                *(f"{path.name}: this tier is no longer in the configuration, so no longer in the output. Nothing "
                  "was destroyed: whatever it applied is still in AWS" + (
                      f"; Terraform worked in {path}: left as it is (run `terraform destroy` there, or delete it "
                      "once the tier is gone)" if left else "") for path, left in self.dropped)]


@dataclass(frozen=True)
class Work:
    """What a synthesis of `configs` into `outdir` has to do: decided without loading the bindings."""

    outdir: Path
    configs: tuple[ClusterConfig, ...]  # the clusters asked for (the fleet, or the one a command names)
    digests: Mapping[str, str]  # cluster name -> the fingerprint of its inputs now
    stale: tuple[str, ...]  # clusters to synthesize: changed, incomplete, or forced
    removed: tuple[str, ...]  # clusters the output holds that the fleet no longer has

    @property
    def nothing(self) -> bool:
        return not self.stale and not self.removed


def work(configs: Sequence[ClusterConfig], outdir: Path, *, force: bool = False, fleet: bool = True) -> Work:
    """What synthesizing `configs` into `outdir` takes. `fleet`: `configs` is the whole fleet, so a
    cluster the output holds and the fleet does not is removed; a command naming one cluster removes none."""
    record, listed = recorded(outdir), manifest(outdir)["stacks"]
    digests = fingerprints(configs)

    def complete(name: str) -> bool:
        entry = record.get(name)
        return entry is not None and entry.fingerprint == digests[name] and all(
            stack in listed and (outdir / "stacks" / stack / STACK_FILE).is_file() for stack in entry.stacks)

    stale = tuple(config.cluster_name for config in configs if force or not complete(config.cluster_name))
    removed = tuple(sorted(set(record) - set(digests))) if fleet else ()
    return Work(outdir, tuple(configs), digests, stale, removed)
