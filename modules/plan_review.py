"""Reading `terraform show -json` plans the way a reviewer should: what matters first.

For each tier: counts to add, change, replace and destroy, and the changed
resources with the attributes that change. Above them, an Attention list:
- security-group rules opened to 0.0.0.0/0 or ::/0, or whose ports widen;
- IAM policy statements added or widened, as an action-level diff;
- replacements or deletions of stateful or identity-bearing resources;
- changes in tiers other than the one the change targets.
"""
from __future__ import annotations

import fnmatch
import json
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable

WORLD = ("0.0.0.0/0", "::/0")
RULE_TYPES = ("aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule", "aws_security_group_rule")
POLICY_ATTRIBUTES = {"aws_iam_role_policy": "policy", "aws_iam_policy": "policy", "aws_iam_role": "assume_role_policy",
                     "aws_s3_bucket_policy": "policy"}
# Losing or recreating these loses data, addresses or identities others depend on.
PRECIOUS = ("aws_route53_zone", "aws_lb", "aws_s3_bucket", "aws_dynamodb_table", "aws_instance", "aws_eip",
            "aws_iam_role", "aws_vpc", "aws_nat_gateway")


@dataclass
class Change:
    address: str
    type: str
    action: str  # create, update, replace, delete
    attributes: list[str]


@dataclass
class TierReview:
    stack: str
    counts: dict[str, int] = field(default_factory=lambda: {"add": 0, "change": 0, "replace": 0, "destroy": 0})
    changes: list[Change] = field(default_factory=list)
    attention: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(self.counts.values())


def action_of(actions: list[str]) -> str | None:
    if actions in (["no-op"], ["read"]):
        return None
    if "delete" in actions and "create" in actions:
        return "replace"
    return {"create": "create", "update": "update", "delete": "delete"}[actions[0]]


def changed_attributes(before: Any, after: Any, unknown: Any) -> list[str]:
    before, after, unknown = before or {}, after or {}, unknown or {}
    keys = set(before) | set(after) | {k for k, v in unknown.items() if v}
    return sorted(k for k in keys if before.get(k) != after.get(k) or unknown.get(k))


def review_tier(stack: str, plan: dict[str, Any]) -> TierReview:
    review = TierReview(stack)
    for change in plan.get("resource_changes", []):
        if change.get("mode") != "managed":
            continue
        action = action_of(change["change"]["actions"])
        if action is None:
            continue
        review.counts[{"create": "add", "update": "change", "replace": "replace", "delete": "destroy"}[action]] += 1
        body = change["change"]
        review.changes.append(Change(change["address"], change["type"], action,
                                     changed_attributes(body.get("before"), body.get("after"),
                                                        body.get("after_unknown"))))
        review.attention += attention_for(change["address"], change["type"], action, body.get("before"),
                                          body.get("after"))
    return review


def attention_for(address: str, kind: str, action: str, before: Any, after: Any) -> list[str]:
    items: list[str] = []
    if kind in RULE_TYPES and action != "delete":
        items += _rule_attention(address, before or {}, after or {})
    if kind in POLICY_ATTRIBUTES and action != "delete":
        attribute = POLICY_ATTRIBUTES[kind]
        granted = allowed(before, attribute)
        added = sorted(f"{action} on {resource}" for action, resource in allowed(after, attribute)
                       if not any(covers(old, (action, resource)) for old in granted))
        if added:
            items.append(f"`{address}`: IAM grants added: " + ", ".join(f"`{a}`" for a in added))
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


def covers(grant: tuple[str, str], wanted: tuple[str, str]) -> bool:
    """Whether an (action, resource) grant, wildcards included, already allows `wanted`."""
    return (fnmatch.fnmatchcase(wanted[0].lower(), grant[0].lower())
            and fnmatch.fnmatchcase(wanted[1], grant[1]))


def allowed(values: Any, attribute: str) -> set[tuple[str, str]]:
    """The (action, resource) pairs a policy document attribute allows (empty when absent)."""
    text = (values or {}).get(attribute)
    if not isinstance(text, str):
        return set()
    document = json.loads(text)
    statements = document.get("Statement", [])
    lines = set()
    for statement in statements if isinstance(statements, list) else [statements]:
        if statement.get("Effect") != "Allow":
            continue
        for action in _as_list(statement.get("Action")):
            for resource in _as_list(statement.get("Resource", statement.get("Principal"))):
                lines.add((action, resource if isinstance(resource, str) else json.dumps(resource, sort_keys=True)))
    return lines


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


@dataclass
class Review:
    tiers: list[TierReview]
    target: str | None = None
    static: tuple[int, list[Any]] | None = None  # checkov: (passed, findings), see static_checks.py
    attention: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.attention = [item for tier in self.tiers for item in tier.attention]
        for finding in (self.static[1] if self.static else []):
            if finding.waiver is None:
                self.attention.append(f"`{finding.stack}`: checkov {finding.check_id} fails on "
                                      f"`{finding.resource}` ({finding.check_name}) and no construct waives it")
        changed = [tier.stack for tier in self.tiers if tier.changed]
        if self.target is not None:
            others = [stack for stack in changed if not stack.endswith(f"-{self.target}")]
            self.attention += [f"`{stack}` changes, but the change targets the {self.target} tier" for stack in others]

    @property
    def changed(self) -> bool:
        return any(tier.changed for tier in self.tiers)

    def summary(self) -> dict[str, Any]:
        static = None if self.static is None else {
            "passed": self.static[0], "findings": [{**asdict(f), "waiver": f.waiver} for f in self.static[1]]}
        return {"changed": self.changed, "target": self.target, "attention": self.attention, "static": static,
                "tiers": {tier.stack: tier.counts for tier in self.tiers},
                "changes": {tier.stack: [asdict(c) for c in tier.changes] for tier in self.tiers}}

    def markdown(self) -> str:
        lines = ["# Plan review", "", "## Attention", ""]
        lines += [f"- {item}" for item in self.attention] or ["None."]
        lines += ["", "## Summary", "", "| tier | add | change | replace | destroy |", "|---|---:|---:|---:|---:|"]
        lines += [f"| `{t.stack}` | {t.counts['add']} | {t.counts['change']} | {t.counts['replace']} | "
                  f"{t.counts['destroy']} |" for t in self.tiers]
        lines += ["", "## Static checks (checkov)", ""]
        if self.static is None:
            lines.append("Not run: checkov is not installed (`bash scripts/install --dev`).")
        else:
            passed, findings = self.static
            lines += [f"{passed} passed, {len(findings)} failed; failures waived in their construct:", "",
                      "| check | stack | resource | reason |", "|---|---|---|---|"]
            lines += [f"| {f.check_id} | `{f.stack}` | `{_cell(f.resource)}` | {_cell(f.waiver or '**not waived**')} |"
                      for f in findings]
        for tier in self.tiers:
            if not tier.changes:
                continue
            lines += ["", f"## {tier.stack}", "", "| resource | action | attributes |", "|---|---|---|"]
            lines += [f"| `{_cell(c.address)}` | {c.action} | {_cell(', '.join(c.attributes))} |"
                      for c in tier.changes]
        return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|") or "-"


def review(plans: Iterable[tuple[str, dict[str, Any]]], target: str | None = None,
           static: tuple[int, list[Any]] | None = None) -> Review:
    return Review([review_tier(stack, plan) for stack, plan in plans], target, static)


def plan_all(outdir: Any, cluster: str, env: dict[str, str] | None = None) -> list[tuple[str, dict[str, Any]]]:
    """`terraform init` + `plan -out` + `show -json` of every tier, in dependency order."""
    from . import deploy, terraform_cli

    plans = []
    for stack in deploy.stack_order(outdir, cluster):
        folder = deploy.stack_dir(outdir, stack)
        terraform_cli.run(["init", "-input=false", "-no-color"], folder, env=env)
        terraform_cli.run(["plan", "-input=false", "-no-color", "-out=review.tfplan"], folder, env=env)
        shown = terraform_cli.run(["show", "-json", "review.tfplan"], folder, env=env)
        plans.append((stack, json.loads(shown.stdout)))
    return plans
