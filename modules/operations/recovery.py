"""What a killed run created that its tier's state never recorded: found, then adopted or named.

Terraform writes a tier's state when an apply ends (and every 20 s meanwhile). A run
killed in between leaves objects that no state holds: the next apply would create
each machine again beside its twin, and fail on what AWS allows once under a name
(`EntityAlreadyExists`, `InvalidGroup.Duplicate`, `InvalidPermission.Duplicate`).

`find_orphans` reads what the tier's synthesized code declares (`declared`), and
looks each instance up in AWS by what the code gives it (FINDERS: the name of a
role, profile, group or load balancer; the Name tag of a machine or a rule), in
the cluster's VPC, and keeps what no tier's state holds. Each one at an address
the state leaves empty is adopted: an `import` block in IMPORTS_FILE in the stack
folder, which the next apply plans and applies like any change (and which goes
once applied). Any other (a machine's twin, a machine whose key the configuration
dropped) is named with the command that removes it. Types outside FINDERS are not
looked for (records and listeners are written again in place, and a second target
registration is a no-op), nor are resources whose instances are known at plan time
only (`computed`: `unlock` names them); docs/operations/recovery.md says how to import one by hand.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from ..configuration.topology import IMPORTS_FILE
from .cluster_resources import managed_ids, pages

ADOPTABLE_STATES = ["pending", "running", "stopped"]  # not a machine on its way out
REFERENCE = re.compile(r"^\$\{(aws_[a-z0-9_]+)\.(\w+)\.(?:id|name)\}$")


@dataclass(frozen=True)
class Declared:
    """One resource instance a tier's code declares, with its literal attributes (`${each.key}` and
    `${each.value.x}` filled in from a literal `for_each`)."""

    type: str
    address: str
    attributes: dict[str, Any]
    row: Any = None  # its row of a literal `for_each`

    @property
    def tag_name(self) -> str | None:
        name = (self.attributes.get("tags") or {}).get("Name")
        return name if isinstance(name, str) and "${" not in name else None

    def literal(self, key: str) -> str | None:
        value = self.attributes.get(key)
        return value if isinstance(value, str) and "${" not in value else None


def declared(stack: dict[str, Any]) -> Iterator[Declared]:
    """Every resource instance of a synthesized stack document whose `for_each` (if any) is literal."""
    for kind, blocks in stack.get("resource", {}).items():
        for name, block in blocks.items():
            rows = block.get("for_each")
            if rows is None and "count" not in block:
                yield Declared(kind, f"{kind}.{name}", block)
            elif isinstance(rows, dict):
                for key, row in rows.items():
                    yield Declared(kind, f'{kind}.{name}["{key}"]', _fill(block, key, row), row)


def computed(stack: dict[str, Any]) -> list[str]:
    """The resources of FINDERS' types whose instances depend on values known at plan time only (a
    computed `for_each` or a `count`): `declared` cannot list them, and recovery does not look for them."""
    return [f"{kind}.{name}" for kind, blocks in stack.get("resource", {}).items() if kind in FINDERS
            for name, block in blocks.items() if "count" in block or isinstance(block.get("for_each"), str)]


def _fill(value: Any, key: str, row: Any) -> Any:
    if isinstance(value, dict):
        return {k: _fill(v, key, row) for k, v in value.items() if k != "for_each"}
    if isinstance(value, str):
        value = value.replace("${each.key}", key)
        if isinstance(row, dict):
            single = re.fullmatch(r"\$\{each\.value\.(\w+)\}", value)
            if single and isinstance(row.get(single.group(1)), str):
                return row[single.group(1)]
    return value


@dataclass(frozen=True)
class Orphan:
    type: str
    id: str
    name: str
    address: str | None  # where it is adopted; None: it has no place, and is removed by hand

    def __str__(self) -> str:
        if self.address is not None:
            return f"{self.type} {self.id} ({self.name}): adopted as {self.address}"
        return f"{self.type} {self.id} ({self.name}): no place for it in the configuration; remove it: " + \
            f"aws ec2 terminate-instances --instance-ids {self.id}"


# --------------------------------------------------------------------------- finding one declared object


@dataclass
class Known:
    """What the finders know besides AWS: the cluster's infra ID, the literal names of the tier's
    resources, and the IDs of those its state holds or this recovery adopts (address -> ID)."""

    infra_id: str
    names: dict[str, str]
    ids: dict[str, str]

    def referenced(self, value: Any) -> str | None:
        """The ID a `${aws_x.y.id}` reference to one of the tier's resources stands for, if known."""
        reference = REFERENCE.match(value) if isinstance(value, str) else None
        return self.ids.get(f"{reference.group(1)}.{reference.group(2)}") if reference else None


def _client_error(code: str, error: Exception) -> bool:
    return getattr(error, "response", {}).get("Error", {}).get("Code") == code


def _get(call: Callable[[], Any], missing: str) -> Any:
    from botocore.exceptions import ClientError

    try:
        return call()
    except ClientError as error:
        if _client_error(missing, error):
            return None
        raise


def _role(aws: Any, item: Declared, known: Known, vpc: str) -> list[str]:
    name = item.literal("name")
    return [name] if name and _get(lambda: aws("iam").get_role(RoleName=name), "NoSuchEntity") else []


def _profile(aws: Any, item: Declared, known: Known, vpc: str) -> list[str]:
    name = item.literal("name")
    found = name and _get(lambda: aws("iam").get_instance_profile(InstanceProfileName=name), "NoSuchEntity")
    return [name] if found else []


def _role_policy(aws: Any, item: Declared, known: Known, vpc: str) -> list[str]:
    name, role = item.literal("name"), item.attributes.get("role")
    reference = REFERENCE.match(role) if isinstance(role, str) else None
    role = known.names.get(f"{reference.group(1)}.{reference.group(2)}") if reference else item.literal("role")
    if not (name and role):
        return []
    found = _get(lambda: aws("iam").get_role_policy(RoleName=role, PolicyName=name), "NoSuchEntity")
    return [f"{role}:{name}"] if found else []


def _group(aws: Any, item: Declared, known: Known, vpc: str) -> list[str]:
    name = item.literal("name")
    return [g["GroupId"] for g in pages(aws("ec2"), "describe_security_groups", "SecurityGroups", Filters=[
        {"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": [name]}])] if name else []


def _rule(aws: Any, item: Declared, known: Known, vpc: str) -> list[str]:
    """A rule by its Name tag (the tiers name each rule by its key), on one of the cluster's own groups
    (named `<infra_id>-...`): in a VPC two clusters share, the other cluster's rules carry the same keys.
    Untagged, a rule with a literal CIDR is found by what it allows on its group: the allow-all egress
    rule AWS gives every new group (which Terraform revokes right after creating the group, unless the
    run is killed in between), or a rule whose tagging the kill cut off."""
    ec2, name, egress = aws("ec2"), item.tag_name, item.type.endswith("egress_rule")
    groups = {g["GroupId"] for g in pages(ec2, "describe_security_groups", "SecurityGroups",
                                          Filters=[{"Name": "vpc-id", "Values": [vpc]}])
              if g["GroupName"].startswith(f"{known.infra_id}-")}
    if name:
        tagged = [r["SecurityGroupRuleId"] for r in pages(ec2, "describe_security_group_rules", "SecurityGroupRules",
                                                          Filters=[{"Name": "tag:Name", "Values": [name]}])
                  if r["GroupId"] in groups and bool(r.get("IsEgress")) == egress]
        if tagged:
            return tagged
    row = item.row if isinstance(item.row, dict) else {}
    group = known.referenced(row.get("security_group_id"))
    if group not in groups or not isinstance(row.get("cidr_ipv4"), str):
        return []
    rules = pages(ec2, "describe_security_group_rules", "SecurityGroupRules",
                  Filters=[{"Name": "group-id", "Values": [group]}])
    return [r["SecurityGroupRuleId"] for r in rules if bool(r.get("IsEgress")) == egress and not r.get("Tags")
            and _allows(r, row)]


def _allows(rule: dict[str, Any], row: dict[str, Any]) -> bool:
    """Whether an untagged rule allows exactly what a declared row (protocol, ports, CIDR) does."""
    protocol = str(row.get("ip_protocol"))
    ports = (row.get("from_port"), row.get("to_port")) if protocol != "-1" else (-1, -1)
    return (rule.get("IpProtocol") == protocol and (rule.get("FromPort"), rule.get("ToPort")) == ports
            and rule.get("CidrIpv4") == row["cidr_ipv4"])


def _load_balancer(aws: Any, item: Declared, known: Known, vpc: str) -> list[str]:
    name = item.literal("name")
    found = name and _get(lambda: aws("elbv2").describe_load_balancers(Names=[name]), "LoadBalancerNotFound")
    return [lb["LoadBalancerArn"] for lb in (found or {}).get("LoadBalancers", []) if lb.get("VpcId") == vpc]


def _target_group(aws: Any, item: Declared, known: Known, vpc: str) -> list[str]:
    name = item.literal("name")
    found = name and _get(lambda: aws("elbv2").describe_target_groups(Names=[name]), "TargetGroupNotFound")
    return [tg["TargetGroupArn"] for tg in (found or {}).get("TargetGroups", []) if tg.get("VpcId") == vpc]


def _machine(aws: Any, item: Declared, known: Known, vpc: str) -> list[str]:
    """Live instances with the machine's Name tag, in the VPC, oldest first."""
    name = item.tag_name
    if not name:
        return []
    found = [i for r in pages(aws("ec2"), "describe_instances", "Reservations", Filters=[
        {"Name": "vpc-id", "Values": [vpc]}, {"Name": "tag:Name", "Values": [name]},
        {"Name": "instance-state-name", "Values": ADOPTABLE_STATES}]) for i in r["Instances"]]
    return [i["InstanceId"] for i in sorted(found, key=lambda i: (str(i.get("LaunchTime", "")), i["InstanceId"]))]


# Per resource type: how to find the object(s) one declared instance stands for (their import IDs).
FINDERS: dict[str, Callable[[Any, Declared, Known, str], list[str]]] = {
    "aws_iam_role": _role,
    "aws_iam_instance_profile": _profile,
    "aws_iam_role_policy": _role_policy,
    "aws_security_group": _group,
    "aws_vpc_security_group_ingress_rule": _rule,
    "aws_vpc_security_group_egress_rule": _rule,
    "aws_lb": _load_balancer,
    "aws_lb_target_group": _target_group,
    "aws_instance": _machine,
}


def find_orphans(document: dict[str, Any], state: dict[str, Any] | None, states: list[dict[str, Any]],
                 vpc_id: str | None, infra_id: str, aws: Any) -> list[Orphan]:
    """What a tier's synthesized `document` declares and AWS holds, but neither its `state` nor any of
    `states` does."""
    if vpc_id is None:
        return []
    # Rules last: an untagged one is found on its group, which this recovery may adopt first.
    items = sorted(declared(document), key=lambda item: item.type.endswith("_rule"))
    held = {_address(resource, instance): (instance.get("attributes") or {}).get("id")
            for resource in (state or {}).get("resources", []) if resource.get("mode") != "data"
            for instance in resource.get("instances", [])}
    managed = managed_ids([*states, state or {}])
    known = Known(infra_id, {item.address: item.literal("name") or "" for item in items},
                  {address: ident for address, ident in held.items() if isinstance(ident, str)})
    orphans = []
    for item in items:
        finder = FINDERS.get(item.type)
        if finder is None:
            continue
        found = [ident for ident in finder(aws, item, known, vpc_id) if ident not in managed]
        label = item.tag_name or item.literal("name") or item.address
        if found and item.address not in held:
            orphans.append(Orphan(item.type, found[0], label, item.address))
            known.ids[item.address] = found[0]
            found = found[1:]
        # Machines are the only objects AWS lets exist twice under one name: a twin goes by hand.
        orphans += [Orphan(item.type, ident, label, None) for ident in found if item.type == "aws_instance"]
    return orphans


def _address(resource: dict[str, Any], instance: dict[str, Any]) -> str:
    base = f"{resource['type']}.{resource['name']}"
    if resource.get("module"):
        base = f"{resource['module']}.{base}"
    key = instance.get("index_key")
    return base if key is None else f'{base}["{key}"]' if isinstance(key, str) else f"{base}[{key}]"


def write_imports(folder: Path, orphans: list[Orphan]) -> Path | None:
    """IMPORTS_FILE with an `import` block per adoptable orphan (None, and no file, when there is none)."""
    blocks = [{"to": o.address, "id": o.id} for o in orphans if o.address is not None]
    if not blocks:
        return None
    path = folder / IMPORTS_FILE
    path.write_text(json.dumps({"import": blocks}, indent=2) + "\n")
    return path


def drop_imports(folder: Path) -> None:
    """The apply that held IMPORTS_FILE succeeded: its blocks are done (Terraform would keep them as no-ops)."""
    (folder / IMPORTS_FILE).unlink(missing_ok=True)
