"""Assembling clusters' tier stacks into one cdktf app, and writing it out safely.

`synthesize()` renders only the clusters whose inputs changed (fingerprint.py)
into a temporary folder beside the output folder and only then moves each of
their stacks' generated files into place; every other cluster's stack folder is
left as it was, to the byte and the time stamp. A run that fails (bad input, a
construct error, a kill) leaves the previous output as it was, and Terraform's
working files in the stack folders (`.terraform/`, the lock file, local state)
and the user's Terraform override files survive every re-synthesis.

A cluster gone from the fleet file leaves the output: its entries in the
manifest and the record, and the stack folders Terraform never worked in. A
folder Terraform worked in (its working files, a local state, an override) is
left whole, outside the manifest: its infrastructure may still be in AWS, and
that folder is where it can still be destroyed from (`Removed` says which).
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

from ..configuration.cluster import ClusterConfig
from ..configuration.topology import DEPENDENCIES, IMPORTS_FILE, Tier, stack_name
from ..constructs.cdk import App, Construct
from ..tiers import STACKS, TierStack
from ..tiers.inputs import FromConfiguration
from . import fingerprint
from .applied_record import SUFFIX
from .fingerprint import MANIFEST, Removed, Synthesis, Synthesized, Work, resolve_outdir

LOCK = ".ocp-upi-tf.synth.lock"  # held while a run writes the output

# Files Terraform writes into a stack folder; synthesis never touches them.
TERRAFORM_WORKING_FILES = (".terraform", ".terraform.lock.hcl", "terraform.tfstate",
                           "terraform.tfstate.backup", ".terraform.tfstate.lock.info",
                           f"terraform.tfstate{SUFFIX}")  # the state tier's applied record


def _kept(name: str) -> bool:
    """Terraform's working files, saved plans, the user's override files, and the import blocks of
    an interrupted run's recovery (recovery.py) until an apply has taken them."""
    return (name in TERRAFORM_WORKING_FILES or name.endswith(".tfplan") or name == IMPORTS_FILE
            or name in ("override.tf", "override.tf.json")
            or name.endswith(("_override.tf", "_override.tf.json")))


def build_cluster(app: Construct, config: ClusterConfig) -> dict[Tier, TierStack]:
    """Add one stack per tier of `config`'s cluster to `app` (the credentials tier only when configured)."""
    stacks: dict[Tier, TierStack] = {}
    source = FromConfiguration(config)
    for tier in config.tiers:
        stack_class = STACKS[tier]
        stack = stack_class(app, source)
        for dependency in DEPENDENCIES[tier]:
            stack.add_dependency(stacks[dependency])
        stacks[tier] = stack
    return stacks


def synthesize(configs: list[ClusterConfig], outdir: str | os.PathLike[str] | None = None) -> Path:
    """Synthesize every cluster of `configs` into `outdir`, changed or not (other clusters the output
    holds stay as they are)."""
    target = resolve_outdir(outdir)
    return run(fingerprint.work(configs, target, force=True, fleet=False)).outdir


def run(work: Work) -> Synthesis:
    """Do `work`: synthesize its stale clusters, retire its removed ones, record what the output holds."""
    target, stale = work.outdir, [config for config in work.configs if config.cluster_name in work.stale]
    unchanged = tuple(name for name in work.digests if name not in work.stale)
    if work.nothing:
        return Synthesis(target, (), unchanged)
    target.mkdir(parents=True, exist_ok=True)
    written: dict[str, Synthesized] = {}
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    with _exclusive(target):  # two commands at once (two terminals): one record and manifest, not a lost one
        before = fingerprint.recorded(target)
        try:
            if stale:
                app = App(outdir=str(staging))
                names = {config.cluster_name: [stack_name(config.cluster_name, tier)
                                               for tier in build_cluster(app, config)] for config in stale}
                app.synth()
                written = {name: Synthesized(work.digests[name], tuple(stacks)) for name, stacks in names.items()}
            # Until here the output is untouched. From here on, a stopped run finds none of these
            # clusters complete, and does them again.
            kept = fingerprint.forget(target, [*work.stale, *work.removed])
            _install(staging, target)
            gone = {stack for name in [*work.stale, *work.removed] for stack in before.get(name, NONE).stacks}
            gone -= {stack for entry in written.values() for stack in entry.stacks}
            retired = {target / "stacks" / stack: _retire(target / "stacks" / stack) for stack in sorted(gone)}
            _write_manifest(staging, target, {stack for entry in [*kept.values(), *written.values()]
                                              for stack in entry.stacks})
            fingerprint.write(target, {**kept, **written})
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    owned = {name: before.get(name, NONE).stacks for name in work.removed}
    removed = tuple(Removed(name, tuple(path for path, left in retired.items() if left and path.name in owned[name]))
                    for name in work.removed)
    dropped = tuple((path, left) for path, left in retired.items()
                    if not any(path.name in stacks for stacks in owned.values()))
    return Synthesis(target, tuple(written), unchanged, removed, dropped)


NONE = Synthesized("", ())


@contextlib.contextmanager
def _exclusive(target: Path) -> Iterator[None]:
    with open(target / LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _install(staging: Path, target: Path) -> None:
    """Move generated stack files from `staging` into `target`, keeping Terraform's working files."""
    (target / "stacks").mkdir(parents=True, exist_ok=True)
    if not (staging / "stacks").is_dir():
        return
    for new_stack in sorted((staging / "stacks").iterdir()):
        stack_dir = target / "stacks" / new_stack.name
        stack_dir.mkdir(exist_ok=True)
        generated = {entry.name for entry in new_stack.iterdir()}
        for old in stack_dir.iterdir():
            if old.name not in generated and not _kept(old.name):
                _remove(old)  # generated by an earlier run, gone from this one (an old asset)
        for entry in new_stack.iterdir():
            destination = stack_dir / entry.name
            if entry.is_dir() and destination.exists():
                _remove(destination)
            os.replace(entry, destination)


def _write_manifest(staging: Path, target: Path, listed: set[str]) -> None:
    """cdktf's manifest of every stack the output holds: this run's, and the kept clusters' as they were
    listed. Written last: whoever reads it finds every stack it names."""
    old, new = fingerprint.manifest(target), fingerprint.manifest(staging)
    stacks = {**old["stacks"], **new["stacks"]}
    document = {"version": new["version"] or old["version"],
                "stacks": {name: stacks[name] for name in sorted(listed) if name in stacks}}
    tmp = target / f".{MANIFEST}.tmp"
    tmp.write_text(json.dumps(document, indent=2) + "\n")
    tmp.replace(target / MANIFEST)


def _retire(stack_dir: Path) -> bool:
    """Remove a stack folder no synthesis makes any more, unless Terraform worked there; whether it is left."""
    if not stack_dir.is_dir():
        return False
    if any(_kept(entry.name) for entry in stack_dir.iterdir()):
        return True
    shutil.rmtree(stack_dir)
    return False


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()
