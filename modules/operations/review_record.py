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
from typing import Any, Iterable

from .. import __version__

RECORD = "reviewed.json"
PLANS = "plans"
# Written in a stack folder by init, plan and a local backend: not its synthesized code.
NOT_CODE = (".terraform", ".terraform.lock.hcl", "terraform.tfstate", "terraform.tfstate.backup")


class RecordError(RuntimeError):
    pass


@dataclass(frozen=True)
class ReviewedStack:
    stack: str
    code: str  # stack_digest of the folder that was planned
    plan: str  # the saved plan, relative to the review folder
    changes: bool
    state: tuple[str, int] | None  # (lineage, serial) planned against; None: no state yet
    note: str | None = None  # the review's note on this plan (plan_review.missing_local_state)


@dataclass(frozen=True)
class Record:
    cluster: str
    stacks: tuple[ReviewedStack, ...]
    folder: Path

    def planfile(self, stack: ReviewedStack) -> Path:
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


def identity(state: dict[str, Any] | None) -> tuple[str, int] | None:
    if not state or not state.get("lineage"):
        return None
    return state["lineage"], int(state.get("serial", 0))


def save(folder: Path, cluster: str, planned: Iterable[tuple[str, Path, bool, str | None]]) -> Path:
    """Copy each stack's saved plan into `folder/plans` and write the record beside them."""
    plans = folder / PLANS
    if plans.exists():
        shutil.rmtree(plans)  # a plan of an earlier review must never pass for this one's
    plans.mkdir(parents=True)
    stacks = []
    for stack, planfile, changes, note in planned:
        kept = plans / f"{stack}.tfplan"
        shutil.copy2(planfile, kept)
        stacks.append(ReviewedStack(stack, stack_digest(planfile.parent), kept.relative_to(folder).as_posix(),
                                    changes, planned_state(kept), note))
    record = folder / RECORD
    record.write_text(json.dumps({"ocp_upi_tf": __version__, "cluster": cluster,
                                  "stacks": [asdict(s) for s in stacks]}, indent=2) + "\n")
    return record


def load(folder: Path) -> Record:
    path = folder / RECORD
    try:
        document = json.loads(path.read_text())
        stacks = tuple(ReviewedStack(s["stack"], s["code"], s["plan"], bool(s["changes"]),
                                     None if s["state"] is None else (s["state"][0], int(s["state"][1])),
                                     s.get("note")) for s in document["stacks"])
        record = Record(document["cluster"], stacks, folder)
    except (OSError, ValueError, KeyError, TypeError, IndexError) as error:
        raise RecordError(f"{path}: no plan review recorded here ({type(error).__name__}: {error}); "
                          "run `main.py plan-review --out DIR` first") from None
    missing = [str(record.planfile(s)) for s in stacks if not record.planfile(s).is_file()]
    if missing:
        raise RecordError(f"{path}: the reviewed plans are missing: {', '.join(missing)}")
    return record
