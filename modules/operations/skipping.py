"""Which tiers a review or an apply must plan, and which it may skip.

A tier is skipped when nothing can have changed it since it was applied
(operations/applied_record.py):
- its synthesized code is what was applied (`review_record.stack_digest`);
- its state is where that apply left it (same lineage and serial: nobody applied by hand);
- each state it reads is where it was then (an upstream tier applied alone since moves it);
- and no tier it reads is planned with changes in this run.
Anything else, or no record, or `--all`, plans it as before. What skipping trades: drift in
a skipped tier (a rule deleted by hand) shows only in a review that plans it, `--all`.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

from ..configuration.topology import Tier, stacks_of
from . import deploy
from .applied_record import Applied, Identity, Records, reads
from .review_record import stack_digest

ALL = "every tier is planned (--all)"
# Tiers that follow something the running cluster makes outside Terraform: their code and state can
# stay as they were while what they look up appears or changes, so nothing tells that they changed.
ALWAYS_PLANNED = {
    Tier.INGRESS: "it follows the router's load balancer, which the cluster creates outside Terraform "
                  "(its `check` waits for it): planned every time",
}


@dataclass(frozen=True)
class Decision:
    stack: str
    plan: bool
    why: str
    code: str = ""  # the stack's code digest when decided
    applied: Applied | None = None  # its record then


def _serial(state: Identity | None, then: Identity | None) -> str:
    if state is None:
        return "no state"
    return f"serial {state[1]}" + (", another lineage" if then is not None and state[0] != then[0] else "")


def decide(stack: str, code: str, applied: Applied | None, state: Identity | None,
           upstream_changed: Iterable[str] = (), *, upstream_states: Mapping[str, Identity | None] | None = None,
           everything: bool = False) -> Decision:
    """Plan `stack` or skip it. `code`: its digest now; `state`: its state's (lineage, serial) now;
    `upstream_changed`: the tiers it reads that are planned with changes; `upstream_states`: the
    states of the tiers it reads now (by default, as its record has them)."""
    def verdict(plan: bool, why: str) -> Decision:
        return Decision(stack, plan, why, code, applied)

    changed = sorted(upstream_changed)
    if everything:
        return verdict(True, ALL)
    if applied is None:
        return verdict(True, "no record of an apply")
    if code != applied.code:
        return verdict(True, "its code changed since it was applied")
    if state != applied.state:
        then = "no state" if applied.state is None else f"serial {applied.state[1]}"
        return verdict(True, f"its state moved since it was applied ({then}, now {_serial(state, applied.state)})")
    now = dict(applied.reads) if upstream_states is None else upstream_states
    moved = sorted(name for name, then in applied.reads if now.get(name) != then)
    if moved:
        return verdict(True, f"the state of {', '.join(moved)}, which it reads, moved since it was applied")
    if changed:
        return verdict(True, f"it reads {', '.join(changed)}, planned with changes")
    where = "no state" if state is None else f"its state at serial {state[1]}"
    return verdict(False, f"unchanged since it was applied (its code, and {where})")

Facts = Callable[[str, Iterable[str]], Decision]  # stack, upstream planned with changes -> decision


def waves(order: Sequence[str], reads: Mapping[str, set[str]], decision: Facts,
          plan: Callable[[list[str]], dict[str, bool]]) -> dict[str, Decision]:
    """Decide every stack of `order` and plan those to plan: `plan(stacks)` plans them (at once, in
    any order) and says which have changes. A skipped stack that reads one of those is planned in
    a next wave, until no decision changes. Returns each stack's final decision."""
    decided = {stack: decision(stack, ()) for stack in order}
    changed: set[str] = set()
    due = [stack for stack in order if decided[stack].plan]
    while due:
        changed |= {stack for stack, has_changes in plan(due).items() if has_changes}
        due = []
        for stack in order:
            if not decided[stack].plan and reads.get(stack, set()) & changed:
                decided[stack] = decision(stack, reads[stack] & changed)
                due.append(stack)
    return decided


def decider(outdir: Path, cluster: str, stacks: Sequence[str], records: Records, *,
            everything: bool = False) -> tuple[Facts, dict[str, set[str]]]:
    """The decision for each of the cluster's `stacks` in `outdir` (all of them: what each reads is
    found among them), and the stacks each reads. Every state is read once; a review makes no
    Terraform process to decide."""
    upstream = {stack: {name for name, _ in pairs} for stack, pairs in reads(outdir, stacks).items()}
    always = {stack: ALWAYS_PLANNED[tier] for stack, tier in stacks_of(cluster, stacks).items()
              if tier in ALWAYS_PLANNED}
    if everything:
        return (lambda stack, changed: Decision(stack, True, ALL)), upstream
    states: dict[str, Identity | None] = {}

    def state(stack: str) -> Identity | None:
        if stack not in states:
            states[stack] = records.state(stack)
        return states[stack]

    @functools.cache
    def facts(stack: str) -> tuple[str, Applied | None]:
        return stack_digest(deploy.stack_dir(outdir, stack)), records.applied(stack)

    def decision(stack: str, changed: Iterable[str]) -> Decision:
        if stack in always:
            return Decision(stack, True, always[stack])
        code, applied = facts(stack)
        then = dict(applied.reads) if applied else {}
        return decide(stack, code, applied, state(stack), changed,
                      upstream_states={name: state(name) for name in then})

    return decision, upstream


def any_to_plan(outdir: Path, cluster: str, records: Records) -> bool:
    """Whether a review of `cluster` would plan a tier (a fleet reviews only the clusters where one would).
    A tier whose state this checkout cannot see (the state tier's local state, on a CI runner) does not
    count: a review here would only say so (plan_review.missing_local_state). Nor does a tier planned
    every time (ALWAYS_PLANNED): it would put its cluster in every fleet review; the nightly review of
    every tier plans it, and so does any review of its cluster."""
    order = deploy.stack_order(outdir, cluster)
    decision, _ = decider(outdir, cluster, order, records)
    counted = [stack for stack, tier in stacks_of(cluster, order).items()
               if tier not in ALWAYS_PLANNED and records.here(stack)]
    return any(decision(stack, ()).plan for stack in counted)
