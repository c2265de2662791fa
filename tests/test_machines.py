"""Machine tiers (04-06): instances, target-group registrations, Ignition user data, install dir input."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import FAKE_PEM, ROOT, data_url, group_refs, make_install_dir, variant
from modules.configuration import ConfigError, Tier, parse_config

ALL_TARGETS = {"external_api", "internal_api", "internal_service"}


def attachments(synthesized, name, tier, role):
    resource = synthesized.resources(name, tier, "aws_lb_target_group_attachment").get(role)
    return set(resource["for_each"]) if resource else set()


@pytest.mark.parametrize("name, targets", [("default", ALL_TARGETS), ("internal", ALL_TARGETS - {"external_api"})])
def test_registrations_are_every_machine_in_every_existing_target_group(synthesized, name, targets):
    assert attachments(synthesized, name, "control-plane", "master") == \
        {f"{machine}/{target}" for machine in "012" for target in targets}
    assert attachments(synthesized, name, "bootstrap", "bootstrap") == {f"0/{target}" for target in targets}
    assert attachments(synthesized, name, "compute", "worker") == set()
    master = synthesized.resources(name, "control-plane", "aws_lb_target_group_attachment")["master"]
    assert master["target_id"] == "${aws_instance.master[each.value.machine].private_ip}"
    assert master["target_group_arn"] == \
        "${data.terraform_remote_state.cluster_infra.outputs.target_group_arns[each.value.target_group]}"


def test_cluster_infra_outputs_the_arns_the_machine_tiers_look_up(synthesized):
    output = synthesized.stack("default", "cluster-infra")["output"]["target_group_arns"]["value"]
    assert output == "${ { for key, group in aws_lb_target_group.api : key => group.arn } }"
    groups = synthesized.resources("default", "cluster-infra", "aws_lb_target_group")["api"]["for_each"]
    assert set(groups) == ALL_TARGETS


def instances(synthesized, name, tier, role):
    return synthesized.resources(name, tier, "aws_instance")[role]


def test_adding_a_replica_adds_exactly_one_worker(synthesized):
    three = synthesized.stack("default", "compute")["resource"]
    four = synthesized.stack("replicas_4", "compute")["resource"]
    before, after = three["aws_instance"]["worker"], four["aws_instance"]["worker"]
    assert set(after["for_each"]) - set(before["for_each"]) == {"3"}
    assert {k: after["for_each"][k] for k in before["for_each"]} == before["for_each"]  # nobody moves
    assert {k: v for k, v in after.items() if k != "for_each"} == {k: v for k, v in before.items() if k != "for_each"}
    assert three.keys() == four.keys() == {"aws_instance"}


@pytest.mark.parametrize("name, zones", [("one_az", [0, 0, 0]), ("two_az", [0, 1, 0]), ("default", [0, 1, 2])])
def test_machines_wrap_round_the_azs(synthesized, name, zones):
    masters = instances(synthesized, name, "control-plane", "master")["for_each"]
    assert [masters[k]["subnet_index"] for k in sorted(masters)] == zones
    workers = instances(synthesized, name, "compute", "worker")["for_each"]
    assert [workers[k]["subnet_index"] for k in sorted(workers)] == zones  # 3 workers by default


def test_placement_groups_and_profiles(synthesized):
    master = instances(synthesized, "default", "control-plane", "master")
    assert master["subnet_id"] == "${data.terraform_remote_state.network.outputs.private_subnet_ids[each.value.subnet_index]}"
    # The role's group, and the cloud provider's -lb group that the default release (4.22) puts on every
    # master and worker (configuration/releases.py); the bootstrap machine is not in it.
    # (The -lb output is read with try(): a reviewed upgrade plans the machines before it exists.)
    assert group_refs(master["vpc_security_group_ids"]) == ["output:master_security_group_id",
                                                            "optional:lb_security_group_id"]
    assert master["iam_instance_profile"] == "${data.terraform_remote_state.security.outputs.master_instance_profile_name}"
    assert master["associate_public_ip_address"] is False
    assert (master["instance_type"], master["ami"]) == ("m5.xlarge", "ami-0123456789abcdef0")
    worker = instances(synthesized, "default", "compute", "worker")
    assert group_refs(worker["vpc_security_group_ids"]) == ["output:worker_security_group_id",
                                                            "optional:lb_security_group_id"]
    assert worker["instance_type"] == "m5.large"
    bootstrap = instances(synthesized, "default", "bootstrap", "bootstrap")
    assert bootstrap["subnet_id"] == "${data.terraform_remote_state.network.outputs.public_subnet_ids[each.value.subnet_index]}"
    assert bootstrap["associate_public_ip_address"] is True
    assert bootstrap["vpc_security_group_ids"] == [
        "${aws_security_group.bootstrap.id}", "${data.terraform_remote_state.security.outputs.master_security_group_id}"]
    assert bootstrap["instance_type"] == "i3.large"
    for machine in (master, worker, bootstrap):
        assert machine["root_block_device"] == {"volume_size": 120, "volume_type": "gp3", "encrypted": True}
        assert machine["metadata_options"] == {"http_endpoint": "enabled", "http_tokens": "required"}
        assert machine["tags"]["kubernetes.io/cluster/ocp4-x7k2q"] == "shared"


def user_data(synthesized, name, tier, role):
    return json.loads(instances(synthesized, name, tier, role)["user_data"])


@pytest.mark.parametrize("tier, role", [("control-plane", "master"), ("compute", "worker")])
def test_node_user_data_merges_the_machine_config_and_trusts_the_ca(synthesized, tier, role):
    ignition = user_data(synthesized, "default", tier, role)["ignition"]
    assert ignition["version"] == "3.1.0"
    assert ignition["config"] == {"merge": [{"source": f"https://api-int.ocp4.example.com:22623/config/{role}"}]}
    [ca] = ignition["security"]["tls"]["certificateAuthorities"]
    assert ca["source"] == synthesized.configs["default"].ignition_ca
    assert set(ignition) == {"version", "config", "security"}


def test_bootstrap_user_data_replaces_its_config_from_s3(synthesized):
    ignition = user_data(synthesized, "default", "bootstrap", "bootstrap")["ignition"]
    assert ignition == {"version": "3.1.0", "config": {"replace": {"source": "s3://ocp4-x7k2q-ignition/bootstrap.ign"}}}
    assert "aws_s3_object" not in synthesized.stack("default", "bootstrap")["resource"]  # given as s3://: no upload


def test_bootstrap_security_group(synthesized):
    rows = synthesized.resources("default", "bootstrap", "aws_vpc_security_group_ingress_rule")["bootstrap"]["for_each"]
    assert {(r["ip_protocol"], r["from_port"], r["to_port"], r["cidr_ipv4"]) for r in rows.values()} == {
        ("tcp", 22, 22, "10.0.0.0/16"),  # ssh_cidr null: the VPC only, never the world by default
        ("tcp", 19531, 19531, "0.0.0.0/0")}
    egress = synthesized.resources("default", "bootstrap", "aws_vpc_security_group_egress_rule")["bootstrap"]["for_each"]
    assert [(r["ip_protocol"], r["cidr_ipv4"]) for r in egress.values()] == [("-1", "0.0.0.0/0")]


def test_bootstrap_role_reads_its_ignition(synthesized):
    policy = json.loads(synthesized.resources("default", "bootstrap", "aws_iam_role_policy")["bootstrap"]["policy"])
    assert {s["Action"] for s in policy["Statement"]} == {
        "ec2:Describe*", "ec2:AttachVolume", "ec2:DetachVolume", "s3:GetObject"}


# ---------------------------------------------------------------- openshift_install_dir


def test_install_dir_supplies_names_region_ca_and_bootstrap_ignition(synthesized):
    config = synthesized.configs["install_dir"]
    assert (config.cluster_name, config.infra_id, config.region) == ("lab", "lab-4hq9z", "us-east-1")
    assert config.ignition_ca == data_url(FAKE_PEM)
    assert config.bootstrap.ignition_is_local and config.bootstrap.ignition.endswith("assets/bootstrap.ign")
    printed = config.to_document()
    assert printed["cluster_name"] is None and printed["ignition_ca"] is None
    assert printed["bootstrap"]["ignition"] is None and printed["openshift_install_dir"] == "assets"


def test_local_bootstrap_ignition_travels_as_an_asset_into_a_private_bucket(synthesized):
    stack_dir = synthesized.stack_dir("install_dir", "bootstrap")
    resources = synthesized.stack("install_dir", "bootstrap")["resource"]
    obj = resources["aws_s3_object"]["ignition"]
    assert obj["bucket"] == "${aws_s3_bucket.bootstrap.id}" and obj["key"] == "bootstrap.ign"
    assert obj["source"].startswith("${path.module}/assets/")
    relative = obj["source"].removeprefix("${path.module}/")
    assert (stack_dir / relative).read_bytes() == Path(synthesized.configs["install_dir"].bootstrap.ignition).read_bytes()
    assert obj["source_hash"] == '${filemd5("${path.module}/' + relative + '")}'
    assert resources["aws_s3_bucket"]["bootstrap"]["bucket"] == "lab-4hq9z-bootstrap"
    assert resources["aws_s3_bucket_public_access_block"]["bootstrap"]["block_public_policy"] is True
    machine = resources["aws_instance"]["bootstrap"]
    assert json.loads(machine["user_data"])["ignition"]["config"]["replace"]["source"] == "s3://lab-4hq9z-bootstrap/bootstrap.ign"
    assert machine["depends_on"] == ["aws_s3_object.ignition"]


def test_explicit_keys_override_the_install_dir(tmp_path):
    make_install_dir(tmp_path / "assets")
    config = parse_config({"openshift_install_dir": "assets", "cluster_name": "other", "base_domain": "example.com",
                           "availability_zones": ["us-east-1a"], "rhcos_ami": "ami-0123456789abcdef0",
                           "bootstrap": {"ignition": "s3://my-bucket/boot.ign"}}, base_dir=tmp_path)
    assert config.cluster_name == "other" and config.infra_id == "lab-4hq9z"
    assert config.bootstrap.ignition == "s3://my-bucket/boot.ign"
    assert config.to_document()["cluster_name"] == "other"


@pytest.mark.parametrize("breakage, message", [
    (lambda d: (d / "metadata.json").unlink(), "metadata.json: cannot read it"),
    (lambda d: (d / "metadata.json").write_text("{not json"), "metadata.json: not valid JSON"),
    (lambda d: (d / "metadata.json").write_text('{"clusterName": "x"}'), "expected the keys clusterName and infraID"),
    (lambda d: (d / "master.ign").write_text('{"ignition": {}}'), "master.ign: expected ignition.security"),
    (lambda d: (d / "bootstrap.ign").write_text("[]"), "bootstrap.ign: expected an Ignition config"),
])
def test_broken_install_dir_is_a_clear_error_naming_the_file(tmp_path, breakage, message):
    breakage(make_install_dir(tmp_path / "assets"))
    with pytest.raises(ConfigError) as caught:
        parse_config({"openshift_install_dir": "assets", "base_domain": "example.com",
                      "availability_zones": ["us-east-1a"], "rhcos_ami": "ami-0123456789abcdef0"}, base_dir=tmp_path)
    [problem] = caught.value.problems
    assert problem.startswith("openshift_install_dir: ") and message in problem, problem


@pytest.mark.parametrize("changes, field, accepted", [
    ({"ignition_ca": "not-a-url"}, "ignition_ca", "data URL"),
    ({"ignition_ca": "data:text/plain;charset=utf-8;base64,!!!"}, "ignition_ca", "valid base64"),
    ({"ignition_ca": data_url("hello")}, "ignition_ca", "PEM certificate bundle"),
    ({"control_plane": {"ignition_url": "http://api-int.x:22623/config/master"}}, "control_plane.ignition_url", "https URL"),
    ({"bootstrap": {"ignition": "s3://Bad_Bucket/x.ign"}}, "bootstrap.ignition", "s3://bucket/key"),
    ({"bootstrap": {"ignition": "missing.ign"}}, "bootstrap.ignition", "readable file"),
    ({"bootstrap": {"ignition": "s3://b-1/x.ign", "ssh_cidr": "10.0.0.1/8"}}, "bootstrap.ssh_cidr", "host bits zero"),
    ({"rhcos_ami": "ami-xyz"}, "rhcos_ami", "AMI ID"),
    ({"compute": {"replicas": -1}}, "compute.replicas", "from 0 to 250"),
    ({"compute": {"root_volume_type": "standard"}}, "compute.root_volume_type", "gp3"),
    ({"control_plane": {"root_volume_size": 50}}, "control_plane.root_volume_size", "from 100"),
    ({"control_plane": {"replicas": 5}}, "control_plane.replicas", "unknown key"),
])
def test_bad_machine_settings(changes, field, accepted):
    with pytest.raises(ConfigError) as caught:
        parse_config(variant(**changes))
    [problem] = caught.value.problems
    assert problem.startswith(f"{field}:") and accepted in problem, problem


def test_bootstrap_ignition_is_required():
    doc = variant()
    del doc["bootstrap"]
    with pytest.raises(ConfigError) as caught:
        parse_config(doc)
    assert caught.value.problems[0].startswith("bootstrap.ignition: missing")


def test_a_new_boot_image_or_ignition_pointer_changes_no_running_machine(synthesized):
    """ami and user_data only matter at first boot (RHCOS updates itself): every machine, in every
    machine tier, ignores later changes to them; the exported modules do the same."""
    for name, config in synthesized.configs.items():
        for tier, role in (("bootstrap", "bootstrap"), ("control-plane", "master"), ("compute", "worker")):
            if Tier(tier) in config.waiting:  # not synthesized before the Ignition configs
                continue
            machine = synthesized.resources(name, tier, "aws_instance")[role]
            assert machine["lifecycle"]["ignore_changes"] == ["ami", "user_data"], (name, tier)
    for module in ("bootstrap", "control_plane", "compute"):
        text = (ROOT / "terraform-modules" / module / "main.tf").read_text()
        [machine] = re.findall(r'^resource "aws_instance" "[a-z]+" \{\n(.*?)^\}', text, re.MULTILINE | re.DOTALL)
        # (then, from the machines' release-dependent groups, a precondition: constructs/machines.py)
        assert re.search(r"lifecycle \{\s+ignore_changes = \[ami, user_data\]\s+(\}|\n\s+precondition)", machine), module
