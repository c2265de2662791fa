"""Edge zones on the emulator (e2e/edge.py): the external flow's cluster has a Local Zone and a
Wavelength Zone. Its second plan of every tier is empty (test_end_to_end.py); here: what the network
tier built, the MachineSets of the zones, a third zone refused before its opt-in and then planned
alone, and the destroy (with a machine planted in an edge subnet, e2e/teardown.py).

The expected values come from the configuration and from the tiers' outputs, not from the objects
under test.
"""
from __future__ import annotations

import ipaddress

import pytest

from e2e.conftest import SELECTED
from e2e.edge import ADDED, ADDED_GROUP, LOCAL, WAVELENGTH

pytestmark = [pytest.mark.e2e, pytest.mark.skipif("external" not in SELECTED, reason="the external flow")]
UNMANAGED = "kubernetes.io/cluster/unmanaged"


@pytest.fixture(scope="module")
def record(flows):
    return flows["external"]


def test_each_zone_has_its_subnets_on_the_helpers_route_tables(record):
    config, found = record.config, record.after_apply
    zones = {zone.name: zone for zone in config.edge_zones}
    assert sorted(zones) == [LOCAL, WAVELENGTH]
    edge = {(s["az"], s["cidr"]): s for s in found["subnets"] if s["az"] in zones}
    # Blocks 6, 7, 8 of the VPC: after the AZs' six, in list order (the Wavelength Zone takes two).
    blocks = list(ipaddress.ip_network(config.vpc_cidr).subnets(new_prefix=32 - config.subnet_bits))
    assert sorted(edge) == sorted([(LOCAL, str(blocks[6])), (WAVELENGTH, str(blocks[7])), (WAVELENGTH, str(blocks[8]))])
    assert all(s["tags"][UNMANAGED] == "true" and f"kubernetes.io/cluster/{config.infra_id}" not in s["tags"]
               for s in edge.values())
    names = {s["tags"]["Name"]: s["id"] for s in edge.values()}
    assert set(names) == {f"{config.infra_id}-subnet-public-{LOCAL}", f"{config.infra_id}-subnet-public-{WAVELENGTH}",
                          f"{config.infra_id}-subnet-private-{WAVELENGTH}"}
    tables = {t["id"]: t for t in found["route_tables"]}
    table_of = {subnet: t for t in tables.values() for subnet in t["subnets"]}
    [gateway] = found["carrier_gateways"]
    assert gateway["tags"]["Name"] == f"{config.infra_id}-cagw"
    carrier = table_of[names[f"{config.infra_id}-subnet-public-{WAVELENGTH}"]]
    assert carrier["tags"]["Name"] == f"{config.infra_id}-public-carrier"
    assert carrier["default_route"] == {"CarrierGatewayId": gateway["id"]}
    assert "GatewayId" in table_of[names[f"{config.infra_id}-subnet-public-{LOCAL}"]]["default_route"]  # the IGW
    # The private subnet: on its parent zone's private table (us-east-1a, emulator/edge_zones.py), its NAT gateway.
    private = table_of[names[f"{config.infra_id}-subnet-private-{WAVELENGTH}"]]
    assert private["tags"]["Name"] == f"{config.infra_id}-private-us-east-1a" and "NatGatewayId" in private["default_route"]
    [endpoint] = found["endpoints"]
    assert carrier["id"] in endpoint["route_tables"]


def test_the_network_tier_tells_the_machinesets_each_zone_as_ec2_describes_it(record):
    described = record.extras["network_outputs"]["edge_zones"]
    assert {name: (zone["type"], zone["group"], zone["parent_zone"]) for name, zone in described.items()} == {
        LOCAL: ("local-zone", "us-east-1-nyc-1", "us-east-1f"),
        WAVELENGTH: ("wavelength-zone", "us-east-1-wl1", "us-east-1a")}
    assert described[LOCAL]["private_subnet_id"] is None and described[WAVELENGTH]["private_subnet_id"]


def test_edge_machinesets_resolve_to_the_zone_s_public_subnet_and_the_cluster_s_groups(record):
    found = record.extras["machinesets"]
    described = found.expected["edge_zones"]
    zone_of = {subnet["id"]: subnet["az"] for subnet in record.after_apply["subnets"]}  # as EC2 describes them
    checks = {check.zone: check for check in found.of_role("edge")}
    assert sorted(checks) == [LOCAL, WAVELENGTH]
    for zone, check in checks.items():
        assert check.subnets == [described[zone]["public_subnet_id"]]
        assert check.groups == [[group] for group in found.expected["groups"]]
        template = check.document["spec"]["template"]["spec"]
        assert template["taints"] == [{"key": "node-role.kubernetes.io/edge", "effect": "NoSchedule"}]
        assert template["metadata"]["labels"]["machine.openshift.io/zone-group"] == described[zone]["group"]
        assert template["providerSpec"]["value"]["publicIp"] is True
        launched = check.launched
        assert (launched["subnet"], launched["vpc"]) == (described[zone]["public_subnet_id"], found.expected["vpc_id"])
        assert zone_of[launched["subnet"]] == zone == launched["zone"]
        assert launched["groups"] == sorted(found.expected["groups"])
    assert found.manifests == ["cluster-network-03-config.yml"]


def test_a_zone_not_opted_into_is_refused_at_plan_time_then_planned_alone(record):
    edge = record.extras["edge"]
    assert (f"aws ec2 modify-availability-zone-group --region us-east-1 --group-name {ADDED_GROUP} "
            "--opt-in-status opted-in") in edge.refused
    [tier] = edge.added.tiers
    assert tier.changes, "adding a zone planned nothing"
    assert {(change.action, change.address) for change in tier.changes} == {
        ("create", f'aws_subnet.edge_public["{ADDED}"]'), ("create", f'aws_route_table_association.edge_public["{ADDED}"]')}


def test_destroy_removes_the_edge_resources(record):
    assert not record.after_destroy["carrier_gateways"] and not record.extras["carrier_gateways_after"]
    assert "machine in an edge zone" in record.planted.cluster
