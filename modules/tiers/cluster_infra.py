"""Cluster-infra tier (02): private zone, API records, network load balancers, listeners, target groups.

As the reference template 02_cluster_infra.yaml builds them, with SPEC 3's
decisions: TCP target groups with IP targets and HTTPS health checks, no etcd
records, and no Lambda. The template's Lambda-backed registrations become
target-group attachments in the machine tiers, and its subnet tagging is done
by the network tier. The load-balancing table itself (`API_TARGETS`) lives in
configuration/topology.py, where the machine tiers find it without this tier.

`publish: Internal` drops the external NLB, its listener and target group, and
the public record; nothing else changes. With `private_zone_id`, the tier creates
no zone and only writes its records into the one given (through the role
`private_zone_role_arn` when that zone is another account's: a second provider
configuration, `aws.private_zone`, in a stack; a module takes the caller's).
In aws-us-gov, alias records to NLBs are not allowed, so the private records are
CNAMEs (TTL 10, as the template).
"""
from __future__ import annotations

from typing import Any

from cdktf_cdktf_provider_aws.data_aws_route53_zone import DataAwsRoute53Zone
from cdktf_cdktf_provider_aws.lb import Lb
from cdktf_cdktf_provider_aws.lb_listener import LbListener, LbListenerDefaultAction
from cdktf_cdktf_provider_aws.lb_target_group import LbTargetGroup, LbTargetGroupHealthCheck
from cdktf_cdktf_provider_aws.route53_record import Route53Record, Route53RecordAlias
from cdktf_cdktf_provider_aws.route53_zone import Route53Zone, Route53ZoneVpc

from ..configuration.topology import API_TARGETS, Tier, load_balancer_names
from ..constructs.cdk import Construct, Postcondition, TerraformResourceLifecycle
from ..constructs.hcl import (
    absent_note,
    address,
    attribute,
    both,
    interpolate,
    is_null,
    is_set,
    local_value,
    negate,
    new,
    optional_count,
    optional_value,
    rows_when,
    value_or,
)
from ..constructs.waivers import waive
from .base import TierStack
from .inputs import InputSource

CNAME_TTL = 10  # as the reference template sets it for GovCloud
HEALTH_CHECK_INTERVAL = 10
HEALTHY_THRESHOLD = UNHEALTHY_THRESHOLD = 2
DEREGISTRATION_DELAY = 60
LOAD_BALANCER_WAIVERS = {
    "CKV_AWS_150": "Deletion protection would block destroying the tier, which its lifecycle needs.",
    "CKV_AWS_91": "NLB access logs only cover TLS listeners, and these listeners are TCP.",
    "CKV_AWS_152": "Cross-zone is off, as in the reference template: every AZ has a master to send to.",
}


def public_zone_id(stack: TierStack) -> str:
    """The public zone's ID for a tier that writes records there (when External): `public_zone_id`, or
    `data.aws_route53_zone.public`, the base domain's public zone looked up."""
    inputs = stack.inputs
    lookup = optional_count(both(inputs.external, is_null(inputs.public_zone_id)))
    zone = None if lookup is None else new(DataAwsRoute53Zone, stack, "public", name=inputs.base_domain,
                                           private_zone=False, **lookup)
    return value_or(inputs.public_zone_id, zone, "zone_id")


class ClusterInfraStack(TierStack):
    tier = Tier.CLUSTER_INFRA

    def __init__(self, scope: Construct, source: InputSource):
        super().__init__(scope, source)
        self.vpc_id = self.read(Tier.NETWORK, "vpc_id")
        self.private_zone_id = self._private_zone()
        self.internal, self.external = self._load_balancers()
        self._listeners()
        for name in ("api", "api-int"):
            self._private_record(name)
        if self.external is not None:
            self._public_record()
        self.outputs(self._outputs())
        self.finish()

    def _private_zone(self) -> str:
        """The private zone's ID: the one given, or a zone this tier creates for the cluster domain."""
        inputs = self.inputs
        count = optional_count(is_null(inputs.private_zone_id))
        zone = None if count is None else new(
            Route53Zone, self, "private", name=inputs.cluster_domain,
            comment=f"Private zone of OpenShift cluster {inputs.cluster_domain}",
            vpc=[Route53ZoneVpc(vpc_id=self.vpc_id, vpc_region=inputs.region)],
            tags={"Name": f"{inputs.infra_id}-int", f"kubernetes.io/cluster/{inputs.infra_id}": "owned"}, **count)
        self._check_given_zone()
        return value_or(inputs.private_zone_id, zone, "zone_id")

    def _check_given_zone(self) -> None:
        """At plan time: a given zone is private, for the cluster's domain or a parent of it (a public
        one would publish api-int; another domain's would hold records nobody resolves)."""
        inputs = self.inputs
        count = optional_count(is_set(inputs.private_zone_id))
        if count is None:
            return
        # A local: in a module the domain is variables, which a token inside `${}` would render bare.
        local_value(self, "cluster_domain", inputs.cluster_domain)
        provider = {"provider": inputs.private_zone_provider} if inputs.private_zone_provider else {}
        name = 'trimsuffix(self.name, ".")'
        new(DataAwsRoute53Zone, self, "given_private", zone_id=interpolate(inputs.private_zone_id), **provider,
            lifecycle=TerraformResourceLifecycle(postcondition=[Postcondition(
                condition=f'${{self.private_zone && ({name} == local.cluster_domain || '
                          f'endswith(local.cluster_domain, ".${{{name}}}"))}}',
                error_message="private_zone_id: zone ${self.zone_id} (${self.name}) must be a private zone for "
                              "${local.cluster_domain} or a parent domain of it, associated with the cluster's VPC.")]),
            **count)

    def _load_balancers(self) -> tuple[Lb, Lb | None]:
        """The internal NLB in the private subnets; the external one in the public subnets, unless Internal."""
        names, external = load_balancer_names(self.inputs.infra_id), optional_count(self.inputs.external)
        internal = new(Lb, self, "internal", name=names["internal"], load_balancer_type="network", internal=True,
                       ip_address_type="ipv4", subnets=self.read(Tier.NETWORK, "private_subnet_ids"),
                       tags={"Name": names["internal"]})
        balancer = None
        if external is not None:
            balancer = new(Lb, self, "external", name=names["external"], load_balancer_type="network",
                           internal=False, ip_address_type="ipv4", subnets=self.read(Tier.NETWORK, "public_subnet_ids"),
                           tags={"Name": names["external"]}, **external)
        for lb in filter(None, (internal, balancer)):
            for check_id, reason in LOAD_BALANCER_WAIVERS.items():
                waive(lb, check_id, reason)
        return internal, balancer

    def _listeners(self) -> None:
        """One TCP listener and target group per row of API_TARGETS that this cluster has."""
        infra_id = self.inputs.infra_id
        arns = {"internal": self.internal.arn}
        if self.external is not None:
            arns["external"] = attribute(self.external, "arn")
        rows = rows_when(self, "api_targets", {
            key: {"port": t.port, "path": t.health_check_path, "name": f"{infra_id}-{t.name_suffix}",
                  "load_balancer_arn": arns[t.load_balancer]}
            for key, t in API_TARGETS.items() if t.load_balancer in arns},
            {key: self.inputs.external for key, t in API_TARGETS.items() if t.external})
        self.target_groups = new(
            LbTargetGroup, self, "api", for_each=rows, name=rows.get_string("name"),
            port=rows.get_number("port"), protocol="TCP", target_type="ip",
            vpc_id=self.vpc_id, deregistration_delay=str(DEREGISTRATION_DELAY),
            health_check=LbTargetGroupHealthCheck(
                protocol="HTTPS", path=rows.get_string("path"), port="${each.value.port}",
                interval=HEALTH_CHECK_INTERVAL, healthy_threshold=HEALTHY_THRESHOLD,
                unhealthy_threshold=UNHEALTHY_THRESHOLD),
            tags={"Name": rows.get_string("name")})
        new(LbListener, self, "listener.api", for_each=rows,
            load_balancer_arn=rows.get_string("load_balancer_arn"), port=rows.get_number("port"), protocol="TCP",
            default_action=[LbListenerDefaultAction(
                type="forward", target_group_arn=f"${{{address(self.target_groups)}[each.key].arn}}")])

    def _private_record(self, name: str) -> None:
        """An alias record where the partition allows aliases to NLBs, a CNAME elsewhere."""
        fqdn = f"{name}.{self.inputs.cluster_domain}"
        record_id = f"record.{name.replace('-', '_')}"
        aliases = self.inputs.partition.allows_external_publish
        alias_count, cname_count = optional_count(aliases), optional_count(negate(aliases))
        provider = {"provider": self.inputs.private_zone_provider} if self.inputs.private_zone_provider else {}
        if alias_count is not None:
            new(Route53Record, self, record_id, zone_id=self.private_zone_id, name=fqdn, type="A", **provider,
                alias=Route53RecordAlias(name=self.internal.dns_name, zone_id=self.internal.zone_id,
                                         evaluate_target_health=False), **alias_count)
        if cname_count is not None:
            # A module has both, one of them with count 0, so they need different names.
            new(Route53Record, self, f"{record_id}_cname" if alias_count is not None else record_id,
                zone_id=self.private_zone_id, name=fqdn, type="CNAME", **provider,
                ttl=CNAME_TTL, records=[self.internal.dns_name], **cname_count)

    def _public_record(self) -> None:
        """`api.<cluster domain>` in the public zone: `public_zone_id`, or looked up by the base domain."""
        inputs, balancer = self.inputs, self.external
        new(Route53Record, self, "external_api", zone_id=public_zone_id(self),
            name=f"api.{inputs.cluster_domain}", type="A", **optional_count(inputs.external),
            alias=Route53RecordAlias(name=attribute(balancer, "dns_name"), zone_id=attribute(balancer, "zone_id"),
                                     evaluate_target_health=False))

    def _outputs(self) -> dict[str, tuple[Any, str] | None]:
        external, groups = self.inputs.external, address(self.target_groups)
        absent = absent_note(external, "null when Internal")
        outputs: dict[str, tuple[Any, str] | None] = {
            "private_zone_id": (self.private_zone_id, "ID of the cluster's private hosted zone (created, or given)."),
            "api_server_dns_name": (f"api-int.{self.inputs.cluster_domain}",
                                    "Host name of the API server for the machines' Ignition."),
            "internal_api_lb_dns_name": (self.internal.dns_name, "DNS name of the internal API load balancer."),
            "internal_api_lb_zone_id": (self.internal.zone_id, "Hosted zone ID of the internal API load balancer."),
            "target_group_arns": ("${ { for key, group in " + groups + " : key => group.arn } }",
                                  "ARN of every API target group, by name (external_api, internal_api, "
                                  "internal_service)."),
        }
        if self.external is not None:
            outputs["external_api_lb_dns_name"] = (attribute(self.external, "dns_name"),
                                                   f"DNS name of the external API load balancer{absent}.")
            outputs["external_api_lb_zone_id"] = (attribute(self.external, "zone_id"),
                                                  f"Hosted zone ID of the external API load balancer{absent}.")
        for key, target in API_TARGETS.items():
            arn, label = optional_value(external if target.external else True, f'{groups}["{key}"].arn'), \
                key.replace("_", " ")
            note = absent if target.external else ""
            outputs[f"{key}_target_group_arn"] = None if arn is None else (
                arn, f"ARN of the {label} target group{note}.")
        return outputs
