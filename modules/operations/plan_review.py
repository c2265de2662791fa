"""Reading `terraform show -json` plans the way a reviewer should: what matters first.

For each tier: counts to add, change, replace and destroy, and the changed
resources with the attributes that change. Above them, an Attention list:
- security-group rules opened to 0.0.0.0/0 or ::/0, or whose ports widen;
- IAM policy statements added or widened, as an action-level diff;
- replacements or deletions of stateful or identity-bearing resources;
- in-place updates that stop a machine;
- changes in tiers other than the one the change targets;
- what changed outside Terraform (operations/drift.py): drift on rules, IAM,
  machines and load balancers, and rules on the cluster's groups that no state
  manages.
Each tier's saved plan is kept with the report, and a record of what was
reviewed (operations/review_record.py), for `main.py apply --reviewed`.
"""
from __future__ import annotations

import json
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, NamedTuple

from ..configuration.topology import STACK_FILE, Tier, stack_name
from . import deploy, review_record, review_report, skipping, static_checks, terraform
from .applied_record import Records
from .drift import RULE_TYPES, Drift, resource_drift
from .grants import POLICY_ATTRIBUTES, grant_attention, grants_removed

WORLD = ("0.0.0.0/0", "::/0")
# Losing or recreating these loses data, addresses or identities others depend on; `main.py apply`
# refuses to replace or delete them unless told (operations/guard.py).
PRECIOUS = ("aws_instance", "aws_route53_zone", "aws_lb", "aws_lb_target_group", "aws_vpc", "aws_subnet",
            "aws_nat_gateway", "aws_eip", "aws_s3_bucket", "aws_dynamodb_table", "aws_iam_role",
            "aws_security_group")
# Updating these in place stops the machine and starts it again: the provider's instance update
# stops it to modify its type or its user data (resourceInstanceUpdate, hashicorp/aws 5.x).
STOPS_MACHINE = {"aws_instance": ("instance_type", "user_data", "user_data_base64")}


@dataclass
class Change:
    address: str
    type: str
    action: str  # create, update, replace, delete
    attributes: list[str]  # the configured ones that change (all that change, without the configuration)
    forces_replacement: list[str] = field(default_factory=list)

    @property
    def stops_machine(self) -> list[str]:
        """The attributes of an in-place update that stop the machine to apply them."""
        if self.action != "update":
            return []
        return [name for name in self.attributes if name in STOPS_MACHINE.get(self.type, ())]

    def describe(self) -> str:
        return ", ".join(f"{name} (forces replacement)" if name in self.forces_replacement else name
                         for name in self.attributes)


@dataclass
class TierReview:
    stack: str
    counts: dict[str, int] = field(default_factory=lambda: {"add": 0, "change": 0, "replace": 0, "destroy": 0})
    changes: list[Change] = field(default_factory=list)
    attention: list[str] = field(default_factory=list)
    revoked: list[str] = field(default_factory=list)  # IAM grants the plan takes away (grants.grants_removed)
    checks: list[str] = field(default_factory=list)  # failed `check` blocks: what the tier waits for
    note: str | None = None
    outputs: dict[str, str] = field(default_factory=dict)  # output name -> action
    reported: dict[str, int] | None = None  # Terraform's change_summary, when the plan was run here
    drift: list[Drift] = field(default_factory=list)
    planfile: Path | None = None  # the saved plan, when the plan was run here

    @property
    def changed(self) -> bool:
        return any(self.counts.values()) or bool(self.outputs)


def action_of(actions: list[str]) -> str | None:
    if actions in (["no-op"], ["read"]):
        return None
    if "delete" in actions and "create" in actions:
        return "replace"
    return {"create": "create", "update": "update", "delete": "delete"}[actions[0]]


def changed_attributes(before: Any, after: Any, unknown: Any, configured: set[str] | None = None) -> list[str]:
    """Attributes whose value changes or becomes unknown. With `configured` (the attributes the
    configuration sets) only those: a replacement makes every computed attribute (id, arn, ...)
    unknown, and listing them hides the one that matters."""
    before, after, unknown = before or {}, after or {}, unknown or {}
    keys = set(before) | set(after) | {k for k, v in unknown.items() if v}
    if configured is not None:
        keys &= configured
    return sorted(k for k in keys if before.get(k) != after.get(k) or unknown.get(k))


def configured_attributes(plan: dict[str, Any]) -> dict[str, set[str]]:
    """`type.name` -> the attributes the root module's configuration sets (its `expressions`)."""
    resources = plan.get("configuration", {}).get("root_module", {}).get("resources", [])
    return {resource["address"]: set(resource.get("expressions", {})) for resource in resources}


def review_tier(stack: str, plan: dict[str, Any]) -> TierReview:
    review = TierReview(stack)
    configured = configured_attributes(plan)
    for change in plan.get("resource_changes", []):
        if change.get("mode") != "managed":
            continue
        action = action_of(change["change"]["actions"])
        if action is None:
            continue
        review.counts[{"create": "add", "update": "change", "replace": "replace", "delete": "destroy"}[action]] += 1
        body = change["change"]
        attributes = changed_attributes(body.get("before"), body.get("after"), body.get("after_unknown"),
                                        configured.get(f"{change['type']}.{change.get('name')}"))
        forced = sorted({path[0] for path in body.get("replace_paths", []) if path and isinstance(path[0], str)})
        review.changes.append(Change(change["address"], change["type"], action, attributes, forced))
        review.attention += attention_for(change["address"], change["type"], action, body.get("before"),
                                          body.get("after"))
        # A document known only after apply removes nothing we can name (its grants show when it is known).
        if change["type"] in POLICY_ATTRIBUTES and not (body.get("after_unknown") or {}).get(
                POLICY_ATTRIBUTES[change["type"]]):
            review.revoked += grants_removed(change["address"], change["type"], body.get("before"), body.get("after"))
        if review.changes[-1].stops_machine:
            review.attention.append(f"`{change['address']}`: updated in place, which stops the machine "
                                    f"({', '.join(review.changes[-1].stops_machine)})")
    review.drift = resource_drift(plan)
    review.attention += [f"`{d.address}`: {d.describe()}; this plan puts it back" for d in review.drift if d.watched]
    for name, body in sorted(plan.get("output_changes", {}).items()):
        if action_of(body["actions"]) is not None:
            review.outputs[name] = action_of(body["actions"])
    return review


def failed_checks(stdout: str) -> list[str]:
    """The messages of a `plan -json` run's failed `check` blocks: warnings to Terraform, which plans
    on; the ingress tier's says what it waits for."""
    found = []
    for message in messages(stdout):
        diagnostic = message.get("diagnostic") or {}
        if message.get("type") == "diagnostic" and diagnostic.get("summary") == "Check block assertion failed":
            block = (diagnostic.get("snippet") or {}).get("context", "").split(".assert")[0]
            found.append(f"`{block}`: {diagnostic.get('detail')}" if block else diagnostic.get("detail", ""))
    return found


def attention_for(address: str, kind: str, action: str, before: Any, after: Any) -> list[str]:
    items: list[str] = []
    if kind in RULE_TYPES and action != "delete":
        items += _rule_attention(address, before or {}, after or {})
    if kind in POLICY_ATTRIBUTES and action != "delete":
        items += grant_attention(address, kind, action, before, after)
    if kind in PRECIOUS and action in ("replace", "delete"):
        items.append(f"`{address}`: {kind} will be {'replaced' if action == 'replace' else 'destroyed'}")
    return items


def _rule_attention(address: str, before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    items = []
    sources = [after.get(key) for key in ("cidr_ipv4", "cidr_ipv6")] + list(after.get("cidr_blocks") or [])
    opened = [s for s in sources if s in WORLD]
    was_open = [before.get(key) for key in ("cidr_ipv4", "cidr_ipv6")] + list(before.get("cidr_blocks") or [])
    if opened and not set(opened) <= set(was_open):
        items.append(f"`{address}`: opened to {', '.join(opened)} ({_ports(after)})")
    if before and _width(after) > _width(before):
        items.append(f"`{address}`: ports widen from {_ports(before)} to {_ports(after)}")
    return items


def _width(rule: dict[str, Any]) -> float:
    if str(rule.get("ip_protocol", rule.get("protocol"))) == "-1":
        return float("inf")
    low, high = rule.get("from_port"), rule.get("to_port")
    return 0 if low is None or high is None else high - low + 1


def _ports(rule: dict[str, Any]) -> str:
    protocol = rule.get("ip_protocol", rule.get("protocol"))
    if str(protocol) == "-1":
        return "all traffic"
    return f"{protocol} {rule.get('from_port')}-{rule.get('to_port')}"


@dataclass
class Review:
    tiers: list[TierReview]
    target: Tier | None = None
    static: tuple[int, list[Any]] | None = None  # checkov: (passed, findings), see static_checks.py
    cluster: str | None = None  # whose stacks these are (needed with a target)
    outside: list[str] = field(default_factory=list)  # rules no state manages (drift.unmanaged_rules)
    attention: list[str] = field(default_factory=list)
    decisions: dict[str, skipping.Decision] = field(default_factory=dict)  # when tiers may be skipped

    @property
    def skipped(self) -> dict[str, str]:
        """Stack -> why it was not planned (operations/skipping.py)."""
        return {stack: d.why for stack, d in self.decisions.items() if not d.plan}

    def __post_init__(self) -> None:
        self.attention = [item for tier in self.tiers for item in tier.attention] + list(self.outside)
        for finding in (self.static[1] if self.static else []):
            if finding.waiver is None:
                self.attention.append(f"`{finding.stack}`: checkov {finding.check_id} fails on "
                                      f"`{finding.resource}` ({finding.check_name}) and no construct waives it")
        changed = [tier.stack for tier in self.tiers if tier.changed]
        if self.target is not None:
            if self.cluster is None:
                raise ValueError("a review with a target tier needs the cluster's name")
            targeted = stack_name(self.cluster, self.target)
            self.attention += [f"`{stack}` changes, but the change targets the {self.target.value} tier"
                               for stack in changed if stack != targeted]

    @property
    def changed(self) -> bool:
        return any(tier.changed for tier in self.tiers)

    def summary(self) -> dict[str, Any]:
        static = None if self.static is None else {
            "passed": self.static[0], "findings": [{**asdict(f), "waiver": f.waiver} for f in self.static[1]]}
        target = None if self.target is None else self.target.value
        return {"changed": self.changed, "target": target, "attention": self.attention, "static": static,
                "tiers": {tier.stack: tier.counts for tier in self.tiers},
                "terraform_counts": {tier.stack: tier.reported for tier in self.tiers if tier.reported is not None},
                "changes": {tier.stack: [asdict(c) for c in tier.changes] for tier in self.tiers},
                "output_changes": {tier.stack: tier.outputs for tier in self.tiers if tier.outputs},
                "drift": {tier.stack: [asdict(d) for d in tier.drift] for tier in self.tiers if tier.drift},
                "grants_removed": {tier.stack: tier.revoked for tier in self.tiers if tier.revoked},
                "unmanaged_rules": self.outside,
                "skipped": self.skipped, "planned": {s: d.why for s, d in self.decisions.items() if d.plan},
                "notes": {tier.stack: tier.note for tier in self.tiers if tier.note},
                "checks": {tier.stack: tier.checks for tier in self.tiers if tier.checks}}

    def markdown(self) -> str:
        return review_report.markdown(self)

class TierPlan(NamedTuple):
    """One tier's plan: `terraform show -json` (empty when Terraform found nothing to do),
    and Terraform's own count of it (`change_summary`: add, change, remove; a replacement is one add
    and one remove), which the review's counts must agree with."""

    stack: str
    plan: dict[str, Any]
    reported: dict[str, int] | None = None
    note: str | None = None  # what the reviewer must know to read this plan
    planfile: Path | None = None  # where `plan -out` saved it
    checks: tuple[str, ...] = ()  # its failed `check` blocks (failed_checks)


def review(plans: Iterable[tuple[str, dict[str, Any]] | TierPlan], target: Tier | None = None,
           static: tuple[int, list[Any]] | None = None, *, cluster: str | None = None,
           outside: Iterable[str] = ()) -> Review:
    tiers = []
    for item in plans:
        tier = TierPlan(*item)
        tiers.append(review_tier(tier.stack, tier.plan))
        tiers[-1].reported, tiers[-1].note, tiers[-1].planfile = tier.reported, tier.note, tier.planfile
        tiers[-1].checks = list(tier.checks)
    return Review(tiers, target, static, cluster, list(outside))


PLAN_FILE = "review.tfplan"


def plan_tier(folder: Path, env: dict[str, str] | None = None, lock_timeout: str = "0s", *,
              planfile: str = PLAN_FILE, args: Iterable[str] = ()) -> TierPlan:
    """`terraform init`, `plan -out` and, when the plan changes anything, `show -json`, in one stack folder.

    The plan holds the state lock, so it never reads a state an apply is writing;
    `lock_timeout` is how long it waits for someone else's lock (Terraform's default: not at all).
    `args`: more plan options (`-target=...`)."""
    planned = run_plan(folder, env, lock_timeout, planfile=planfile, args=args)
    reported = next((message["changes"] for message in messages(planned.stdout)
                     if message.get("type") == "change_summary"), None)
    note, checks = missing_local_state(folder), tuple(failed_checks(planned.stdout))
    if planned.returncode == 0:  # showing the plan would start the provider again for nothing
        return TierPlan(folder.name, {}, reported, note, folder / planfile, checks)
    return TierPlan(folder.name, show(folder, planfile, env), reported, note, folder / planfile, checks)


def run_plan(folder: Path, env: dict[str, str] | None = None, lock_timeout: str = "0s", *,
             planfile: str = PLAN_FILE, args: Iterable[str] = ()) -> subprocess.CompletedProcess[str]:
    """`terraform init` and `plan -json -detailed-exitcode -out=planfile`: exit 0 nothing to do, 2 changes."""
    terraform.init(folder, env=env)
    command = ["plan", "-input=false", "-no-color", "-json", "-detailed-exitcode", f"-lock-timeout={lock_timeout}",
               f"-out={planfile}", *args]
    planned = terraform.run(command, folder, env=env, check=False)
    if planned.returncode not in (0, 2):  # 2: there are changes
        readable = subprocess.CompletedProcess(planned.args, planned.returncode, "",
                                               _diagnostics(planned.stdout) + planned.stderr)
        raise terraform.TerraformError(command, folder, readable)
    return planned


def show(folder: Path, planfile: Path | str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """`terraform show -json` of a saved plan."""
    return json.loads(terraform.run(["show", "-json", str(planfile)], folder, env=env).stdout)


def missing_local_state(folder: Path) -> str | None:
    """The state tier keeps local state (docs/concepts.md); a fresh checkout, a CI
    runner for one, does not have it, and then plans the tier as new whatever exists."""
    stack = json.loads((folder / STACK_FILE).read_text())
    local = stack.get("terraform", {}).get("backend", {}).get("local")
    overridden = any("backend" in path.read_text() for path in folder.glob("*override.tf*"))
    if local is None or overridden or (folder / local.get("path", "terraform.tfstate")).exists():
        return None
    return (f"`{folder.name}` keeps its state in its stack folder, and this folder has none: the plan "
            "treats the tier as new. Review this tier where its state is (docs/concepts.md).")


def messages(stdout: str) -> Iterator[dict[str, Any]]:
    for line in stdout.splitlines():
        if line.startswith("{"):
            yield json.loads(line)


def _diagnostics(stdout: str) -> str:
    """The errors of a `-json` run, as the text Terraform would have printed."""
    return "\n".join(f"{m['diagnostic'].get('severity', 'error').title()}: {m['diagnostic'].get('summary')}: "
                     f"{m['diagnostic'].get('detail', '')}"
                     for m in messages(stdout) if m.get("type") == "diagnostic") or stdout[-2000:]


def plan_all(folders: list[Path], env: dict[str, str] | None = None, *, workers: int = 1,
             lock_timeout: str = "0s") -> list[TierPlan]:
    """The `TierPlan` of each stack folder, in the order given (dependency order).

    Plans read the other tiers' applied state, never their plans, so the order
    they run in does not matter and `workers` of them may run at once."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda folder: plan_tier(folder, env, lock_timeout), folders))


def review_cluster(outdir: Path, cluster: str, *, target: Tier | None = None, env: dict[str, str] | None = None,
                   static: bool = True, workers: int = 4, lock_timeout: str = "0s",
                   outside: Callable[[], list[str]] | None = None, records: Records | None = None,
                   everything: bool = False) -> Review:
    """What `main.py plan-review` reports: the tiers of `cluster` planned, `workers` at a time, and
    checkov (when installed) over the same stacks beside them; `outside` finds what changed where
    no plan looks (drift.unmanaged_rules, through the cluster's AWS account).

    With `records` (operations/applied_record.py), a tier unchanged since it was applied is skipped
    (operations/skipping.py) unless `everything`; without, every tier is planned."""
    order = deploy.stack_order(outdir, cluster)
    decision, reads = skipping.decider(outdir, cluster, order, records, everything=everything) if records else (None, {})
    first = [stack for stack in order if decision is None or decision(stack, ()).plan]
    with ThreadPoolExecutor(max_workers=2) as beside:
        # Later waves plan code that was applied as it is: the first wave holds every changed code.
        scan = (beside.submit(static_checks.run_checkov, [deploy.stack_dir(outdir, stack) for stack in first])
                if static and first and static_checks.CHECKOV.exists() else None)
        found = beside.submit(outside) if outside is not None else None
        planned: dict[str, TierPlan] = {}

        def plan(stacks: list[str]) -> dict[str, bool]:
            folders = [deploy.stack_dir(outdir, stack) for stack in stacks]
            planned.update((tier.stack, tier) for tier in plan_all(folders, env, workers=workers,
                                                                   lock_timeout=lock_timeout))
            return {stack: bool(planned[stack].plan) for stack in stacks}

        if decision is None:
            plan(order)
            decided = {}
        else:
            decided = skipping.waves(order, reads, decision, plan)
        result = review([planned[stack] for stack in order if stack in planned], target,
                        scan.result() if scan else None, cluster=cluster, outside=found.result() if found else ())
    result.decisions = decided
    return result


def write_report(result: Review, folder: Path) -> Path:
    """plan-review.md and plan-review.json in `folder`, and with them the saved plans and the record
    `main.py apply --reviewed` applies (operations/review_record.py); returns the Markdown file."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "plan-review.json").write_text(json.dumps(result.summary(), indent=2) + "\n")
    markdown = folder / "plan-review.md"
    markdown.write_text(result.markdown())
    planned = {tier.stack: review_record.Planned(tier.stack, tier.planfile, tier.changed, tier.note)
               for tier in result.tiers if tier.planfile is not None}
    skipped = {d.stack: review_record.Skipped(d.stack, d.code, d.applied, d.why)
               for d in result.decisions.values() if not d.plan and d.applied is not None}
    order = list(result.decisions) or list(planned)
    if (planned or skipped) and result.cluster is not None:
        review_record.save(folder, result.cluster, [planned.get(stack) or skipped[stack] for stack in order])
    return markdown


def exit_status(result: Review, *, fail_on_attention: bool = False) -> int:
    """0 no changes, 2 changes; 1 when attention items fail the run."""
    if fail_on_attention and result.attention:
        return 1
    return 2 if result.changed else 0
