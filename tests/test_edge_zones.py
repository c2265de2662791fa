"""Edge zones: the configuration (modules/configuration/edge.py, edge_reading.py)."""
from __future__ import annotations

import json

import pytest
import yaml

from conftest import variant
from modules.configuration import ConfigError, parse_config
from modules.configuration.edge import ZoneType

LOCAL, WAVELENGTH = "us-east-1-nyc-1a", "us-east-1-wl1-bos-wlz-1"


def refused(**changes) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_config(variant(**changes))
    return caught.value.report()


def test_the_zone_type_is_told_from_the_name_unless_declared():
    zones = parse_config(variant(edge_zones=[{"name": LOCAL}, {"name": WAVELENGTH},
                                             {"name": "us-east-1-bos-1a", "type": "wavelength-zone"}])).edge_zones
    assert [z.type for z in zones] == [ZoneType.LOCAL, ZoneType.WAVELENGTH, ZoneType.WAVELENGTH]


def test_default_cidrs_are_the_next_free_blocks_after_the_six_of_the_azs_in_list_order():
    # 10.0.0.0/16 in /20 blocks: 0-5 are the AZs' (public 0-2, private 3-5); 6 on are free.
    zones = parse_config(variant(edge_zones=[{"name": WAVELENGTH}, {"name": LOCAL}])).edge_zones
    assert [(z.resolved_public_cidr, z.resolved_private_cidr) for z in zones] == [
        ("10.0.96.0/20", "10.0.112.0/20"), ("10.0.128.0/20", None)]
    given = parse_config(variant(edge_zones=[{"name": LOCAL, "public_cidr": "10.0.240.0/20"}])).edge_zones
    assert given[0].resolved_public_cidr == "10.0.240.0/20"


def test_derived_cidrs_print_as_null_and_read_back_the_same():
    config = parse_config(variant(edge_zones=[{"name": WAVELENGTH}, {"name": LOCAL, "public_cidr": "10.0.240.0/20"}]))
    printed = config.to_document()["edge_zones"]
    assert [(z["public_cidr"], z["private_cidr"]) for z in printed] == [(None, None), ("10.0.240.0/20", None)]
    assert parse_config(config.to_document()) == config


def test_the_machine_defaults_are_the_zone_types():
    zones = parse_config(variant(edge_zones=[{"name": LOCAL}, {"name": WAVELENGTH},
                                             {"name": "us-east-1-bos-1a", "instance_type": "t3.xlarge"}])).edge_zones
    assert [(z.resolved_instance_type, z.volume_type) for z in zones] == [
        ("c5d.2xlarge", "gp2"), ("r5.2xlarge", "gp2"), ("t3.xlarge", "gp2")]


@pytest.mark.parametrize("zones, message", [
    ([{"name": "us-west-2-lax-1a"}], "edge_zones[0].name: \"us-west-2-lax-1a\" is not a zone of region \"us-east-1\""),
    ([{"name": LOCAL, "private_cidr": "10.0.144.0/20"}], "edge_zones[0].private_cidr: a Local Zone gets a public "
                                                         "subnet only"),
    ([{"name": LOCAL, "public_cidr": "10.0.16.0/20"}], "edge_zones[0].public_cidr: 10.0.16.0/20 overlaps the "
                                                       "availability zones' block 10.0.16.0/20"),
    ([{"name": LOCAL, "public_cidr": "10.1.0.0/20"}], "edge_zones[0].public_cidr: 10.1.0.0/20 is not inside vpc_cidr"),
    ([{"name": LOCAL, "public_cidr": "10.0.128.0/20"}, {"name": "us-east-1-bos-1a", "public_cidr": "10.0.128.0/24"}],
     "edge_zones[1].public_cidr: 10.0.128.0/24 overlaps edge_zones[0].public_cidr 10.0.128.0/20"),
    ([{"name": LOCAL}, {"name": LOCAL, "instance_type": "m5.xlarge"}], "edge_zones: 'us-east-1-nyc-1a' is listed twice"),
    ([{"name": LOCAL, "size": 1}], "edge_zones[0].size: unknown key"),
])
def test_bad_edge_zones_are_refused_with_the_field_named(zones, message):
    assert message in refused(edge_zones=zones)


def test_zones_that_do_not_fit_the_vpc_are_refused():
    # A /20 VPC in /23 blocks has 8: six for the AZs, two left; a Wavelength Zone takes two, a Local Zone one more.
    report = refused(vpc_cidr="10.0.0.0/20", subnet_bits=9, edge_zones=[{"name": WAVELENGTH}, {"name": LOCAL}])
    assert "edge_zones[1]: no free block of /23 is left in vpc_cidr 10.0.0.0/20" in report
    assert "edge_zones[0]" not in report  # the first fits


EXISTING = {"vpc_id": "vpc-0123456789abcdef0", "subnets": {
    az: {"private": f"subnet-0123456789abcdef{i}", "public": f"subnet-0123456789abcde{i}0"}
    for i, az in enumerate(["us-east-1a", "us-east-1b", "us-east-1c"])}}


def test_in_an_existing_vpc_edge_zones_name_their_subnets_and_carry_no_cidrs():
    report = refused(existing_vpc=EXISTING, edge_zones=[{"name": LOCAL}, {"name": WAVELENGTH,
                                                                          "public_cidr": "10.0.128.0/20"}])
    assert "edge_zones[0].public_subnet_id: missing; with existing_vpc the network tier creates no subnet" in report
    assert "edge_zones[1].public_cidr: the existing VPC's subnets have their own CIDRs" in report
    zones = parse_config(variant(existing_vpc=EXISTING, edge_zones=[
        {"name": LOCAL, "public_subnet_id": "subnet-0123456789abcdef7"},
        {"name": WAVELENGTH, "public_subnet_id": "subnet-0123456789abcdef8",
         "private_subnet_id": "subnet-0123456789abcdef9"}])).edge_zones
    assert [(z.public_cidr, z.public_subnet_id, z.private_subnet_id) for z in zones] == [
        (None, "subnet-0123456789abcdef7", None), (None, "subnet-0123456789abcdef8", "subnet-0123456789abcdef9")]


def test_subnet_ids_without_an_existing_vpc_are_refused():
    assert "edge_zones[0].public_subnet_id: the network tier creates the edge subnets" in refused(
        edge_zones=[{"name": LOCAL, "public_subnet_id": "subnet-0123456789abcdef7"}])


# --------------------------------------------------------------------------- the network tier, synthesized

UNMANAGED = "kubernetes.io/cluster/unmanaged"


def network(synthesized, name: str) -> dict:
    return synthesized.stack(name, "network")


def zones_of(resource: dict) -> dict:
    return resource["for_each"]


def test_a_local_zone_gets_a_public_subnet_on_the_public_route_table_tagged_unmanaged(synthesized):
    stack = network(synthesized, "edge_local")
    subnet = stack["resource"]["aws_subnet"]["edge_public"]
    assert zones_of(subnet) == {LOCAL: {"type": "local-zone", "public_cidr": "10.0.200.0/24"}}  # as given
    assert subnet["cidr_block"] == "${each.value.public_cidr}"
    assert subnet["tags"] == {"Name": "ocp4-x7k2q-subnet-public-${each.key}", UNMANAGED: "true"}
    assert stack["resource"]["aws_route_table_association"]["edge_public"]["route_table_id"] == \
        "${aws_route_table.public.id}"
    assert "edge_private" not in stack["resource"]["aws_subnet"]
    acl = stack["resource"]["aws_network_acl_association"]["edge_public"]  # network_acl: public subnets have it
    assert zones_of(acl) == zones_of(subnet) and acl["subnet_id"] == "${aws_subnet.edge_public[each.key].id}"
    assert "aws_ec2_carrier_gateway" not in stack["resource"]
    assert "carrier" not in stack["resource"]["aws_vpc_endpoint"]["s3"]["route_table_ids"]


def test_a_wavelength_zone_gets_the_carrier_gateway_its_table_and_both_subnets(synthesized):
    stack = network(synthesized, "edge_wavelength")
    resources = stack["resource"]
    assert resources["aws_ec2_carrier_gateway"]["carrier"]["tags"] == {"Name": "ocp4-x7k2q-cagw"}
    assert resources["aws_route_table"]["carrier"]["tags"] == {"Name": "ocp4-x7k2q-public-carrier"}
    route = resources["aws_route"]["carrier_internet"]
    assert (route["destination_cidr_block"], route["carrier_gateway_id"], route["route_table_id"]) == (
        "0.0.0.0/0", "${aws_ec2_carrier_gateway.carrier.id}", "${aws_route_table.carrier.id}")
    assert resources["aws_vpc_endpoint"]["s3"]["route_table_ids"].endswith(", [aws_route_table.carrier.id])}")
    # Blocks 6 and 7 of 10.0.0.0/16 in /20s: the first after the AZs' six.
    expected = {WAVELENGTH: {"type": "wavelength-zone", "public_cidr": "10.0.96.0/20", "private_cidr": "10.0.112.0/20"}}
    assert zones_of(resources["aws_subnet"]["edge_public"]) == expected
    assert zones_of(resources["aws_subnet"]["edge_private"]) == expected
    assert resources["aws_subnet"]["edge_private"]["tags"] == {"Name": "ocp4-x7k2q-subnet-private-${each.key}",
                                                              UNMANAGED: "true"}
    public = resources["aws_route_table_association"]["edge_public"]["route_table_id"]
    assert public == '${each.value.type == "wavelength-zone" ? aws_route_table.carrier.id : aws_route_table.public.id}'
    private = resources["aws_route_table_association"]["edge_private"]["route_table_id"]
    assert "data.aws_availability_zone.edge[each.key].parent_zone_name" in private


def test_both_kinds_are_keyed_by_zone_and_checked_at_plan_time(synthesized):
    stack = network(synthesized, "edge")
    for kind, name in (("aws_subnet", "edge_public"), ("aws_route_table_association", "edge_public")):
        assert sorted(zones_of(stack["resource"][kind][name])) == [LOCAL, WAVELENGTH]
    assert sorted(zones_of(stack["resource"]["aws_subnet"]["edge_private"])) == [WAVELENGTH]
    checked = stack["data"]["aws_availability_zone"]["edge"]
    assert sorted(zones_of(checked)) == [LOCAL, WAVELENGTH] and checked["all_availability_zones"] is True
    messages = " ".join(c["error_message"] for c in checked["lifecycle"]["postcondition"] +
                        checked["lifecycle"]["precondition"])
    assert "aws ec2 modify-availability-zone-group --region us-east-1 --group-name ${self.group_name} " \
           "--opt-in-status opted-in" in messages
    assert "is not a zone of region us-east-1" in messages
    # Every subnet's zone is the checked one: nothing is created before the checks pass.
    assert stack["resource"]["aws_subnet"]["edge_public"]["availability_zone"] == \
        "${data.aws_availability_zone.edge[each.key].name}"
    assert "edge_zones" in stack["output"]


def test_a_cluster_without_edge_zones_has_no_edge_resources_or_output(synthesized):
    stack = network(synthesized, "default")
    text = json.dumps(stack)
    assert "edge" not in text and "carrier" not in text


# --------------------------------------------------------------------------- MachineSets and the MTU manifest

EDGE_OUTPUT = {
    LOCAL: {"type": "local-zone", "group": "us-east-1-nyc-1", "parent_zone": "us-east-1f",
            "public_subnet_id": "subnet-0e1", "private_subnet_id": None},
    WAVELENGTH: {"type": "wavelength-zone", "group": "us-east-1-wl1", "parent_zone": "us-east-1a",
                 "public_subnet_id": "subnet-0e2", "private_subnet_id": "subnet-0e3"},
}


def rendered(edge_output: dict | None = EDGE_OUTPUT, **changes) -> dict[str, dict]:
    from modules.configuration import Tier
    from modules.operations import machinesets
    from test_releases import STATES, state_with

    config = parse_config(variant(**changes))
    states = {Tier.NETWORK: state_with({**STATES["network"], **({"edge_zones": edge_output} if edge_output else {})}),
              Tier.SECURITY: state_with(STATES["security"])}
    return {name: yaml.safe_load(text) for name, text in machinesets.render(config, states).items()}


def test_each_edge_zone_gets_a_machineset_after_the_workers_as_the_docs_write_it():
    files = rendered(edge_zones=[{"name": LOCAL}, {"name": WAVELENGTH, "instance_type": "t3.xlarge", "replicas": 2}])
    assert sorted(files) == [f"99_openshift-cluster-api_worker-machineset-{n}.yaml" for n in range(5)]
    local, wavelength = (files[f"99_openshift-cluster-api_worker-machineset-{n}.yaml"] for n in (3, 4))
    infra = "ocp4-x7k2q"
    assert local["metadata"]["name"] == f"{infra}-edge-{LOCAL}"
    template = local["spec"]["template"]
    assert template["metadata"]["labels"]["machine.openshift.io/cluster-api-machine-role"] == "edge"
    assert template["metadata"]["labels"]["machine.openshift.io/cluster-api-machine-type"] == "edge"
    assert template["spec"]["metadata"]["labels"] == {
        "node-role.kubernetes.io/edge": "", "machine.openshift.io/zone-type": "local-zone",
        "machine.openshift.io/zone-group": "us-east-1-nyc-1", "machine.openshift.io/parent-zone-name": "us-east-1f"}
    assert template["spec"]["taints"] == [{"key": "node-role.kubernetes.io/edge", "effect": "NoSchedule"}]
    spec = template["spec"]["providerSpec"]["value"]
    assert spec["subnet"] == {"id": "subnet-0e1"} and spec["publicIp"] is True
    assert spec["placement"] == {"availabilityZone": LOCAL, "region": "us-east-1"}
    assert (spec["instanceType"], spec["blockDevices"][0]["ebs"]["volumeType"]) == ("c5d.2xlarge", "gp2")
    assert local["spec"]["replicas"] == 1
    # The same groups and profile as the workers' MachineSets.
    worker = files["99_openshift-cluster-api_worker-machineset-0.yaml"]["spec"]["template"]["spec"]
    assert spec["securityGroups"] == worker["providerSpec"]["value"]["securityGroups"]
    assert "taints" not in worker and worker["metadata"] == {}
    wavelength_spec = wavelength["spec"]["template"]["spec"]["providerSpec"]["value"]
    assert (wavelength_spec["subnet"], wavelength_spec["instanceType"], wavelength["spec"]["replicas"]) == (
        {"id": "subnet-0e2"}, "t3.xlarge", 2)


def test_machinesets_of_a_zone_the_network_tier_has_not_applied_yet_are_refused():
    from modules.operations.deploy import DeployError

    with pytest.raises(DeployError, match="no subnets in edge zone\\(s\\) us-east-1-bos-1a: apply the network"):
        rendered(edge_zones=[{"name": LOCAL}, {"name": "us-east-1-bos-1a"}])


def test_the_mtu_is_set_in_a_network_manifest_already_there_and_other_networks_are_refused():
    from modules.operations.deploy import DeployError
    from modules.operations.machinesets import network_manifest

    theirs = yaml.safe_dump({"apiVersion": "operator.openshift.io/v1", "kind": "Network", "metadata": {"name": "cluster"},
                             "spec": {"defaultNetwork": {"ovnKubernetesConfig": {"ipsecConfig": {"mode": "Full"}}}}})
    merged = yaml.safe_load(network_manifest(theirs))
    assert merged["spec"]["defaultNetwork"]["ovnKubernetesConfig"] == {"ipsecConfig": {"mode": "Full"}, "mtu": 1200}
    sdn = yaml.safe_dump({"apiVersion": "operator.openshift.io/v1", "kind": "Network", "metadata": {"name": "cluster"},
                          "spec": {"defaultNetwork": {"type": "OpenShiftSDN"}}})
    with pytest.raises(DeployError, match="defaultNetwork.type 'OpenShiftSDN'"):
        network_manifest(sdn)
    with pytest.raises(DeployError, match="is not the cluster network operator's configuration"):
        network_manifest(yaml.safe_dump({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cluster"}}))


def test_the_mtu_manifest_is_written_with_edge_zones_and_taken_back_without(tmp_path, monkeypatch):
    from modules.configuration import Tier
    from modules.operations import machinesets, teardown
    from test_releases import STATES, state_with

    states = {Tier.NETWORK: state_with({**STATES["network"], "edge_zones": EDGE_OUTPUT}),
              Tier.SECURITY: state_with(STATES["security"])}
    monkeypatch.setattr(teardown.ClusterRemoval, "states", lambda self: states)
    config = parse_config(variant(edge_zones=[{"name": LOCAL}]))
    written = machinesets.machinesets(config, tmp_path / "out", tmp_path / "install")
    manifest = tmp_path / "install" / "manifests" / "cluster-network-03-config.yml"
    assert manifest in written
    assert yaml.safe_load(manifest.read_text()) == {
        "apiVersion": "operator.openshift.io/v1", "kind": "Network", "metadata": {"name": "cluster"},
        "spec": {"defaultNetwork": {"ovnKubernetesConfig": {"mtu": 1200}}}}
    logged = []
    machinesets.machinesets(parse_config(variant()), tmp_path / "out", tmp_path / "install", log=logged.append)
    assert not manifest.exists() and any("cluster-network-03-config.yml" in line for line in logged)
    assert not (tmp_path / "install" / "openshift" / "99_openshift-cluster-api_worker-machineset-3.yaml").exists()
