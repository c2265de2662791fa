"""What changed outside Terraform: the plans' `resource_drift`, and security-group rules no state manages.

Terraform sees drift only in what it manages. A rule someone adds in the console
to one of the cluster's groups is in no state (every rule is a standalone
resource: constructs/rules.py), so no plan shows it; it is found here through the
EC2 API, against the rule IDs every tier's state holds. (A Terraform `check` block
with a nested data source would find it too, but such a block makes every
`plan -detailed-exitcode` report changes, hashicorp/terraform#35226, and an empty
plan is how users and CI know a cluster converged.)
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

if TYPE_CHECKING:
    from ..configuration import ClusterConfig

RULE_TYPES = ("aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule", "aws_security_group_rule")
# Attributes that mirror other resources, so they move whenever those are created or
# changed, on AWS as on the emulator: a group's inline rules (its rules are standalone
# resources) and a role's inline and attached policies (standalone resources too).
MIRRORS = {"aws_security_group": {"ingress", "egress"}, "aws_iam_role": {"inline_policy", "managed_policy_arns"}}
# Drift here changes who can reach or act as the cluster, or what runs it.
WATCHED = RULE_TYPES + ("aws_security_group", "aws_iam_role", "aws_iam_role_policy", "aws_iam_policy",
                        "aws_iam_role_policy_attachment", "aws_iam_instance_profile", "aws_instance", "aws_lb",
                        "aws_lb_listener", "aws_lb_target_group", "aws_lb_target_group_attachment")


@dataclass(frozen=True)
class Drift:
    address: str
    type: str
    deleted: bool
    attributes: tuple[str, ...]  # what changed, when not deleted

    def describe(self) -> str:
        return "deleted outside Terraform" if self.deleted else \
            "changed outside Terraform: " + ", ".join(self.attributes)

    @property
    def watched(self) -> bool:
        return self.type in WATCHED


def _blank(value: Any) -> bool:
    return value in (None, "", [], {})


def same(before: Any, after: Any) -> bool:
    """Equal, counting null and empty as one at any depth (the provider reads back an unset map
    or block as either, e.g. a root volume's `tags`)."""
    if _blank(before) and _blank(after):
        return True
    if isinstance(before, dict) and isinstance(after, dict):
        return all(same(before.get(key), after.get(key)) for key in set(before) | set(after))
    if isinstance(before, list) and isinstance(after, list):
        return len(before) == len(after) and all(same(b, a) for b, a in zip(before, after))
    return before == after


def resource_drift(plan: dict[str, Any]) -> list[Drift]:
    """The plan's `resource_drift`, less the mirrors and null-versus-empty noise (`same`)."""
    found = []
    for entry in plan.get("resource_drift", []):
        if entry.get("mode") != "managed":
            continue
        body = entry["change"]
        if "delete" in body["actions"]:
            found.append(Drift(entry["address"], entry["type"], True, ()))
            continue
        before, after = body.get("before") or {}, body.get("after") or {}
        ignored = MIRRORS.get(entry["type"], set())
        changed = tuple(sorted(key for key in set(before) | set(after)
                               if key not in ignored and not same(before.get(key), after.get(key))))
        if changed:
            found.append(Drift(entry["address"], entry["type"], False, changed))
    return found


# How the in-cluster cloud provider writes its load balancers' rules into a node group
# (kubernetes/cloud-provider-aws, aws.go): a Classic ELB's as all traffic from the ELB's own group, an
# NLB's with these descriptions (client traffic, health checks, path MTU discovery).
CLOUD_PROVIDER_RULE = "kubernetes.io/rule/nlb/"


def managed_groups_and_rules(states: Iterable[dict[str, Any]]) -> tuple[dict[str, str], set[str], set[str]]:
    """From Terraform states: the security groups (ID -> name), every rule ID they manage, and the
    groups handed to the in-cluster cloud provider (tagged `kubernetes.io/cluster/<infra_id>: owned`:
    `<infra_id>-lb`, configuration/releases.py), where its load balancers' rules are the cluster's."""
    groups: dict[str, str] = {}
    rules: set[str] = set()
    handed: set[str] = set()
    for state in states:
        for resource in state.get("resources", []):
            if resource.get("mode") == "data":
                continue
            for instance in resource.get("instances", []):
                attributes = instance.get("attributes") or {}
                if resource["type"] == "aws_security_group" and attributes.get("id"):
                    groups[attributes["id"]] = attributes.get("name") or attributes["id"]
                    if _cloud_provider_group(attributes.get("tags") or {}):
                        handed.add(attributes["id"])
                elif resource["type"] in RULE_TYPES:
                    rules |= {value for value in (attributes.get("security_group_rule_id"), attributes.get("id"))
                              if isinstance(value, str) and value.startswith("sgr-")}
    return groups, rules, handed


def _cloud_provider_group(tags: dict[str, str]) -> bool:
    return any(key.startswith("kubernetes.io/cluster/") and value == "owned" for key, value in tags.items())


def unmanaged_rules(ec2: Any, states: Iterable[dict[str, Any]]) -> list[str]:
    """One line per rule on the cluster's security groups that no state manages."""
    groups, managed, handed = managed_groups_and_rules(states)
    if not groups:
        return []
    lines = []
    pages = ec2.get_paginator("describe_security_group_rules").paginate(
        Filters=[{"Name": "group-id", "Values": sorted(groups)}])
    for rule in (rule for page in pages for rule in page.get("SecurityGroupRules", [])):
        if rule["SecurityGroupRuleId"] in managed:
            continue
        if rule["GroupId"] in handed and (rule.get("ReferencedGroupInfo") or str(rule.get("Description") or "")
                                          .startswith(CLOUD_PROVIDER_RULE)):
            continue  # the cloud provider's, for a load balancer of the cluster
        peer = (rule.get("CidrIpv4") or rule.get("CidrIpv6") or rule.get("PrefixListId")
                or (rule.get("ReferencedGroupInfo") or {}).get("GroupId") or "?")
        protocol = rule.get("IpProtocol")
        ports = "all traffic" if str(protocol) == "-1" else f"{protocol} {rule.get('FromPort')}-{rule.get('ToPort')}"
        direction = "egress to" if rule.get("IsEgress") else "ingress from"
        lines.append(f"`{groups[rule['GroupId']]}` ({rule['GroupId']}): {direction} {peer} ({ports}), rule "
                     f"{rule['SecurityGroupRuleId']}, is managed by no Terraform state (added outside Terraform)")
    return sorted(lines)


def outside_terraform(config: "ClusterConfig", outdir: Path, env: dict[str, str] | None = None) -> Callable[[], list[str]]:
    """What plan review runs beside the plans: the cluster's rules that no state manages."""
    from .cluster_resources import aws_errors
    from .teardown import ClusterRemoval  # it reads every tier's state as Terraform keeps it

    def find() -> list[str]:
        removal = ClusterRemoval(config, outdir, env)
        with aws_errors():
            return unmanaged_rules(removal.aws("ec2"), removal.states().values())

    return find
