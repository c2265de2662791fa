"""What a plan review reviewed, kept so that `main.py apply --reviewed DIR` applies exactly that.

`DIR/reviewed.json` names the cluster and, per stack in dependency order: a digest
of its synthesized code, its saved plan (`DIR/plans/<stack>.tfplan`), whether that
plan changes anything, and the state it was planned against (lineage and serial,
read from the plan file itself). A saved plan holds a snapshot of the
configuration and of the state it was computed from; Terraform refuses to apply
it to a state that moved on, and `applying.apply_reviewed` checks every stack
before it applies any.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterable, NamedTuple

from .. import __version__
from .applied_record import SUFFIX, Applied, RecordError, identity

RECORD = "reviewed.json"
PLANS = "plans"
# Written in a stack folder by init, plan and a local backend: not its synthesized code.
NOT_CODE = (".terraform", ".terraform.lock.hcl", "terraform.tfstate", "terraform.tfstate.backup",
            f"terraform.tfstate{SUFFIX}")  # the state tier's applied record (applied_record.py)


@dataclass(frozen=True)
class ReviewedStack:
    stack: str
    code: str  # stack_digest of the folder that was planned (or skipped)
    plan: str | None  # the saved plan, relative to the review folder; None: skipped
    changes: bool
    state: tuple[str, int] | None  # (lineage, serial) planned against; None: no state yet
    note: str | None = None  # the review's note on this plan (plan_review.missing_local_state)
    skipped: str | None = None  # why the review did not plan it (operations/skipping.py)
    applied: Applied | None = None  # a skipped stack's applied record, as the review read it


class Planned(NamedTuple):
    stack: str
    planfile: Path
    changes: bool
    note: str | None


class Skipped(NamedTuple):
    stack: str
    code: str
    applied: Applied
    why: str


@dataclass(frozen=True)
class Record:
    cluster: str
    stacks: tuple[ReviewedStack, ...]
    folder: Path

    def planfile(self, stack: ReviewedStack) -> Path:
        if stack.plan is None:
            raise RecordError(f"{stack.stack} was not planned by the review ({stack.skipped})")
        return self.folder / stack.plan


def stack_digest(folder: Path) -> str:
    """SHA-256 over the stack folder's files (names and bytes), less what Terraform writes there."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if relative.parts[0] in NOT_CODE or path.suffix == ".tfplan" or not path.is_file():
            continue
        digest.update(f"{relative.as_posix()}\0{path.stat().st_size}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _prior_state(planfile: Path) -> dict[str, Any] | None:
    """The state a saved plan was computed from (its `tfstate` member), refreshed."""
    try:
        with zipfile.ZipFile(planfile) as archive:
            if "tfstate" not in archive.namelist():
                return None
            return json.loads(archive.read("tfstate"))
    except (OSError, zipfile.BadZipFile, ValueError) as error:
        raise RecordError(f"{planfile}: not a Terraform plan file ({error})") from None


def planned_state(planfile: Path) -> tuple[str, int] | None:
    """(lineage, serial) of the state a saved plan was computed from."""
    return identity(_prior_state(planfile))


def planned_outputs(planfile: Path) -> dict[str, Any]:
    """The tier's outputs as they were when the plan was made (what downstream plans read then)."""
    outputs = (_prior_state(planfile) or {}).get("outputs", {})
    return {name: body.get("value") for name, body in outputs.items()}


def save(folder: Path, cluster: str, reviewed: Iterable[Planned | Skipped]) -> Path:
    """Copy each planned stack's saved plan into `folder/plans` and write the record beside them;
    `reviewed`: every stack of the cluster, in dependency order."""
    plans = folder / PLANS
    if plans.exists():
        shutil.rmtree(plans)  # a plan of an earlier review must never pass for this one's
    plans.mkdir(parents=True)
    stacks = []
    for entry in reviewed:
        if isinstance(entry, Skipped):
            stacks.append(ReviewedStack(entry.stack, entry.code, None, False, entry.applied.state,
                                        skipped=entry.why, applied=entry.applied))
            continue
        kept = plans / f"{entry.stack}.tfplan"
        shutil.copy2(entry.planfile, kept)
        stacks.append(ReviewedStack(entry.stack, stack_digest(entry.planfile.parent),
                                    kept.relative_to(folder).as_posix(), entry.changes, planned_state(kept), entry.note))
    record = folder / RECORD
    documents = [{**asdict(s), "applied": s.applied.document(s.stack) if s.applied else None} for s in stacks]
    record.write_text(json.dumps({"ocp_upi_tf": __version__, "cluster": cluster, "stacks": documents},
                                 indent=2) + "\n")
    return record


def load(folder: Path) -> Record:
    path = folder / RECORD
    try:
        document = json.loads(path.read_text())
        stacks = tuple(ReviewedStack(s["stack"], s["code"], s["plan"], bool(s["changes"]),
                                     None if s["state"] is None else (s["state"][0], int(s["state"][1])),
                                     s.get("note"), s.get("skipped"),
                                     Applied.parse(s["applied"]) if s.get("applied") else None)
                       for s in document["stacks"])
        record = Record(document["cluster"], stacks, folder)
        if any(s.plan is None and s.applied is None for s in stacks):
            raise ValueError("a stack was neither planned nor skipped on a record of its apply")
    except (OSError, ValueError, KeyError, TypeError, IndexError) as error:
        raise RecordError(f"{path}: no plan review recorded here ({type(error).__name__}: {error}); "
                          "run `main.py plan-review --out DIR` first") from None
    missing = [str(record.planfile(s)) for s in stacks if s.plan is not None and not record.planfile(s).is_file()]
    if missing:
        raise RecordError(f"{path}: the reviewed plans are missing: {', '.join(missing)}")
    return record
