"""`main.py apply`: plan each tier, check the plan (operations/guard.py), apply that saved plan.

Two ways in:
- `apply`: level by level in the tier graph, each tier planned against the
  applied state of the tiers before it, its plan checked, and the saved plan that
  passed applied. A refused plan stops the run before its level is applied.
- `apply_reviewed`: the plans a `plan-review` saved (operations/review_record.py),
  applied as they are, after checking before anything is applied that the
  synthesized code is the reviewed code, that no state moved since the review,
  and that no plan does what the guard refuses. A downstream tier's plan was
  computed with its upstream tiers' outputs as they were at review time: when
  applying an upstream tier changes an output a later tier reads, the run stops
  there, and those tiers need a new review.
"""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Sequence

from ..configuration.topology import Tier, stacks_of
from . import applied_record, deploy, locks, plan_review, recovery, review_record, skipping, terraform
from .applied_record import Records
from .guard import (
    Allowance,
    PlannedChange,
    Refused,
    describe,
    refusals,
    roll_masters,
    shrinks_compute,
    state_of,
    stopping_masters,
)

APPLY_PLAN = "apply.tfplan"

Log = Callable[[str], None]


def apply(outdir: Path, cluster: str, tiers: Sequence[str] | None = None, *, allow: Allowance = Allowance(),
          aws: Any = None, log: Log = print, env: dict[str, str] | None = None, records: Records | None = None,
          everything: bool = False) -> list[str]:
    """Plan, check and apply each selected stack in dependency order; returns the stacks changed.
    With `records`, a stack unchanged since it was applied is skipped (unless `everything`), and
    each stack planned is recorded once applied (or found to need nothing)."""
    order = deploy.stack_order(outdir, cluster)
    chosen = deploy.select(order, cluster, tiers)
    tier_of, applied, changed_here = stacks_of(cluster, chosen), [], set()
    # Decided over every stack, so a record of `apply compute` names the tiers compute reads.
    decision, upstream = skipping.decider(outdir, cluster, order, records, everything=everything) \
        if records else (None, {})
    for level in deploy.levels(cluster, chosen):
        if decision is not None:
            decided = [decision(stack, upstream[stack] & changed_here) for stack in level]
            for skipped in (d for d in decided if not d.plan):
                log(f"==> {skipped.stack}: skipped: {skipped.why}")
            level = [d.stack for d in decided if d.plan]
            if not level:
                continue
        with ThreadPoolExecutor(max_workers=len(level)) as pool:  # each inits, one at a time (terraform.init)
            plans = {stack: pool.submit(_plan_pending, deploy.stack_dir(outdir, stack), env) for stack in level}
        failed = [(stack, plan.exception()) for stack, plan in plans.items() if plan.exception() is not None]
        locks.raise_if_locked(failed)  # every tier a killed run left locked, at once
        if failed:
            raise failed[0][1]
        planned = {stack: plan.result()[0] for stack, plan in plans.items()}
        pending = {stack: plan.result()[1] for stack, plan in plans.items()}
        refused = {stack: refusals(tier_of[stack], changes, allow) for stack, changes in planned.items()}
        if any(refused.values()):
            raise Refused(_refusal(refused), applied)
        for stack, changes in planned.items():
            shrinking = [c.address for c in changes if shrinks_compute(tier_of[stack], c)]
            if shrinking:
                log(f"==> {stack}: compute.replicas shrinks: deleting {', '.join(shrinking)} (the highest-numbered)")
        changed = [stack for stack in level if pending[stack]]  # outputs alone are a change to apply
        with ThreadPoolExecutor(max_workers=max(1, len(changed))) as pool:
            runs = [pool.submit(_apply_planned, deploy.stack_dir(outdir, stack), tier_of[stack], APPLY_PLAN,
                                planned[stack], allow, aws, env, log) for stack in changed]
            errors = [(stack, run.exception()) for stack, run in zip(changed, runs) if run.exception() is not None]
        applied += changed
        changed_here |= set(changed)
        try:
            _record(outdir, records, [stack for stack in level if stack not in dict(errors)], upstream)
        finally:  # an apply's own error (a lock left, say) is the one to tell, before a record's
            if errors:
                locks.raise_if_locked(errors)
                raise errors[0][1]
        for stack in level:  # import blocks of a recovery (recovery.py) are done once applied
            recovery.drop_imports(deploy.stack_dir(outdir, stack))
    return applied


def _record(outdir: Path, records: Records | None, stacks: Sequence[str], upstream: dict[str, set[str]]) -> None:
    """Record each of `stacks`, applied (or planned empty) just now, as its state is now."""
    for stack in stacks if records is not None else ():
        records.record(stack, review_record.stack_digest(deploy.stack_dir(outdir, stack)), sorted(upstream[stack]))


def _plan(folder: Path, env: dict[str, str] | None, planfile: str = APPLY_PLAN) -> list[PlannedChange]:
    return _plan_pending(folder, env, planfile)[0]


def _plan_pending(folder: Path, env: dict[str, str] | None,
                  planfile: str = APPLY_PLAN) -> tuple[list[PlannedChange], bool]:
    """The plan's resource changes, and whether it has anything to apply (Terraform's exit 2: an
    output or a `moved` block alone counts; recording it as applied unapplied would skip it for good)."""
    planned = plan_review.run_plan(folder, env, planfile=planfile)
    return PlannedChange.from_stream(planned.stdout), planned.returncode == 2


def _refusal(refused: dict[str, list[PlannedChange]]) -> str:
    lines = [f"{stack} would {describe(changes)}" for stack, changes in refused.items() if changes]
    return ("; ".join(lines) + ". These are precious (docs/operations/apply.md): name what may go with "
            "--allow-replace ADDRESS or --allow-replace TIER")


def _apply_planned(folder: Path, tier: Tier, planfile: str, changes: list[PlannedChange], allow: Allowance,
                   aws: Any, env: dict[str, str] | None, log: Log, reviewed: bool = False) -> None:
    """Apply the saved plan, rolling the masters when it would stop more than one of them."""
    keys: list[str] = []
    if tier is Tier.CONTROL_PLANE and any(c.type == "aws_instance" and c.action == "update" for c in changes):
        reference = plan_review.review_tier(folder.name, plan_review.show(folder, planfile, env)).changes
        keys = stopping_masters(reference)
    if len(keys) <= 1:  # one machine stopped at a time is what the plan does anyway
        log(f"==> {folder.name}: apply")
        terraform.run(["apply", "-input=false", "-no-color", planfile], folder, env=env, timeout=1800)
        return
    roll_masters(folder, keys, reference, aws, env=env, log=log)
    rolled = {c.address for c in reference if c.stops_machine}
    if all(c.address in rolled for c in reference):
        return  # the masters were the whole plan
    # The rest of the plan, planned again: the rolled masters moved the state on.
    rest = _plan(folder, env)
    expected = {(c.address, c.action) for c in reference if c.address not in rolled}
    extra, refused = [c for c in rest if (c.address, c.action) not in expected], refusals(tier, rest, allow)
    if extra or refused:
        what = "; ".join(f"{c.action} {c.address}" for c in extra) or describe(refused)
        raise Refused(f"{folder.name}: after rolling the masters, the plan holds what the "
                      f"{'review' if reviewed else 'first plan'} did not: {what}", [folder.name])
    if rest:
        log(f"==> {folder.name}: apply the rest of the plan")
        terraform.run(["apply", "-input=false", "-no-color", APPLY_PLAN], folder, env=env, timeout=1800)


def apply_reviewed(outdir: Path, cluster: str, review: Path, *, allow: Allowance = Allowance(), aws: Any = None,
                   log: Log = print, env: dict[str, str] | None = None, records: Records | None = None) -> list[str]:
    """Apply the plans `plan-review --out review` saved; returns the stacks changed. The stacks the
    review skipped must still be as it found them (`records`); each stack applied, or whose reviewed
    plan was empty, is recorded."""
    record = review_record.load(review)
    order = deploy.stack_order(outdir, cluster)
    if record.cluster != cluster or [s.stack for s in record.stacks] != order:
        raise Refused(f"{review}: the review is of {record.cluster} ({', '.join(s.stack for s in record.stacks)}), "
                      f"the output holds {', '.join(order)}")
    tier_of = stacks_of(cluster, order)
    differ = [s.stack for s in record.stacks
              if review_record.stack_digest(deploy.stack_dir(outdir, s.stack)) != s.code]
    if differ:
        raise Refused(f"the synthesized code of {', '.join(differ)} is not what was reviewed; review again")
    applicable = [s for s in record.stacks if s.note is None and s.plan is not None]
    for skipped in (s for s in record.stacks if s.note is not None and s.changes):
        log(f"==> {skipped.stack}: not applied: it was reviewed without its state ({skipped.note})")
    stale = _moved_since_skipped([s for s in record.stacks if s.plan is None], records)
    for reviewed in applicable:
        folder = deploy.stack_dir(outdir, reviewed.stack)
        terraform.init(folder, env=env)
        now = applied_record.identity(state_of(folder, env))
        if now != reviewed.state:
            stale.append(f"{reviewed.stack} (reviewed at {_serial(reviewed.state)}, now {_serial(now)})")
    if stale:
        raise Refused(f"the review is stale: the state of {', '.join(stale)} changed since; review again")
    changes = {s.stack: plan_review.review_tier(s.stack, plan_review.show(
        deploy.stack_dir(outdir, s.stack), record.planfile(s).resolve(), env)).changes for s in applicable if s.changes}
    refused = {stack: refusals(tier_of[stack], [PlannedChange(c.address, c.type, c.action) for c in found], allow)
               for stack, found in changes.items()}
    if any(refused.values()):
        raise Refused(_refusal(refused))
    reads, moved, applied = applied_record.reads(outdir, order), set(), []
    upstream = {stack: {name for name, _ in pairs} for stack, pairs in reads.items()}
    by_stack = {s.stack: s for s in applicable}
    for level in deploy.levels(cluster, [s.stack for s in applicable]):
        # An empty reviewed plan no longer holds either: the stack would now change unreviewed.
        stale_inputs = sorted({f"{upstream}.{name}" for stack in level for upstream, name in reads[stack] & moved})
        if stale_inputs:
            later = [s.stack for s in applicable if s.stack not in applied and reads[s.stack] & moved]
            raise Refused(f"applying the review changed {', '.join(stale_inputs)}, which {', '.join(later)} "
                          "read: their reviewed plans no longer hold; review them again", applied)
        changed = [by_stack[stack] for stack in level if by_stack[stack].changes]
        with ThreadPoolExecutor(max_workers=max(1, len(changed))) as pool:  # as `apply` runs a level
            runs = [pool.submit(_apply_reviewed_stack, outdir, record, reviewed, tier_of[reviewed.stack],
                                changes[reviewed.stack], allow, aws, env, log) for reviewed in changed]
            errors = [(r.stack, run.exception()) for r, run in zip(changed, runs) if run.exception() is not None]
            applied += [reviewed.stack for reviewed, run in zip(changed, runs) if run.exception() is None]
            if errors:
                locks.raise_if_locked(errors)
                raise errors[0][1]
            for reviewed, run in zip(changed, runs):
                moved |= run.result()
                recovery.drop_imports(deploy.stack_dir(outdir, reviewed.stack))
        _record(outdir, records, level, upstream)  # applied, or reviewed empty and still so
    return applied


def _moved_since_skipped(skipped: Sequence[review_record.ReviewedStack], records: Records | None) -> list[str]:
    """The stacks the review skipped whose record or state is no longer what the review read."""
    if skipped and records is None:
        raise Refused(f"the review skipped {', '.join(s.stack for s in skipped)}: applying it needs their "
                      "applied records (main.py apply --reviewed reads them)")
    moved = []
    for reviewed in skipped:
        now, state = records.applied(reviewed.stack), records.state(reviewed.stack)
        if now != reviewed.applied or state != reviewed.state:
            moved.append(f"{reviewed.stack} (skipped at {_serial(reviewed.state)}, now {_serial(state)}"
                         f"{'' if now == reviewed.applied else ', applied again'})")
    return moved


def _apply_reviewed_stack(outdir: Path, record: review_record.Record, reviewed: review_record.ReviewedStack,
                          tier: Tier, changes: list[plan_review.Change], allow: Allowance, aws: Any,
                          env: dict[str, str] | None, log: Log) -> set[tuple[str, str]]:
    """Apply one reviewed plan; returns the (stack, output) pairs whose value it changed."""
    folder, planfile = deploy.stack_dir(outdir, reviewed.stack), record.planfile(reviewed).resolve()
    found = [PlannedChange(c.address, c.type, c.action) for c in changes]
    _apply_planned(folder, tier, str(planfile), found, allow, aws, env, log, reviewed=True)
    before = review_record.planned_outputs(planfile)
    after = {name: value["value"] for name, value in
             json.loads(terraform.run(["output", "-json"], folder, env=env).stdout).items()}
    return {(reviewed.stack, name) for name in set(before) | set(after) if before.get(name) != after.get(name)}


def _serial(identity: tuple[str, int] | None) -> str:
    return "no state" if identity is None else f"serial {identity[1]}"
