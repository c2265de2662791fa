"""Security-group rules as data, rendered as one `for_each` resource per direction.

A tier declares its rules as a table of `Rule`s; `render_rules` turns the table
into `aws_vpc_security_group_ingress_rule.<name>[<rule name>]` instances, so
adding, changing or removing one rule changes exactly one resource in a plan.
Every rule is a standalone rule resource: groups carry no inline rules (the
provider documents that the two fight over the same rules).
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Mapping

from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule

from .cdk import Construct, Token
from .hcl import Flag, new, rows_when


class Protocol(str, Enum):
    """IP protocols, as the EC2 API names them."""

    TCP = "tcp"
    UDP = "udp"
    ICMP = "icmp"
    ESP = "50"  # IPsec ESP has no ports
    ALL = "-1"


@dataclass(frozen=True)
class Peer:
    """Where traffic comes from (ingress) or goes to (egress): a CIDR or a named group."""

    cidr: str | None = None
    group: str | None = None

    @staticmethod
    def ipv4(cidr: str) -> "Peer":
        return Peer(cidr=cidr)

    @staticmethod
    def security_group(name: str) -> "Peer":
        return Peer(group=name)


ANY_IPV4 = Peer.ipv4("0.0.0.0/0")
VPC = Peer(cidr="vpc")  # the VPC's own CIDR, filled in when rendered


@dataclass(frozen=True)
class Rule:
    """One security-group rule. For ICMP, `from_port` is the type and `to_port` the code."""

    group: str
    protocol: Protocol
    peer: Peer
    description: str
    from_port: int | None = None
    to_port: int | None = None

    def __post_init__(self) -> None:
        portless = self.protocol in (Protocol.ESP, Protocol.ALL)
        if portless != (self.from_port is None and self.to_port is None):
            raise ValueError(f"{self}: protocol {self.protocol.value} {'takes no' if portless else 'needs'} ports")


def tcp(group: str, ports: int | tuple[int, int], peer: Peer, description: str) -> Rule:
    low, high = (ports, ports) if isinstance(ports, int) else ports
    return Rule(group, Protocol.TCP, peer, description, low, high)


def udp(group: str, ports: int | tuple[int, int], peer: Peer, description: str) -> Rule:
    low, high = (ports, ports) if isinstance(ports, int) else ports
    return Rule(group, Protocol.UDP, peer, description, low, high)


def security_groups(scope: Construct, infra_id: str, vpc_id: str, descriptions: Mapping[str, str], rules: str,
                    ingress: Mapping[str, Rule], egress: Mapping[str, Rule], vpc_cidr: str, *,
                    id_prefix: str = "", name_tags: Mapping[str, str] | None = None,
                    other_groups: Mapping[str, str] | None = None,
                    when: Mapping[str, Flag] | None = None) -> dict[str, SecurityGroup]:
    """`aws_security_group.<role>` (named `<infra_id>-<role>-sg`, and so tagged unless `name_tags` says
    otherwise) for each role of `descriptions`, and their rules as `render_rules(scope, rules, ...)`
    renders them (rules may also be on `other_groups`, role -> ID); the groups carry no inline rules."""
    tags = name_tags or {}
    groups = {role: new(SecurityGroup, scope, f"{id_prefix}{role}", name=f"{infra_id}-{role}-sg",
                        description=description, vpc_id=vpc_id,
                        tags={"Name": tags.get(role, f"{infra_id}-{role}-sg")})
              for role, description in descriptions.items()}
    render_rules(scope, rules, ingress, egress, {**{role: group.id for role, group in groups.items()},
                                                 **(other_groups or {})}, vpc_cidr, when=when)
    return groups


def render_rules(scope: Construct, name: str, ingress: Mapping[str, Rule], egress: Mapping[str, Rule],
                 group_ids: Mapping[str, str], vpc_cidr: str, *, when: Mapping[str, Flag] | None = None) -> None:
    """Create `aws_vpc_security_group_{ingress,egress}_rule.<name>`, one instance per rule; a rule whose
    key `when` maps to a flag exists only where the flag holds (see `hcl.rows_when`)."""
    when = when or {}
    for direction, rules, resource in (("ingress", ingress, VpcSecurityGroupIngressRule),
                                       ("egress", egress, VpcSecurityGroupEgressRule)):
        rows = {key: _row(rule, group_ids, vpc_cidr) for key, rule in rules.items() if when.get(key, True) is not False}
        if not rows:
            continue
        table = rows_when(scope, f"{name}_{direction}_rules", rows, {k: f for k, f in when.items() if k in rows})
        # Optional columns are absent from a row rather than null (jsii drops nulls), hence lookup().
        new(resource, scope, f"{direction}.{name}", for_each=table,
            security_group_id=table.get_string("security_group_id"),
            ip_protocol=table.get_string("ip_protocol"),
            description=table.get_string("description"),
            from_port=Token.as_number('${lookup(each.value, "from_port", null)}'),
            to_port=Token.as_number('${lookup(each.value, "to_port", null)}'),
            cidr_ipv4=Token.as_string('${lookup(each.value, "cidr_ipv4", null)}'),
            referenced_security_group_id=Token.as_string(
                '${lookup(each.value, "referenced_security_group_id", null)}'),
            tags={"Name": "${each.key}"})


def _row(rule: Rule, group_ids: Mapping[str, str], vpc_cidr: str) -> dict[str, object]:
    row: dict[str, object] = {"security_group_id": group_ids[rule.group], "ip_protocol": rule.protocol.value,
                              "description": rule.description}
    if rule.from_port is not None:
        row.update(from_port=rule.from_port, to_port=rule.to_port)
    if rule.peer.group is not None:
        row["referenced_security_group_id"] = group_ids[rule.peer.group]
    else:
        row["cidr_ipv4"] = vpc_cidr if rule.peer == VPC else rule.peer.cidr
    return row

