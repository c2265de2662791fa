"""Configuration: defaults, derived values, and every class of bad input (SPEC 3.9)."""
from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import main
from conftest import ROOT, variant
from modules.configuration import ConfigError, IamProfile, Publish, Tier, load_configs, parse_config


def problems(document) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(document, source="test")
    return caught.value.problems


def test_example_defaults():
    [config] = load_configs()
    assert config.vpc_cidr == "10.0.0.0/16"
    assert config.subnet_bits == 12
    assert config.publish is Publish.EXTERNAL
    assert config.iam_profile is IamProfile.LEAST_PRIVILEGE
    assert (config.network_acl, config.restricted_network, config.nat_gateways) == (False, False, True)
    assert config.partition.name == "aws"


def test_derived_values_follow_their_sources():
    config = parse_config(variant(infra_id="blue-9q2xz", region="eu-west-1",
                                  availability_zones=["eu-west-1a"]))
    assert config.resolved_state_bucket == "blue-9q2xz-tfstate"
    assert config.resolved_state_region == "eu-west-1"
    assert config.state_key(Tier.NETWORK) == "ocp-upi-tf/ocp4/network/terraform.tfstate"
    assert config.subnet_newbits == 4  # /16 VPC, 12 host bits -> /20 subnets


def test_explicit_state_settings_win():
    config = parse_config(variant(state={"bucket": "my-bucket", "region": "us-west-2", "key_prefix": "a/b"}))
    assert config.resolved_state_bucket == "my-bucket"
    assert config.resolved_state_region == "us-west-2"
    assert config.state_key(Tier.SECURITY) == "a/b/ocp4/security/terraform.tfstate"


@pytest.mark.parametrize("region, partition", [
    ("us-east-1", "aws"), ("us-gov-east-1", "aws-us-gov"), ("cn-northwest-1", "aws-cn")])
def test_partition_follows_region(region, partition):
    doc = variant(region=region, availability_zones=[f"{region}a"],
                  publish="Internal" if partition == "aws-us-gov" else "External")
    assert parse_config(doc).partition.name == partition


# One representative of each class of bad input: (changes, field named, words of the accepted values).
BAD_INPUT = {
    "cidr not an address": ({"vpc_cidr": "10.0.0/16"}, "vpc_cidr", "CIDR notation"),
    "cidr host bits set": ({"vpc_cidr": "10.0.0.1/16"}, "vpc_cidr", "host bits zero"),
    "cidr prefix too short": ({"vpc_cidr": "10.0.0.0/8"}, "vpc_cidr", "/16 to /24"),
    "cidr prefix too long": ({"vpc_cidr": "10.0.0.0/25"}, "vpc_cidr", "/16 to /24"),
    "cidr IPv6": ({"vpc_cidr": "fd00::/56"}, "vpc_cidr", "IPv4"),
    "subnet bits out of range": ({"subnet_bits": 14}, "subnet_bits", "from 5 to 13"),
    "subnet bits not a number": ({"subnet_bits": "12"}, "subnet_bits", "an integer"),
    "subnet bits boolean": ({"subnet_bits": True}, "subnet_bits", "an integer"),
    "subnets do not fit": ({"vpc_cidr": "10.0.0.0/24", "subnet_bits": 6}, "subnet_bits", "at most 5"),
    "no AZ": ({"availability_zones": []}, "availability_zones", "1 to 3"),
    "four AZs": ({"availability_zones": ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d"]},
                 "availability_zones", "1 to 3"),
    "AZ of another region": ({"availability_zones": ["us-west-2a"]}, "availability_zones[0]", "'us-east-1' followed"),
    "duplicate AZ": ({"availability_zones": ["us-east-1a", "us-east-1a"]}, "availability_zones", "distinct"),
    # YAML reads an unquoted 2024-01-01 as a date: refused like any other non-name, never a traceback.
    "AZ a YAML date": ({"availability_zones": [datetime.date(2024, 1, 1)]}, "availability_zones[0]",
                       "not an availability zone"),
    "CIDR prefix written oddly": ({"vpc_cidr": "10.0.0.0/016"}, "vpc_cidr", "/16 to /24"),
    "unknown region": ({"region": "us-north-9"}, "region", "known AWS region"),
    "infra id too long": ({"infra_id": "a" * 28}, "infra_id", "at most 27"),
    "infra id uppercase": ({"infra_id": "Ocp4-x7k2q"}, "infra_id", "lowercase"),
    "infra id underscore": ({"infra_id": "ocp4_x7k2q"}, "infra_id", "lowercase"),
    "cluster name not a label": ({"cluster_name": "my.cluster"}, "cluster_name", "DNS label"),
    "base domain trailing dot": ({"base_domain": "example.com."}, "base_domain", "without a trailing dot"),
    "publish unknown": ({"publish": "external"}, "publish", "'External', 'Internal'"),
    "iam profile unknown": ({"iam_profile": "admin"}, "iam_profile", "'least_privilege', 'documented'"),
    "bool as string": ({"network_acl": "yes"}, "network_acl", "true or false"),
    "zone id malformed": ({"public_zone_id": "example.com"}, "public_zone_id", "hosted zone ID"),
    "unknown key": ({"vpc_cdir": "10.0.0.0/16"}, "vpc_cdir", "accepted keys are"),
    "unknown state key": ({"state": {"bucket_name": "x"}}, "state.bucket_name", "accepted keys are"),
    "bucket name invalid": ({"state": {"bucket": "My_Bucket"}}, "state.bucket", "S3 bucket name"),
    "state region other partition": ({"state": {"region": "cn-north-1"}}, "state.region", "partition (aws)"),
    "reserved tag": ({"tags": {"kubernetes.io/cluster/x": "owned"}}, "tags", "reserved"),
    "aws tag prefix": ({"tags": {"aws:createdBy": "me"}}, "tags", "not starting with 'aws:'"),
    "tag value not text": ({"tags": {"team": 7}}, "tags.team", "a string"),
    "endpoint service unknown": ({"aws_endpoints": {"lambda": "http://localhost:1"}}, "aws_endpoints", "one of"),
    "endpoint url malformed": ({"aws_endpoints": {"s3": "localhost:5000"}}, "aws_endpoints.s3", "http(s) URL"),
    "external in govcloud": ({"region": "us-gov-west-1", "availability_zones": ["us-gov-west-1a"]},
                             "publish", "expected 'Internal'"),
    "internal with public zone": ({"publish": "Internal", "public_zone_id": "Z0123456789ABC"},
                                  "public_zone_id", "expected null"),
    "no NAT without endpoints": ({"nat_gateways": False}, "nat_gateways", "restricted_network: true"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUT))
def test_bad_input_names_field_and_accepted_values(case):
    changes, field, accepted = BAD_INPUT[case]
    found = problems(variant(**changes))
    assert len(found) == 1, found
    assert found[0].startswith(f"{field}:"), found
    assert accepted in found[0], found


def test_missing_required_keys_are_each_reported():
    found = problems({})
    for key in ("cluster_name", "infra_id", "base_domain", "region", "availability_zones"):
        assert any(p.startswith(f"{key}: missing") for p in found), (key, found)


def test_several_bad_fields_give_one_message_each():
    found = problems(variant(vpc_cidr="nonsense", infra_id="UPPER", publish="sometimes"))
    assert sorted(p.split(":")[0] for p in found) == ["infra_id", "publish", "vpc_cidr"]


def test_document_must_be_a_mapping():
    assert "mapping" in problems(["cluster_name"])[0]


def test_hostile_value_is_quoted_not_interpreted():
    found = problems(variant(cluster_name='x"; ${file("/etc/passwd")}'))
    assert found[0].startswith("cluster_name: ")
    assert '\\"' in found[0]  # shown JSON-escaped, as data


# ---------------------------------------------------------------- through main.py


def run_main(*args: str, config: Path | None = None, cwd: Path = ROOT, outdir: Path | None = None):
    env = {k: v for k, v in os.environ.items() if k not in ("OCP_CLUSTER_CONFIG", "CDKTF_OUTDIR")}
    if config is not None:
        env["OCP_CLUSTER_CONFIG"] = str(config)
    if outdir is not None:
        env["CDKTF_OUTDIR"] = str(outdir)
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_config_command_prints_a_valid_configuration(tmp_path):
    result = run_main("config")
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed["state"]["bucket"] is None  # derived values print as null
    assert printed["public_zone_id"] is None
    # The printout is itself a configuration file that loads to the same thing.
    saved = tmp_path / "cluster.json"
    saved.write_text(result.stdout)
    assert load_configs(saved) == load_configs()


def test_editing_one_key_of_the_printout_leaves_no_stale_derived_value(tmp_path):
    printed = json.loads(run_main("config").stdout)
    printed["infra_id"] = "green-abcde"
    (tmp_path / "c.yaml").write_text(json.dumps(printed))
    assert load_configs(tmp_path / "c.yaml")[0].resolved_state_bucket == "green-abcde-tfstate"


@pytest.mark.parametrize("content, expected", [
    ("cluster_name: [unclosed", "not valid YAML or JSON at line 1"),
    (json.dumps(variant(vpc_cidr="10.0.0.0/8")), "vpc_cidr: \"10.0.0.0/8\" is not valid"),
])
def test_bad_file_stops_synthesis_before_anything_is_written(tmp_path, content, expected):
    config = tmp_path / "cluster.yaml"
    config.write_text(content)
    outdir = tmp_path / "out"
    result = run_main(config=config, outdir=outdir)
    assert result.returncode == 65  # invalid configuration (docs/reference/exit-statuses.md)
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert not outdir.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["cluster.yaml"]  # no staging folder left either


def test_missing_file_is_named(tmp_path):
    result = run_main("config", config=tmp_path / "nope.yaml")
    assert result.returncode == 65  # invalid configuration (docs/reference/exit-statuses.md)
    assert "nope.yaml" in result.stderr and "cannot read the file" in result.stderr


# ---------------------------------------------------------------- the command line


@pytest.mark.parametrize("argv, message", [
    (["apply", "--force"], "unrecognized arguments: --force"),
    (["apply", "--delete-data"], "unrecognized arguments: --delete-data"),
    (["plan-review", "--dry-run"], "unrecognized arguments: --dry-run"),
    (["config", "--cluster", "ocp4"], "unrecognized arguments: --cluster"),
    (["destroy"], "the following arguments are required: TIER"),
    (["apply", "eu-network"], "unknown tier 'eu-network'; the tiers are state, network, cluster-infra"),
    (["plan-review", "--target", "workers"], "unknown tier 'workers'"),
    (["deploy"], "invalid choice: 'deploy'"),
])
def test_a_flag_or_tier_that_does_not_apply_is_a_usage_error(argv, message, capsys):
    import main

    with pytest.raises(SystemExit) as exited:
        main.main(argv)
    assert exited.value.code == 64
    assert message in capsys.readouterr().err


def test_a_fleet_needs_the_cluster_named(tmp_path, capsys):
    import main

    fleet = tmp_path / "fleet.json"
    fleet.write_text(json.dumps({"clusters": [variant(cluster_name="blue", infra_id="blue-x7k2q"),
                                              variant(cluster_name="green", infra_id="green-x7k2q")]}))
    env = {"OCP_CLUSTER_CONFIG": str(fleet), "CDKTF_OUTDIR": str(tmp_path / "out")}
    assert main.main(["apply"], env) == 64
    assert "name the cluster with --cluster, one of: blue, green" in capsys.readouterr().err
    assert main.main(["apply", "--cluster", "red"], env) == 64


# ---------------------------------------------------------------- before `openshift-install create ignition-configs`

WAITING = {"cluster_name": "lab", "infra_id": "lab-4hq9z", "region": "us-east-1", "base_domain": "example.com",
           "availability_zones": ["us-east-1a"], "rhcos_ami": "ami-0123456789abcdef0", "openshift_install_dir": "install"}
MACHINE_TIERS = [Tier.BOOTSTRAP, Tier.CONTROL_PLANE, Tier.COMPUTE]


def installer_folder(tmp_path: Path, *files: str) -> Path:
    folder = tmp_path / "install"
    (folder / "manifests").mkdir(parents=True)  # what `create manifests` leaves
    for name in files:
        (folder / name).write_text("{}")
    return folder


def test_before_the_ignition_configs_the_machine_tiers_wait(tmp_path):
    installer_folder(tmp_path)
    config = parse_config(WAITING, base_dir=tmp_path)
    assert config.ignition_ca is None and config.bootstrap.ignition is None
    assert list(config.waiting) == MACHINE_TIERS
    assert [tier for tier in config.tiers if tier in MACHINE_TIERS] == []
    assert Tier.NETWORK in config.tiers and Tier.SECURITY in config.tiers


def test_before_the_ignition_configs_the_names_are_given(tmp_path):
    installer_folder(tmp_path)
    with pytest.raises(ConfigError) as refused:
        parse_config({key: value for key, value in WAITING.items() if key != "infra_id"}, base_dir=tmp_path)
    assert [problem.split(":")[0] for problem in refused.value.problems] == ["infra_id"]


@pytest.mark.parametrize("files, expected", [
    ((), "openshift_install_dir: "),  # no installer's files at all: a wrong folder, not one waiting
    (("metadata.json",), "master.ign"),  # the configs half there
])
def test_a_folder_that_is_not_before_the_ignition_configs_is_still_refused(tmp_path, files, expected):
    folder = installer_folder(tmp_path, *files)
    if files:
        (folder / "metadata.json").write_text(json.dumps({"clusterName": "lab", "infraID": "lab-4hq9z"}))
    else:
        (folder / "manifests").rmdir()
    with pytest.raises(ConfigError) as refused:
        parse_config(WAITING, base_dir=tmp_path)
    assert any(problem.startswith("openshift_install_dir:") and expected in problem
               for problem in refused.value.problems), refused.value.problems


def test_without_the_folder_the_ca_and_bootstrap_ign_are_still_required():
    document = variant()
    del document["ignition_ca"], document["bootstrap"]
    with pytest.raises(ConfigError) as refused:
        parse_config(document)
    assert {problem.split(":")[0] for problem in refused.value.problems} == {"ignition_ca", "bootstrap.ignition"}


def test_a_machine_tier_named_while_waiting_is_refused_with_the_step(tmp_path, capsys):
    installer_folder(tmp_path)
    (tmp_path / "cluster.yaml").write_text(json.dumps(WAITING))
    env = {"OCP_CLUSTER_CONFIG": str(tmp_path / "cluster.yaml"), "CDKTF_OUTDIR": str(tmp_path / "out")}
    assert main.main(["apply", "network", "compute"], env=env) == main.USAGE
    assert "bootstrap, control-plane, compute wait for the Ignition configs: run `openshift-install create " \
           "ignition-configs`" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()  # refused before anything was synthesized


def test_machine_tiers_made_from_configs_now_gone_are_never_dropped_quietly(tmp_path, capsys):
    from modules.operations import fingerprint

    installer_folder(tmp_path)
    (tmp_path / "cluster.yaml").write_text(json.dumps(WAITING))
    out = tmp_path / "out"
    out.mkdir()
    fingerprint.write(out, {"lab": fingerprint.Synthesized("earlier", ("lab-network", "lab-compute"))})
    env = {"OCP_CLUSTER_CONFIG": str(tmp_path / "cluster.yaml"), "CDKTF_OUTDIR": str(out)}
    assert main.main(["synth"], env=env) == main.INVALID_CONFIG
    assert "lab-compute were synthesized into" in capsys.readouterr().err
    assert set(fingerprint.recorded(out)["lab"].stacks) == {"lab-network", "lab-compute"}  # nothing touched


def test_a_waiting_cluster_synthesizes_every_tier_but_the_machines(synthesized):
    stacks = {path.name for path in (synthesized.outdir("waiting") / "stacks").iterdir()}
    assert stacks == {f"lab-{tier.value}" for tier in Tier if tier not in MACHINE_TIERS + [Tier.CREDENTIALS,
                                                                                           Tier.INGRESS]}


def test_an_infra_id_other_than_metadata_json_s_is_refused(tmp_path):
    from conftest import make_install_dir

    make_install_dir(tmp_path / "install")  # metadata.json says lab-4hq9z
    with pytest.raises(ConfigError) as refused:
        parse_config({**WAITING, "infra_id": "lab-typo1"}, base_dir=tmp_path)
    assert refused.value.problems == ["infra_id: \"lab-typo1\" is not the infrastructure ID of openshift_install_dir's "
                                      "metadata.json (\"lab-4hq9z\"); expected it, or the key left out"]
    assert parse_config({**WAITING, "infra_id": "lab-4hq9z"}, base_dir=tmp_path).waiting == ()


@pytest.mark.parametrize("past", ["auth", "state"])
def test_a_folder_past_the_ignition_configs_whose_files_are_gone_is_not_taken_for_waiting(tmp_path, past):
    folder = installer_folder(tmp_path)
    if past == "auth":
        (folder / "auth").mkdir()  # the installer's kubeconfig, written with the Ignition configs
    else:
        (folder / ".openshift_install_state.json").write_text(json.dumps({"*bootstrap.Bootstrap": {}}))
    with pytest.raises(ConfigError) as refused:
        parse_config(WAITING, base_dir=tmp_path)
    assert any("metadata.json: cannot read it" in problem for problem in refused.value.problems)


def test_a_name_missing_while_waiting_says_where_to_find_it(tmp_path):
    installer_folder(tmp_path)
    with pytest.raises(ConfigError) as refused:
        parse_config({key: value for key, value in WAITING.items() if key != "infra_id"}, base_dir=tmp_path)
    [problem] = refused.value.problems
    assert problem.endswith("status.infrastructureName in manifests/cluster-infrastructure-02-config.yml)")
