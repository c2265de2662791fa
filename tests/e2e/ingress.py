"""The ingress tier (`*.apps` records) on a cluster a flow applied, once its router's load balancer exists.

The flow's day-1 apply made the tier with no record (no router yet). Here a Classic ELB is
planted as the in-cluster cloud provider makes the router's (kubernetes/cloud-provider-aws:
named `a` + 31 hex characters, tagged `kubernetes.io/service-name: openshift-ingress/router-default`
and `kubernetes.io/cluster/<infra_id>: owned`, in the public subnets); then the tier is applied
alone as a user would after the install (`main.py apply ingress`), planned again, teardown's
discovery is asked what it would remove, and the tier is destroyed alone. The planted load
balancer is removed at the end: the flow's own teardown plants its own.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modules.configuration import ClusterConfig, Tier
from modules.configuration.topology import stack_name
from modules.operations import applying, deploy
from modules.operations.teardown import ClusterRemoval

ROUTER = "a0123456789abcdef0123456789abcde"  # the cloud provider's name: "a" and 31 hex characters
SERVICE = "openshift-ingress/router-default"


@dataclass
class IngressRecord:
    router_dns: str = ""
    applied: list[str] = field(default_factory=list)
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # zone name -> its *.apps records
    second_plan: tuple[bool, str] = (False, "")
    discovered: list[str] = field(default_factory=list)  # what teardown would remove, as it lists it
    after_destroy: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    others_before: dict[str, Any] = field(default_factory=dict)  # everything but the *.apps records
    others_after: dict[str, Any] = field(default_factory=dict)
    router_after: bool = False  # the router's load balancer is still there after the tier's destroy


def apps_records(route53: Any, domain: str) -> dict[str, list[dict[str, Any]]]:
    records: dict[str, list[dict[str, Any]]] = {}
    for zone in route53.list_hosted_zones()["HostedZones"]:
        name = zone["Name"]
        for entry in route53.list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"]:
            # Route 53 returns `*` as `\052`; moto keeps `*`.
            if entry["Name"].replace("\\052", "*") == f"*.apps.{domain}.":
                records.setdefault(name, []).append(entry)
    return records


def other_records(route53: Any) -> dict[str, Any]:
    return {zone["Name"]: sorted((entry["Name"], entry["Type"]) for entry in route53.list_resource_record_sets(
        HostedZoneId=zone["Id"])["ResourceRecordSets"] if ".apps." not in entry["Name"])
        for zone in route53.list_hosted_zones()["HostedZones"]}


def exercise_ingress(emulator: Any, config: ClusterConfig, outdir: Path, public_subnets: list[str]) -> IngressRecord:
    record, env, quiet = IngressRecord(), emulator.env, (lambda message: None)
    elb, route53, ec2 = emulator.client("elb"), emulator.client("route53"), emulator.client("ec2")
    owned = {"Key": f"kubernetes.io/cluster/{config.infra_id}", "Value": "owned"}
    # The cloud provider gives the router its own group; without one, ELB would make a `default_elb_*`
    # group that outlives the balancer and keeps the VPC from being deleted.
    vpc = ec2.describe_subnets(SubnetIds=public_subnets[:1])["Subnets"][0]["VpcId"]
    group = ec2.create_security_group(GroupName=f"k8s-elb-{ROUTER}", Description="Security group for the router",
                                      VpcId=vpc, TagSpecifications=[{"ResourceType": "security-group",
                                                                     "Tags": [owned]}])["GroupId"]
    created = elb.create_load_balancer(
        LoadBalancerName=ROUTER, Subnets=public_subnets, SecurityGroups=[group],
        Listeners=[{"Protocol": "TCP", "LoadBalancerPort": port, "InstancePort": node_port}
                   for port, node_port in ((80, 30080), (443, 30443))],
        Tags=[{"Key": "kubernetes.io/service-name", "Value": SERVICE}, owned])
    record.router_dns = created["DNSName"]
    try:
        record.others_before = other_records(route53)
        record.applied = applying.apply(outdir, config.cluster_name, [Tier.INGRESS.value], log=quiet, env=env)
        record.records = apps_records(route53, config.cluster_domain)
        record.second_plan = deploy.plan_is_empty(outdir, stack_name(config.cluster_name, Tier.INGRESS), env=env)
        record.discovered = [str(found) for found in ClusterRemoval(config, outdir, env).discover()]
        deploy.destroy(outdir, config.cluster_name, [Tier.INGRESS.value], log=quiet, env=env)
        record.after_destroy = apps_records(route53, config.cluster_domain)
        record.others_after = other_records(route53)
        record.router_after = any(lb["LoadBalancerName"] == ROUTER
                                  for lb in elb.describe_load_balancers()["LoadBalancerDescriptions"])
    finally:
        elb.delete_load_balancer(LoadBalancerName=ROUTER)
        ec2.delete_security_group(GroupId=group)
    return record
