"""The OpenShift release as configuration (configuration/releases.py), and the MachineSets of that release.

Expected values are the upstream facts, written out here with their source, never read
back from the table under test: what the installer's worker MachineSets filter on
(openshift/installer pkg/asset/machines/aws/machines.go, provider(): up to 4.15 the
Terraform-era `<infra_id>-worker-sg` and `<infra_id>-private-<az>`; from 4.16, installer
PRs 8006 and 8567, `<infra_id>-node` and `<infra_id>-lb`, both, and
`<infra_id>-subnet-private-<az>`), and the master role's grants (installer PR 10512 adds
elasticloadbalancing:SetSecurityGroups from 4.23/5.0).
"""
from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from conftest import group_refs, variant
from modules.configuration import ConfigError, parse_config
from modules.configuration.releases import DEFAULT_RELEASE, RELEASES
from test_security import LEAST_PRIVILEGE_MASTER

INFRA = "ocp4-x7k2q"
TERRAFORM_ERA, CLUSTER_API_ERA = ("4.14", "4.15"), ("4.16", "4.17", "4.18", "4.19", "4.20", "4.21", "4.22", "4.23",
                                                    "5.0")
SET_SECURITY_GROUPS = ("4.23", "5.0")


def test_the_supported_releases_and_the_default():
    assert tuple(RELEASES) == TERRAFORM_ERA + CLUSTER_API_ERA
    assert DEFAULT_RELEASE == "4.22" and parse_config(variant()).openshift_version == "4.22"


@pytest.fixture(scope="module")
def stacks_by_release(synthesized) -> dict[str, dict[str, dict[str, Any]]]:
    """The release-dependent tiers of the default cluster, built for every release (one app)."""
    from modules.constructs.cdk import App, Testing
    from modules.tiers import STACKS
    from modules.tiers.inputs import FromConfiguration
    from modules.configuration import Tier

    built = {}
    for version in RELEASES:
        source = FromConfiguration(parse_config(variant(openshift_version=version)))
        built[version] = {tier.value: json.loads(Testing.synth(STACKS[tier](App(), source)))
                          for tier in (Tier.NETWORK, Tier.SECURITY, Tier.CONTROL_PLANE, Tier.COMPUTE)}
    return built


@pytest.mark.parametrize("version", TERRAFORM_ERA + CLUSTER_API_ERA)
def test_names_groups_and_grants_follow_the_release(stacks_by_release, version):
    stacks = stacks_by_release[version]
    capi = version in CLUSTER_API_ERA
    network, security = stacks["network"]["resource"], stacks["security"]["resource"]
    subnet = "subnet-" if capi else ""
    assert network["aws_subnet"]["private"]["tags"]["Name"] == f"{INFRA}-{subnet}private-${{each.key}}"
    assert network["aws_subnet"]["public"]["tags"]["Name"] == f"{INFRA}-{subnet}public-${{each.key}}"
    groups = security["aws_security_group"]
    assert groups["worker"]["tags"]["Name"] == (f"{INFRA}-node" if capi else f"{INFRA}-worker-sg")
    assert groups["worker"]["name"] == f"{INFRA}-worker-sg"  # a group is renamed only by replacing it
    assert ("lb" in groups) is capi
    egress = security["aws_vpc_security_group_egress_rule"]["cluster"]["for_each"]
    assert ("LbEgressAll" in egress) is capi
    assert not [key for key in security["aws_vpc_security_group_ingress_rule"]["cluster"]["for_each"]
                if key.startswith("Lb")]
    if capi:
        assert groups["lb"]["name"] == groups["lb"]["tags"]["Name"] == f"{INFRA}-lb"
        # The only group of a machine tagged as the cluster's: the cloud provider writes its rules there.
        assert groups["lb"]["tags"][f"kubernetes.io/cluster/{INFRA}"] == "owned"
        assert not [g for g in ("master", "worker") if f"kubernetes.io/cluster/{INFRA}" in groups[g]["tags"]]
    master = json.loads(security["aws_iam_role_policy"]["master"]["policy"])["Statement"][0]["Action"]
    extra = {"elasticloadbalancing:SetSecurityGroups"} if version in SET_SECURITY_GROUPS else set()
    assert set(master) == LEAST_PRIVILEGE_MASTER | extra
    worker = json.loads(security["aws_iam_role_policy"]["worker"]["policy"])["Statement"][0]["Action"]
    assert set(worker) == {"ec2:DescribeInstances", "ec2:DescribeRegions"}  # every release
    for tier, role in (("control-plane", "master"), ("compute", "worker")):
        machines = stacks[tier]["resource"]["aws_instance"][role]["vpc_security_group_ids"]
        assert group_refs(machines) == [f"output:{role}_security_group_id",
                                        *(["optional:lb_security_group_id"] if capi else [])], (tier, version)


def test_the_documented_profile_is_the_same_for_every_release():
    from modules.configuration.limits import IamProfile
    from modules.constructs.iam import role_statements

    for release in RELEASES.values():
        assert [s.actions for s in role_statements(IamProfile.DOCUMENTED, "master", release)] == [
            ("ec2:*",), ("elasticloadbalancing:*",), ("iam:PassRole",), ("s3:GetObject",)]


def test_moving_to_a_newer_release_replaces_nothing(stacks_by_release):
    """Every address of a release is in the next one, with the same arguments that force a new resource
    (a group's name and VPC, a subnet's CIDR and AZ, a machine's subnet and AMI): the move is tags,
    policies and new resources. The emulator applies 4.15 to 4.22 (e2e/day2.py)."""
    versions = list(RELEASES)
    for older, newer in zip(versions, versions[1:]):
        for tier, before in stacks_by_release[older].items():
            after = stacks_by_release[newer][tier]["resource"]
            for kind, named in before["resource"].items():
                for name, body in named.items():
                    assert name in after.get(kind, {}), f"{older} -> {newer}: {tier} loses {kind}.{name}"
                    for argument in ("name", "vpc_id", "cidr_block", "availability_zone", "subnet_id", "ami",
                                     "instance_type", "for_each"):
                        if kind == "aws_vpc_security_group_egress_rule" and argument == "for_each":
                            continue  # gains the -lb row: one instance more
                        assert body.get(argument) == after[kind][name].get(argument), (older, newer, kind, name)


@pytest.mark.parametrize("value", ["4.13", "4.2", "5.1", "4.22.3", "latest"])
def test_a_release_outside_the_table_is_refused_with_the_supported_list(value):
    with pytest.raises(ConfigError) as raised:
        parse_config(variant(openshift_version=value))
    [problem] = raised.value.problems
    assert problem.startswith(f"openshift_version: {json.dumps(value)} is not valid; expected one of '4.14', ")
    assert problem.endswith("'4.22', '4.23', '5.0'")


def test_an_unquoted_yaml_release_is_a_number_and_is_refused(tmp_path, capsys):
    import main

    document = yaml.safe_dump(variant()) + "openshift_version: 4.20\n"  # YAML reads the number 4.2
    (tmp_path / "cluster.yaml").write_text(document)
    env = {"OCP_CLUSTER_CONFIG": str(tmp_path / "cluster.yaml"), "CDKTF_OUTDIR": str(tmp_path / "out")}
    assert main.main(["synth"], env) == main.INVALID_CONFIG == 65
    assert "openshift_version: 4.2 is a number; expected one of '4.14'" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- MachineSets, offline


def state_with(outputs: dict[str, Any]) -> dict[str, Any]:
    return {"outputs": {name: {"value": value} for name, value in outputs.items()}}


STATES = {"network": {"private_subnet_ids": ["subnet-0a", "subnet-0b", "subnet-0c"]},
          "security": {"worker_instance_profile_name": f"{INFRA}-worker-profile"}}


def render(**changes: Any) -> dict[str, dict[str, Any]]:
    from modules.configuration import Tier
    from modules.operations import machinesets

    config = parse_config(variant(**changes))
    states = {Tier.NETWORK: state_with(STATES["network"]), Tier.SECURITY: state_with(STATES["security"])}
    return {name: yaml.safe_load(text) for name, text in machinesets.render(config, states).items()}


def test_one_machineset_per_az_as_the_installer_writes_it():
    files = render(compute={"additional_security_group_ids": ["sg-0123abcd"], "machineset_replicas": 2},
                   tags={"team": "platform"})
    assert sorted(files) == [f"99_openshift-cluster-api_worker-machineset-{n}.yaml" for n in range(3)]
    first = files["99_openshift-cluster-api_worker-machineset-0.yaml"]
    name = f"{INFRA}-worker-us-east-1a"
    assert (first["apiVersion"], first["kind"]) == ("machine.openshift.io/v1beta1", "MachineSet")
    assert first["metadata"] == {"name": name, "namespace": "openshift-machine-api",
                                 "labels": {"machine.openshift.io/cluster-api-cluster": INFRA}}
    assert first["spec"]["replicas"] == 2
    assert first["spec"]["selector"]["matchLabels"] == {"machine.openshift.io/cluster-api-cluster": INFRA,
                                                        "machine.openshift.io/cluster-api-machineset": name}
    assert first["spec"]["template"]["metadata"]["labels"] == {
        "machine.openshift.io/cluster-api-cluster": INFRA, "machine.openshift.io/cluster-api-machineset": name,
        "machine.openshift.io/cluster-api-machine-role": "worker", "machine.openshift.io/cluster-api-machine-type": "worker"}
    spec = first["spec"]["template"]["spec"]["providerSpec"]["value"]
    example = parse_config(variant())
    assert spec["ami"] == {"id": example.rhcos_ami} and spec["instanceType"] == "m5.large"
    assert spec["blockDevices"] == [{"ebs": {"encrypted": True, "volumeSize": 120, "volumeType": "gp3"}}]
    assert spec["iamInstanceProfile"] == {"id": f"{INFRA}-worker-profile"}
    assert spec["credentialsSecret"] == {"name": "aws-cloud-credentials"}
    assert spec["userDataSecret"] == {"name": "worker-user-data"}
    assert spec["placement"] == {"availabilityZone": "us-east-1a", "region": "us-east-1"}
    assert spec["securityGroups"] == [{"filters": [{"name": "tag:Name", "values": [f"{INFRA}-node"]}]},
                                      {"filters": [{"name": "tag:Name", "values": [f"{INFRA}-lb"]}]},
                                      {"id": "sg-0123abcd"}]
    assert spec["subnet"] == {"filters": [{"name": "tag:Name", "values": [f"{INFRA}-subnet-private-us-east-1a"]}]}
    assert spec["tags"] == [{"name": f"kubernetes.io/cluster/{INFRA}", "value": "owned"},
                            {"name": "team", "value": "platform"}]
    assert spec["metadataServiceOptions"] == {"authentication": "Required"}  # IMDSv2, as the compute tier


def test_a_terraform_era_release_filters_the_old_names():
    spec = render(openshift_version="4.15")["99_openshift-cluster-api_worker-machineset-2.yaml"][
        "spec"]["template"]["spec"]["providerSpec"]["value"]
    assert spec["securityGroups"] == [{"filters": [{"name": "tag:Name", "values": [f"{INFRA}-worker-sg"]}]}]
    assert spec["subnet"] == {"filters": [{"name": "tag:Name", "values": [f"{INFRA}-private-us-east-1c"]}]}


def test_in_an_existing_vpc_the_subnet_is_named_by_id_and_the_key_is_kept():
    from conftest import EXISTING

    spec = render(**EXISTING)["99_openshift-cluster-api_worker-machineset-1.yaml"]["spec"]["template"]["spec"][
        "providerSpec"]["value"]
    assert spec["subnet"] == {"id": "subnet-0b"}  # the state's, in AZ order
    assert spec["blockDevices"][0]["ebs"]["kmsKey"] == {"arn": EXISTING["compute"]["root_volume_kms_key_arn"]}


def test_machinesets_need_the_applied_tiers_and_write_nothing_otherwise(tmp_path):
    from modules.configuration import Tier
    from modules.operations import deploy, machinesets

    config = parse_config(variant())
    with pytest.raises(deploy.DeployError, match=r"ocp4-security is not applied .*main.py apply security"):
        machinesets.render(config, {Tier.NETWORK: state_with(STATES["network"])})
    with pytest.raises(deploy.DeployError, match="2 private subnets for 3 availability zones"):
        machinesets.render(config, {Tier.NETWORK: state_with({"private_subnet_ids": ["subnet-0a", "subnet-0b"]}),
                                    Tier.SECURITY: state_with(STATES["security"])})
    written = machinesets.write_files(tmp_path / "openshift", render_text(config))
    assert [p.name for p in written] == [f"99_openshift-cluster-api_worker-machineset-{n}.yaml" for n in range(3)]
    assert all(oct(p.stat().st_mode & 0o777) == "0o644" for p in written)
    assert not [p for p in (tmp_path / "openshift").iterdir() if p.name.startswith(".")]  # no temporary left


def render_text(config) -> dict[str, str]:
    from modules.configuration import Tier
    from modules.operations import machinesets

    return machinesets.render(config, {Tier.NETWORK: state_with(STATES["network"]),
                                       Tier.SECURITY: state_with(STATES["security"])})


def test_the_machineset_replicas_are_limited_like_the_compute_pool():
    with pytest.raises(ConfigError) as raised:
        parse_config(variant(compute={"machineset_replicas": 251}))
    assert raised.value.problems == ["compute.machineset_replicas: 251 is not valid; expected an integer from 0 to 250"]


def test_the_installer_s_machinesets_for_other_azs_are_removed(tmp_path, monkeypatch):
    """The installer writes one per AZ of its compute pool (by default every AZ of the region); the
    ones this cluster has no subnet for would never make a machine."""
    from modules.configuration import Tier
    from modules.operations import machinesets, teardown

    config = parse_config(variant())
    target = tmp_path / "install" / "openshift"
    target.mkdir(parents=True)
    for n in range(6):  # us-east-1's six AZs, as the installer writes them
        (target / f"99_openshift-cluster-api_worker-machineset-{n}.yaml").write_text("installer's\n")
    (target / "99_openshift-cluster-api_master-machines-0.yaml").write_text("not ours to touch\n")
    states = {Tier.NETWORK: state_with(STATES["network"]), Tier.SECURITY: state_with(STATES["security"])}
    monkeypatch.setattr(teardown.ClusterRemoval, "states", lambda self: states)
    said = []
    written = machinesets.machinesets(config, tmp_path / "out", tmp_path / "install", log=said.append)
    assert sorted(p.name for p in target.iterdir()) == ["99_openshift-cluster-api_master-machines-0.yaml"] + [
        f"99_openshift-cluster-api_worker-machineset-{n}.yaml" for n in range(3)]
    assert all(yaml.safe_load(p.read_text())["kind"] == "MachineSet" for p in written)
    assert [line.split(": ")[0].rsplit("/", 1)[-1] for line in said] == [
        f"99_openshift-cluster-api_worker-machineset-{n}.yaml" for n in range(3, 6)]


def test_main_py_machinesets_writes_them_or_says_which_tier_to_apply(tmp_path, monkeypatch, capsys):
    import main
    from modules.configuration import Tier
    from modules.operations import teardown

    (tmp_path / "cluster.json").write_text(json.dumps(variant(openshift_version="4.15")))
    env = {"OCP_CLUSTER_CONFIG": str(tmp_path / "cluster.json"), "CDKTF_OUTDIR": str(tmp_path / "out")}
    monkeypatch.setattr(teardown.ClusterRemoval, "states", lambda self: {Tier.NETWORK: state_with(STATES["network"])})
    assert main.main(["machinesets", "--out", str(tmp_path / "install")], env) == main.FAILED
    assert "machinesets failed: ocp4-security is not applied" in capsys.readouterr().err
    assert not (tmp_path / "install").exists()
    states = {Tier.NETWORK: state_with(STATES["network"]), Tier.SECURITY: state_with(STATES["security"])}
    monkeypatch.setattr(teardown.ClusterRemoval, "states", lambda self: states)
    assert main.main(["machinesets", "--out", str(tmp_path / "install")], env) == main.OK
    written = sorted((tmp_path / "install" / "openshift").iterdir())
    assert capsys.readouterr().out.splitlines() == [f"wrote {path}" for path in written]
    spec = yaml.safe_load(written[0].read_text())["spec"]["template"]["spec"]["providerSpec"]["value"]
    assert spec["securityGroups"] == [{"filters": [{"name": "tag:Name", "values": [f"{INFRA}-worker-sg"]}]}]
