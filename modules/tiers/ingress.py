"""Ingress tier: the `*.apps.<cluster domain>` records as code, to the router's load balancer.

When the cluster's DNS config has no zones (the UPI docs' step for teams that keep
Route 53 changes out of the cluster), the docs ask for `*.apps` alias records in the
private zone and, when External, the public zone, made by hand once the router's
load balancer exists. Here Terraform makes them, so review, drift detection and
destroy see them, and teardown leaves them to this tier's state.

The load balancer is the one the in-cluster cloud provider made for the router's
Service: it tags it `kubernetes.io/service-name: <namespace>/<name>` and
`kubernetes.io/cluster/<infra_id>: owned` (kubernetes/cloud-provider-aws,
aws_loadbalancer.go), a Classic ELB and an NLB alike, and the resource-groups
tagging API lists both by those tags. With `ingress.load_balancer`, it is the
cluster's load balancer of that name instead.

Until it exists (the tier is applied with the others on day 1, before the
cluster made it) the tier makes no record, and a check says why in the plan
(a warning, and a note in the review) instead of failing the apply; the first
apply after the install makes them. Aliases point at the load balancer's own
zone and name. In aws-us-gov the private record is a CNAME, as cluster-infra's.
"""
from __future__ import annotations

from cdktf_cdktf_provider_aws.data_aws_elb import DataAwsElb
from cdktf_cdktf_provider_aws.data_aws_lb import DataAwsLb
from cdktf_cdktf_provider_aws.data_aws_resourcegroupstaggingapi_resources import (
    DataAwsResourcegroupstaggingapiResources,
    DataAwsResourcegroupstaggingapiResourcesTagFilter,
)
from cdktf_cdktf_provider_aws.route53_record import Route53Record, Route53RecordAlias

from ..configuration.topology import Tier
from ..constructs.cdk import Construct, Token
from ..constructs.hcl import Expr, address, both, local_value, negate, new, optional_count
from .base import TierStack
from .cluster_infra import CNAME_TTL, public_zone_id
from .inputs import InputSource

SERVICE_TAG = "kubernetes.io/service-name"  # cloud-provider-aws: TagNameKubernetesService
LOAD_BALANCERS = "elasticloadbalancing:loadbalancer"  # Classic ELBs and v2 load balancers alike


class IngressStack(TierStack):
    tier = Tier.INGRESS

    def __init__(self, scope: Construct, source: InputSource):
        super().__init__(scope, source)
        inputs = self.inputs
        self._find_router()
        self._target()
        provider = {"provider": inputs.private_zone_provider} if inputs.private_zone_provider else {}
        name = f"*.apps.{inputs.cluster_domain}"
        private_zone = self.read(Tier.CLUSTER_INFRA, "private_zone_id")
        aliases = inputs.partition.allows_external_publish
        public_zone = public_zone_id(self) if inputs.external is not False else None
        for record_id, flag, zone, extra in (("apps_private", aliases, private_zone, provider),
                                             ("apps_public", inputs.external, public_zone, {})):
            count = optional_count(both(Expr("local.router_found"), flag))
            if count is not None:
                new(Route53Record, self, record_id, zone_id=zone, name=name, type="A", **extra, **count,
                    alias=Route53RecordAlias(name="${local.router.dns_name}", zone_id="${local.router.zone_id}",
                                             evaluate_target_health=False))
        cname = optional_count(both(Expr("local.router_found"), negate(aliases)))
        if cname is not None:  # aws-us-gov: no alias to a load balancer
            new(Route53Record, self, "apps_private_cname" if aliases is not False else "apps_private",
                zone_id=private_zone, name=name, type="CNAME", ttl=CNAME_TTL, records=["${local.router.dns_name}"],
                **provider, **cname)
        self.outputs({"router_load_balancer_arn": (
            "${local.router_arn}", "ARN of the router's load balancer the *.apps records point at (null until it "
                                   "exists).")})
        self.finish()

    def _find_router(self) -> None:
        """`local.router_arn`: the one load balancer of the cluster that is the router's (or named), else null;
        and a check that says what is missing."""
        inputs = self.inputs
        ingress = inputs.ingress
        tagged = new(DataAwsResourcegroupstaggingapiResources, self, "cluster_load_balancers",
                     resource_type_filters=[LOAD_BALANCERS],
                     tag_filter=[DataAwsResourcegroupstaggingapiResourcesTagFilter(
                         key=f"kubernetes.io/cluster/{inputs.infra_id}", values=["owned"])])
        found = f"{address(tagged)}.resource_tag_mapping_list"
        # The ARN's last parts: loadbalancer/<name> (Classic), loadbalancer/<type>/<name>/<id> (v2).
        named, service = ingress.load_balancer, ingress.service
        name = f"${{{named}}}" if isinstance(named, Expr) else named
        by_name = f'can(regex("loadbalancer/([a-z]+/)?{name}(/|$)", lb.resource_arn))'
        by_service = f'lookup(lb.tags, "{SERVICE_TAG}", "") == ' + (service if isinstance(service, Expr)
                                                                     else f'"{service}"')
        service_text = f"tagged {SERVICE_TAG}: " + (f"${{{service}}}" if isinstance(service, Expr) else service)
        if isinstance(named, Expr):  # a module: the variable decides
            match = f"({named} == null ? {by_service} : {by_name})"
            wanted = f'${{{named} == null ? "{service_text}" : "named ${{{named}}}"}}'
        else:
            match, wanted = (by_service, service_text) if named is None else (by_name, f"named {named}")
        local_value(self, "router_arns", f"${{[for lb in {found} : lb.resource_arn if {match}]}}")
        local_value(self, "router_arn", "${length(local.router_arns) == 1 ? local.router_arns[0] : null}")
        local_value(self, "router_found", "${local.router_arn != null}")
        # A conditional, not &&: Terraform evaluates both sides of &&, and split() refuses null.
        local_value(self, "router_classic", '${local.router_found ? length(split("/", local.router_arn)) == 2 : false}')
        self.add_override("check.router_load_balancer", {"assert": [{
            "condition": "${local.router_found}",
            "error_message": f"No *.apps records yet: ${{length(local.router_arns)}} load balancers of the cluster "
                             f"(kubernetes.io/cluster/{inputs.infra_id}: owned) are {wanted}, where one is needed. "
                             "The router's appears once the cluster is installed (`oc -n openshift-ingress get "
                             "service` shows its address); then apply this tier again (`main.py apply ingress`)."}]})

    def _target(self) -> None:
        """`local.router`: the found load balancer's DNS name and hosted zone, whichever kind it is."""
        classic = new(DataAwsElb, self, "classic.router", name='${split("/", local.router_arn)[1]}',
                      count=Token.as_number("${local.router_classic ? 1 : 0}"))
        v2 = new(DataAwsLb, self, "v2.router", arn="${local.router_arn}",
                 count=Token.as_number("${local.router_found && !local.router_classic ? 1 : 0}"))
        pick = lambda field: (f"local.router_classic ? one({address(classic)}[*].{field}) : "  # noqa: E731
                              f"one({address(v2)}[*].{field})")
        local_value(self, "router", f"${{{{ dns_name = {pick('dns_name')}, zone_id = {pick('zone_id')} }}}}")
