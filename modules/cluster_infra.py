"""Cluster-infra tier (02): private zone, API records, network load balancers, listeners, target groups.

As the reference template 02_cluster_infra.yaml builds them, with SPEC 3's
decisions: TCP target groups with IP targets and HTTPS health checks, no etcd
records, and no Lambda. The template's Lambda-backed registrations become
target-group attachments in the machine tiers, and its subnet tagging is done
by the network tier.

`publish: Internal` drops the external NLB, its listener and target group, and
the public record; nothing else changes. In aws-us-gov, alias records to NLBs
are not allowed, so the private records are CNAMEs (TTL 10, as the template).
"""
from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.data_aws_route53_zone import DataAwsRoute53Zone
from cdktf_cdktf_provider_aws.lb import Lb
from cdktf_cdktf_provider_aws.lb_listener import LbListener, LbListenerDefaultAction
from cdktf_cdktf_provider_aws.lb_target_group import LbTargetGroup, LbTargetGroupHealthCheck
from cdktf_cdktf_provider_aws.route53_record import Route53Record, Route53RecordAlias
from cdktf_cdktf_provider_aws.route53_zone import Route53Zone, Route53ZoneVpc

from .cdk import Construct, Token
from .config import ClusterConfig
from .tier import Tier, TierStack, address, new
from .variables import Expr, attribute, negate, optional_count, rows_when

CNAME_TTL = 10  # as the reference template sets it for GovCloud
CHECKOV_WAIVERS = {
    ("CKV_AWS_150", "*"): "Deletion protection would block destroying the tier, which its lifecycle needs.",
    ("CKV_AWS_91", "*"): "NLB access logs only cover TLS listeners, and these listeners are TCP.",
    ("CKV_AWS_152", "*"): "Cross-zone is off, as in the reference template: every AZ has a master to send to.",
}


@dataclass(frozen=True)
class ApiTarget:
    """A listener and its target group: one row of the load-balancing table."""

    load_balancer: str  # "external" or "internal"
    port: int
    health_check_path: str
    name_suffix: str  # target group name: <infra_id>-<suffix>, as the installer's Terraform named them
    external: bool = False


# Health checks, thresholds and deregistration delay follow 02_cluster_infra.yaml.
API_TARGETS: dict[str, ApiTarget] = {
    "external_api": ApiTarget("external", 6443, "/readyz", "aext", external=True),
    "internal_api": ApiTarget("internal", 6443, "/readyz", "aint"),
    "internal_service": ApiTarget("internal", 22623, "/healthz", "sint"),
}
HEALTH_CHECK_INTERVAL = 10
HEALTHY_THRESHOLD = UNHEALTHY_THRESHOLD = 2
DEREGISTRATION_DELAY = 60


def api_targets(config: ClusterConfig) -> dict[str, ApiTarget]:
    """The listeners/target groups this cluster has (the machine tiers register into these)."""
    return {key: target for key, target in API_TARGETS.items() if config.external or not target.external}


def load_balancer_names(infra_id: str) -> dict[str, str]:
    return {"external": f"{infra_id}-ext", "internal": f"{infra_id}-int"}


class ClusterInfraStack(TierStack):
    def __init__(self, scope: Construct, config: ClusterConfig | None = None):
        super().__init__(scope, config, Tier.CLUSTER_INFRA)
        config = self.config
        vpc_id = self.read(Tier.NETWORK, "vpc_id")
        infra_id, domain, external = config.infra_id, config.cluster_domain, config.external
        lb_names = load_balancer_names(infra_id)

        self.private_zone = new(
            Route53Zone, self, "private", name=domain, comment=f"Private zone of OpenShift cluster {domain}",
            vpc=[Route53ZoneVpc(vpc_id=vpc_id, vpc_region=config.region)],
            tags={"Name": f"{infra_id}-int", f"kubernetes.io/cluster/{infra_id}": "owned"})

        internal = new(Lb, self, "internal", name=lb_names["internal"], load_balancer_type="network", internal=True,
                       ip_address_type="ipv4", subnets=self.read(Tier.NETWORK, "private_subnet_ids"),
                       tags={"Name": lb_names["internal"]})
        arns = {"internal": internal.arn}
        external_count = optional_count(external)
        if external_count is not None:
            balancer = new(Lb, self, "external", name=lb_names["external"], load_balancer_type="network",
                           internal=False, ip_address_type="ipv4", subnets=self.read(Tier.NETWORK, "public_subnet_ids"),
                           tags={"Name": lb_names["external"]}, **external_count)
            arns["external"] = attribute(balancer, "arn")

        rows = rows_when(self, "api_targets", {
            key: {"port": t.port, "path": t.health_check_path, "name": f"{infra_id}-{t.name_suffix}",
                  "load_balancer_arn": arns[t.load_balancer]}
            for key, t in API_TARGETS.items() if t.load_balancer in arns},
            {key: external for key, t in API_TARGETS.items() if t.external})
        self.target_groups = new(
            LbTargetGroup, self, "api", for_each=rows, name=rows.get_string("name"),
            port=rows.get_number("port"), protocol="TCP", target_type="ip",
            vpc_id=vpc_id, deregistration_delay=str(DEREGISTRATION_DELAY),
            health_check=LbTargetGroupHealthCheck(
                protocol="HTTPS", path=rows.get_string("path"), port="${each.value.port}",
                interval=HEALTH_CHECK_INTERVAL, healthy_threshold=HEALTHY_THRESHOLD,
                unhealthy_threshold=UNHEALTHY_THRESHOLD),
            tags={"Name": rows.get_string("name")})
        new(LbListener, self, "listener.api", for_each=rows,
            load_balancer_arn=rows.get_string("load_balancer_arn"), port=rows.get_number("port"), protocol="TCP",
            default_action=[LbListenerDefaultAction(
                type="forward", target_group_arn=f"${{{address(self.target_groups)}[each.key].arn}}")])

        for name in ("api", "api-int"):
            self._private_record(name, internal, config)
        if external_count is not None:
            new(Route53Record, self, "external_api", zone_id=self._public_zone_id(config),
                name=f"api.{domain}", type="A", **external_count,
                alias=Route53RecordAlias(name=attribute(balancer, "dns_name"), zone_id=attribute(balancer, "zone_id"),
                                         evaluate_target_health=False))

        groups = address(self.target_groups)
        outputs = {
            "private_zone_id": (self.private_zone.zone_id, "ID of the cluster's private hosted zone."),
            "api_server_dns_name": (f"api-int.{domain}", "Host name of the API server for the machines' Ignition."),
            "internal_api_lb_dns_name": (internal.dns_name, "DNS name of the internal API load balancer."),
            "internal_api_lb_zone_id": (internal.zone_id, "Hosted zone ID of the internal API load balancer."),
            "target_group_arns": ("${ { for key, group in " + groups + " : key => group.arn } }",
                                  "ARN of every API target group, by name (external_api, internal_api, "
                                  "internal_service)."),
        }
        if external_count is not None:
            absent = " (null when Internal)" if config.module else ""
            outputs["external_api_lb_dns_name"] = (attribute(balancer, "dns_name"),
                                                   f"DNS name of the external API load balancer{absent}.")
            outputs["external_api_lb_zone_id"] = (attribute(balancer, "zone_id"),
                                                  f"Hosted zone ID of the external API load balancer{absent}.")
        for key, target in API_TARGETS.items():
            arn, label = f'{groups}["{key}"].arn', key.replace("_", " ")
            if target.external and isinstance(external, Expr):
                outputs[f"{key}_target_group_arn"] = (f"${{try({arn}, null)}}",
                                                      f"ARN of the {label} target group (null when Internal).")
            elif not target.external or external:
                outputs[f"{key}_target_group_arn"] = (f"${{{arn}}}", f"ARN of the {label} target group.")
        self.outputs(outputs)
        self.finish()

    def _private_record(self, name: str, balancer: Lb, config: ClusterConfig) -> None:
        """An alias record where the partition allows aliases to NLBs, a CNAME elsewhere."""
        fqdn = f"{name}.{config.cluster_domain}"
        record_id = f"record.{name.replace('-', '_')}"
        aliases = config.partition.allows_external_publish
        alias_count, cname_count = optional_count(aliases), optional_count(negate(aliases))
        if alias_count is not None:
            new(Route53Record, self, record_id, zone_id=self.private_zone.zone_id, name=fqdn, type="A",
                alias=Route53RecordAlias(name=balancer.dns_name, zone_id=balancer.zone_id,
                                         evaluate_target_health=False), **alias_count)
        if cname_count is not None:
            # A module has both, one of them with count 0, so they need different names.
            new(Route53Record, self, f"{record_id}_cname" if alias_count is not None else record_id,
                zone_id=self.private_zone.zone_id, name=fqdn, type="CNAME",
                ttl=CNAME_TTL, records=[balancer.dns_name], **cname_count)

    def _public_zone_id(self, config: ClusterConfig) -> str:
        """The public zone: `public_zone_id`, or looked up by the base domain."""
        if not config.module:
            if config.public_zone_id:
                return config.public_zone_id
            zone = new(DataAwsRoute53Zone, self, "public", name=config.base_domain, private_zone=False)
            return Token.as_string(zone.zone_id)
        zone = new(DataAwsRoute53Zone, self, "public", name=config.base_domain, private_zone=False,
                   count=Token.as_number(f"${{{config.external} && {config.public_zone_id} == null ? 1 : 0}}"))
        return f"${{coalesce({config.public_zone_id}, one({address(zone)}[*].zone_id))}}"
