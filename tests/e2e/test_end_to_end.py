"""`terraform apply` of every tier against the emulator: what exists, that it converges, that it goes away.

Run alone with `pytest -m e2e`. Expected values come from the configuration and
SPEC, never from the state or output under test.
"""
from __future__ import annotations

import ipaddress
import json

import pytest

from e2e.conftest import BROWNFIELD, SELECTED
from e2e.day2 import CHANGED_TIERS
from e2e.flow import tiers_of
from test_security import EXPECTED_INGRESS

pytestmark = pytest.mark.e2e

ALL_FLOWS = SELECTED
GREENFIELD = [f for f in SELECTED if f != BROWNFIELD]  # the flows whose VPC, zone and roles the tiers create
LOCAL_IGNITION = [f for f in SELECTED if f == BROWNFIELD]


def external(record) -> bool:
    return record.config.publish.value == "External"


def brownfield(record) -> bool:
    return record.config.existing_vpc is not None


@pytest.mark.parametrize("flow", ALL_FLOWS)
def test_a_second_plan_of_every_tier_is_empty(flows, flow):
    plans = flows[flow].plans_after_apply
    # The internal flow's day 2 review stands for its plans (e2e/day2.py): the two tiers it
    # changes hold exactly its changes (test_day2.py), the rest must be empty.
    day2 = {f"ocp4-{tier.value}" for tier in CHANGED_TIERS} if flow == BROWNFIELD else set()
    assert set(plans) == {f"ocp4-{tier}" for tier in ["state", *tiers_of(flows[flow])]} - day2
    for stack, (empty, text) in plans.items():
        assert empty, f"{stack} did not converge:\n{text[-3000:]}"


@pytest.mark.parametrize("flow", GREENFIELD)  # the brownfield flow's network: test_brownfield.py
def test_network_exists_as_specified(flows, flow):
    record, found = flows[flow], flows[flow].after_apply
    config = record.config
    [vpc] = found["vpcs"]
    assert (vpc["cidr"], vpc["dns_support"], vpc["dns_hostnames"]) == ("10.0.0.0/16", True, True)
    blocks = list(ipaddress.ip_network(config.vpc_cidr).subnets(new_prefix=32 - config.subnet_bits))
    expected = {(str(blocks[i]), az, "public") for i, az in enumerate(config.availability_zones)}
    expected |= {(str(blocks[3 + i]), az, "private") for i, az in enumerate(config.availability_zones)}
    # The edge zones' subnets and tables: test_edge_zones_on_emulator.py.
    in_azs = [s for s in found["subnets"] if s["az"] in config.availability_zones]
    edge = {s["id"] for s in found["subnets"]} - {s["id"] for s in in_azs}
    subnets = {(s["cidr"], s["az"], "public" if "kubernetes.io/role/elb" in s["tags"] else "private") for s in in_azs}
    assert subnets == expected
    assert all(s["tags"][f"kubernetes.io/cluster/{config.infra_id}"] == "shared" for s in in_azs)
    public = {s["id"] for s in in_azs if "kubernetes.io/role/elb" in s["tags"]}
    nats = found["nat_gateways"]
    assert len(nats) == len(config.availability_zones) and {n["subnet"] for n in nats} == public
    tables = found["route_tables"]
    public_tables = [t for t in tables if t["default_route"] and "GatewayId" in t["default_route"]]
    private_tables = [t for t in tables if t["default_route"] and "NatGatewayId" in t["default_route"]]
    assert len(public_tables) == 1 and set(public_tables[0]["subnets"]) - edge == public
    assert len(private_tables) == len(config.availability_zones)
    assert {t["default_route"]["NatGatewayId"] for t in private_tables} == {n["id"] for n in nats}
    carrier_tables = [t for t in tables if t["default_route"] and "CarrierGatewayId" in t["default_route"]]
    [endpoint] = found["endpoints"]
    assert endpoint["service"] == "com.amazonaws.us-east-1.s3" and endpoint["type"] == "Gateway"
    assert set(endpoint["route_tables"]) == {t["id"] for t in public_tables + private_tables + carrier_tables}


@pytest.mark.parametrize("flow", ALL_FLOWS)
def test_load_balancers_listeners_target_groups_and_registrations(flows, flow):
    record, found = flows[flow], flows[flow].after_apply
    infra = record.config.infra_id
    lbs = {lb["name"]: lb for lb in found["load_balancers"]}
    expected_lbs = {f"{infra}-int": "internal"} | ({f"{infra}-ext": "internet-facing"} if external(record) else {})
    assert {name: lb["scheme"] for name, lb in lbs.items()} == expected_lbs
    assert all(lb["type"] == "network" for lb in lbs.values())
    groups = {g["name"]: g for g in found["target_groups"]}
    expected_groups = {f"{infra}-aint": (6443, "/readyz"), f"{infra}-sint": (22623, "/healthz")}
    if external(record):
        expected_groups[f"{infra}-aext"] = (6443, "/readyz")
    assert set(groups) == set(expected_groups)
    for name, (port, path) in expected_groups.items():
        group = groups[name]
        assert (group["port"], group["protocol"], group["target_type"]) == (port, "TCP", "ip")
        assert group["health"] == ("HTTPS", path, str(port), 10, 2, 2)
    by_arn = {g["arn"]: g["name"] for g in found["target_groups"]}
    listeners = {(l["lb"], l["port"], by_arn[l["target_group"]]) for l in found["listeners"]}
    expected_listeners = {(f"{infra}-int", 6443, f"{infra}-aint"), (f"{infra}-int", 22623, f"{infra}-sint")}
    if external(record):
        expected_listeners.add((f"{infra}-ext", 6443, f"{infra}-aext"))
    assert listeners == expected_listeners
    registered = {i["private_ip"] for i in found["instances"] if "-master-" in i["name"] or i["name"].endswith("-bootstrap")}
    assert len(registered) == 4
    for group in groups.values():
        assert set(group["targets"]) == registered, group["name"]


@pytest.mark.parametrize("flow", ALL_FLOWS)
def test_zone_and_records(flows, flow):
    record, zones = flows[flow], flows[flow].after_apply["zones"]
    internal_lb = next(lb["dns"] for lb in record.after_apply["load_balancers"] if lb["scheme"] == "internal")
    if brownfield(record):  # the records are in the zone of the other account (test_brownfield.py)
        private_records = record.extras["observed"]["zone_records"]
        assert "ocp4.example.com." not in zones
    else:
        private = zones["ocp4.example.com."]
        assert private["private"] is True and private["vpcs"] == [record.after_apply["vpcs"][0]["id"]]
        private_records = private["records"]
    assert {key: value.rstrip(".") for key, value in private_records.items()} == {
        ("api.ocp4.example.com.", "A"): internal_lb, ("api-int.ocp4.example.com.", "A"): internal_lb}
    public_records = zones["example.com."]["records"]
    if external(record):
        external_lb = next(lb["dns"] for lb in record.after_apply["load_balancers"] if lb["scheme"] != "internal")
        assert public_records[("api.ocp4.example.com.", "A")].rstrip(".") == external_lb
    else:
        assert public_records == {}


@pytest.mark.parametrize("flow", ALL_FLOWS)
def test_every_security_group_rule(flows, flow):
    found = flows[flow].after_apply
    names = {"ocp4-x7k2q-master-sg": "${aws_security_group.master.id}",
             "ocp4-x7k2q-worker-sg": "${aws_security_group.worker.id}"}
    cluster_rules = [r for r in found["rules"] if r["group"] in names and not r["egress"]]
    actual = sorted((names[r["group"]], r["protocol"], r["ports"],
                     names.get(r["source"], r["source"])) for r in cluster_rules)
    expected = sorted((group, protocol, None if low is None else (low, high), source)
                      for group, protocol, low, high, source in EXPECTED_INGRESS.values())
    assert actual == expected
    assert all(r["description"] for r in cluster_rules)
    # From 4.16 the cloud provider's group too; it has no ingress rule of ours.
    lb = ("ocp4-x7k2q-lb",) if flows[flow].config.release.lb_group else ()
    ours = ("ocp4-x7k2q-master-sg", "ocp4-x7k2q-worker-sg", "ocp4-x7k2q-bootstrap-sg", *lb)
    egress = {(r["group"], r["protocol"], r["source"]) for r in found["rules"] if r["egress"] and r["group"] in ours}
    assert egress == {(g, "-1", "0.0.0.0/0") for g in ours}
    assert not [r for r in found["rules"] if r["group"] in lb and not r["egress"]]


@pytest.mark.parametrize("flow", GREENFIELD)  # the brownfield flow's roles: test_brownfield.py
def test_roles_profiles_and_policies(flows, flow):
    found = flows[flow].after_apply
    assert {name: roles for name, roles in found["profiles"].items()} == {
        f"ocp4-x7k2q-{role}-profile": [f"ocp4-x7k2q-{role}-role"] for role in ("master", "worker", "bootstrap")}
    for role in ("master", "worker", "bootstrap"):
        entry = found["roles"][f"ocp4-x7k2q-{role}-role"]
        assert entry["trust"]["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}
        assert list(entry["policies"]) == [f"ocp4-x7k2q-{role}-policy"]
    worker = found["roles"]["ocp4-x7k2q-worker-role"]["policies"]["ocp4-x7k2q-worker-policy"]
    assert worker["Statement"][0]["Action"] == ["ec2:DescribeInstances", "ec2:DescribeRegions"]


@pytest.mark.parametrize("flow", ALL_FLOWS)
def test_instances(flows, flow):
    record, found = flows[flow], flows[flow].after_apply
    config = record.config
    by_name = {i["name"]: i for i in found["instances"]}
    expected = {f"{config.infra_id}-bootstrap"} | {f"{config.infra_id}-master-{i}" for i in range(3)} | \
        {f"{config.infra_id}-worker-{i}" for i in range(config.compute.replicas)}
    assert set(by_name) == expected
    private_by_az = {s["az"]: s["id"] for s in found["subnets"] if "kubernetes.io/role/internal-elb" in s["tags"]}
    public_by_az = {s["az"]: s["id"] for s in found["subnets"] if "kubernetes.io/role/elb" in s["tags"]}
    groups = {name: gid for gid, name in found["security_groups"].items()}
    profiles = {pool: getattr(config, pool).instance_profile or f"ocp4-x7k2q-{role}-profile"
                for pool, role in (("control_plane", "master"), ("compute", "worker"))}
    # Masters and workers carry the cloud provider's -lb group from OpenShift 4.16 (configuration/releases.py).
    lb = [groups["ocp4-x7k2q-lb"]] if config.release.lb_group else []
    for i in range(3):
        master = by_name[f"{config.infra_id}-master-{i}"]
        az = config.availability_zones[i % len(config.availability_zones)]
        assert (master["type"], master["subnet"], master["public_ip"]) == ("m5.xlarge", private_by_az[az], None)
        assert master["groups"] == sorted([groups["ocp4-x7k2q-master-sg"], *lb])
        assert master["profile"] == profiles["control_plane"]
        ignition = json.loads(master["user_data"])["ignition"]
        assert ignition["config"]["merge"][0]["source"] == "https://api-int.ocp4.example.com:22623/config/master"
    extra = list(config.compute.additional_security_group_ids)
    for i in range(config.compute.replicas):
        worker = by_name[f"{config.infra_id}-worker-{i}"]
        assert worker["groups"] == sorted([groups["ocp4-x7k2q-worker-sg"], *lb, *extra])
        assert worker["profile"] == profiles["compute"]
    bootstrap = by_name[f"{config.infra_id}-bootstrap"]
    assert bootstrap["type"] == "i3.large"
    assert bootstrap["groups"] == sorted([groups["ocp4-x7k2q-master-sg"], groups["ocp4-x7k2q-bootstrap-sg"]])
    if external(record):  # public, as the reference template has it
        assert bootstrap["public_ip"] and bootstrap["subnet"] == public_by_az[config.availability_zones[0]]
    else:  # private with no public IP, as the installer does for Internal clusters
        assert bootstrap["public_ip"] is None and bootstrap["subnet"] == private_by_az[config.availability_zones[0]]


@pytest.mark.parametrize("flow", LOCAL_IGNITION)
def test_local_bootstrap_ignition_is_uploaded_and_used(flows, flow):
    found = flows[flow].after_apply
    assert found["buckets"]["ocp4-x7k2q-bootstrap"] == ["bootstrap.ign"]
    bootstrap = next(i for i in found["instances"] if i["name"] == "ocp4-x7k2q-bootstrap")
    assert json.loads(bootstrap["user_data"])["ignition"]["config"]["replace"]["source"] == \
        "s3://ocp4-x7k2q-bootstrap/bootstrap.ign"


@pytest.mark.parametrize("flow", ALL_FLOWS)
def test_state_objects_under_documented_keys_with_lock_files(flows, flow):
    record = flows[flow]
    keys = set(record.after_apply["buckets"]["ocp4-x7k2q-tfstate"])
    # The ingress tier had nothing to apply on day 1 (no router yet: e2e/ingress.py applies it later).
    applied = [tier for tier in tiers_of(record) if tier != "ingress"]
    assert keys == {f"ocp-upi-tf/ocp4/{tier}/terraform.tfstate" for tier in applied}
    # Every tier but state took an S3 lock object while it was applied.
    assert {f"ocp-upi-tf/ocp4/{tier}/terraform.tfstate.tflock" for tier in applied} <= record.lock_objects_seen


@pytest.mark.parametrize("flow", ALL_FLOWS)
def test_destroying_bootstrap_alone_leaves_the_machines_registered(flows, flow):
    record = flows[flow]
    names = {i["name"] for i in record.after_bootstrap_destroy["instances"]}
    assert "ocp4-x7k2q-bootstrap" not in names and "ocp4-x7k2q-master-0" in names
    for group in record.after_bootstrap_destroy["target_groups"]:
        assert len(group["targets"]) == 3, group  # the masters stay registered


# One flow plans them again (e2e/flow.py, TOUCHED_BY_BOOTSTRAP: the tiers the bootstrap tier reads,
# and the control plane, which shares its target groups): the external one, as the other runs day 2.
@pytest.mark.parametrize("flow", [f for f in SELECTED if f not in LOCAL_IGNITION])
def test_destroying_bootstrap_alone_leaves_the_tiers_it_touched_unchanged(flows, flow):
    record = flows[flow]
    assert set(record.plans_after_bootstrap_destroy) == {"ocp4-network", "ocp4-security", "ocp4-cluster-infra",
                                                         "ocp4-control-plane"}
    for stack, (empty, text) in record.plans_after_bootstrap_destroy.items():
        assert empty, f"{stack} changed after the bootstrap tier was destroyed:\n{text[-3000:]}"


@pytest.mark.parametrize("flow", GREENFIELD)  # the brownfield flow's destroy: test_brownfield.py
def test_destroy_leaves_only_the_state_bucket(flows, flow):
    found, record = flows[flow].after_destroy, flows[flow]
    for kind in ("vpcs", "subnets", "nat_gateways", "route_tables", "endpoints", "security_groups", "instances",
                 "load_balancers", "target_groups", "roles", "profiles"):
        assert not found[kind], (kind, found[kind])
    # What survives besides the state bucket are the decoys e2e/teardown.py planted (test_teardown.py).
    assert set(found["zones"]) == {"example.com."}
    assert set(found["zones"]["example.com."]["records"]) == {("www.example.com.", "CNAME")}
    assert set(found["buckets"]) == {"ocp4-x7k2q-tfstate", "other-9zq2w-image-registry-us-east-1-abcdefgh"}
    assert set(found["buckets"]["ocp4-x7k2q-tfstate"]) >= {
        f"ocp-upi-tf/ocp4/{tier}/terraform.tfstate" for tier in tiers_of(record)}
    refused = record.state_destroy
    assert refused.returncode != 0 and "prevent_destroy" in refused.stderr
