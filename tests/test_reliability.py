"""Surviving bad input, hostile strings and a killed synthesis (the emulator cases are in e2e/)."""
from __future__ import annotations

import copy
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import main
from conftest import REPORT, ROOT, offline_plan, variant
from modules.operations import fingerprint
from modules.configuration import EXAMPLE, ConfigError, parse_configs

# ---------------------------------------------------------------- hostile configurations

INJECTIONS = ['${file("/etc/passwd")}', "%{ if true }x%{ endif }", '"; rm -rf / #', "$${x}", "a\nb",
              "\x00", "../../etc/passwd", "ÖCP", "<script>", "' OR '1'='1"]
BAD_NAMES = ["UPPER", "under_score", "-leading", "trailing-", "a" * 64, "", "dot.ted", "spa ce"]
ANY_VALUE = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=5),
                      st.lists(st.integers(), max_size=2),
                      st.dictionaries(st.text(max_size=3), st.integers(), min_size=1, max_size=2))
# Required keys take no null; optional ones read null as "the default".
REQUIRED = {"cluster_name", "infra_id", "region", "availability_zones"}
EXPECTED_TYPES = {"cluster_name": str, "infra_id": str, "region": str, "availability_zones": list, "vpc_cidr": str,
                  "subnet_bits": int, "network_acl": bool, "tags": dict, "state": dict, "bootstrap": dict,
                  "compute": dict}


def wrong_type(field: str) -> st.SearchStrategy[Any]:
    return ANY_VALUE.filter(lambda value: type(value) is not EXPECTED_TYPES[field]
                            and (value is not None or field in REQUIRED))
OTHER_REGION_AZS = ["us-west-2a", "eu-west-1b", "us-gov-west-1a", "cn-north-1a", "us-east-1", "us-east-1aa"]


def cidr() -> st.SearchStrategy[str]:
    octet = st.integers(0, 300)
    return st.builds(lambda a, b, c, d, p: f"{a}.{b}.{c}.{d}/{p}", octet, octet, octet, octet, st.integers(0, 40))


# (path, value, must be rejected?) -- None: either way, as long as a rejection names the field.
MUTATIONS = st.one_of(
    st.tuples(st.sampled_from(["cluster_name", "infra_id", "base_domain", "region", "rhcos_ami", "ignition_ca",
                               "publish", "iam_profile"]).map(lambda k: (k,)),
              st.sampled_from(BAD_NAMES + INJECTIONS), st.just(True))
    # A name with a dot is a bad cluster name, but a fine base domain.
    .filter(lambda mutation: mutation[:2] != (("base_domain",), "dot.ted")),
    st.sampled_from(sorted(EXPECTED_TYPES)).flatmap(
        lambda field: st.tuples(st.just((field,)), wrong_type(field), st.just(True))),
    st.tuples(st.just(("vpc_cidr",)), cidr(), st.none()),
    st.tuples(st.just(("vpc_cidr",)), st.sampled_from(["8.8.0.0/16", "172.32.0.0/16", "192.169.0.0/16",
                                                       "10.0.0.0/8", "10.0.0.0/25", "10.0.0.1/16"]), st.just(True)),
    st.tuples(st.just(("bootstrap", "ssh_cidr")), cidr(), st.none()),
    st.tuples(st.just(("availability_zones",)),
              st.lists(st.sampled_from(OTHER_REGION_AZS), min_size=1, max_size=3), st.just(True)),
    st.tuples(st.just(("availability_zones",)), st.sampled_from([["us-east-1a", "us-east-1a"], [],
                                                                 ["us-east-1a", "us-east-1b", "us-east-1c",
                                                                  "us-east-1d"]]), st.just(True)),
    st.tuples(st.sampled_from([("subnet_bits",), ("compute", "replicas"), ("control_plane", "root_volume_size")]),
              st.integers(-10**6, 10**6), st.none()),
    st.tuples(st.sampled_from([(), ("state",), ("bootstrap",), ("compute",)]).flatmap(
        lambda base: st.text(min_size=1, max_size=12).filter(lambda k: k not in KNOWN_KEYS).map(
            lambda key: base + (key,))), st.integers(), st.just(True)),
    st.tuples(st.just(("tags",)), st.dictionaries(st.sampled_from(["aws:x", "kubernetes.io/cluster/x", ""]),
                                                  st.text(max_size=5), min_size=1, max_size=1), st.just(True)),
    st.tuples(st.sampled_from([("tags", "team"), ("state", "key_prefix"), ("state", "bucket"),
                               ("bootstrap", "ignition"), ("aws_endpoints", "ec2"), ("openshift_install_dir",),
                               ("control_plane", "ignition_url"), ("public_zone_id",)]),
              st.sampled_from(INJECTIONS), st.none()),
)
KNOWN_KEYS = set(EXAMPLE) | {"vpc_cidr", "subnet_bits", "publish", "iam_profile", "network_acl", "restricted_network",
                             "nat_gateways", "public_zone_id", "state", "aws_endpoints", "openshift_install_dir",
                             "bootstrap", "control_plane", "compute", "bucket", "region", "key_prefix",
                             "dynamodb_table", "ignition", "ssh_cidr", "instance_type", "root_volume_size",
                             "root_volume_type", "replicas", "ignition_url"}


def mutate(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    document = copy.deepcopy(EXAMPLE)
    target = document
    for key in path[:-1]:
        if not isinstance(target.get(key), dict):
            target[key] = {}
        target = target[key]
    target[path[-1]] = value
    return document


def snapshot(folder: Path) -> dict[str, tuple[int, bytes]]:
    return {str(p.relative_to(folder)): (p.stat().st_mtime_ns, p.read_bytes()) for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def previous_output(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("previous") / "cdktf.out"
    (folder / "stacks" / "ocp4-network").mkdir(parents=True)
    (folder / "stacks" / "ocp4-network" / "cdk.tf.json").write_text('{"previous": true}')
    (folder / "manifest.json").write_text("{}")
    return folder


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(MUTATIONS)
def test_hostile_configurations_are_refused_by_field_and_write_nothing(previous_output, mutation):
    path, value, must_reject = mutation
    document = mutate(path, value)
    REPORT["hostile configurations"] = REPORT.get("hostile configurations", 0) + 1
    try:
        parse_configs(document)
    except ConfigError as error:
        REPORT["hostile configurations refused"] = REPORT.get("hostile configurations refused", 0) + 1
        field = path[0] if path else ""
        assert all(problem.split(":")[0] for problem in error.problems)
        assert any(problem.startswith(field) for problem in error.problems), (path, error.problems)
        if must_reject and path and path[-1] not in KNOWN_KEYS:
            assert any("unknown key" in problem for problem in error.problems), error.problems
        # The command: exit 2, one message per problem, no traceback, the output untouched.
        before = snapshot(previous_output)
        with tempfile.NamedTemporaryFile("w", suffix=".json") as config:
            json.dump(document, config)
            config.flush()
            status, stderr = run_main(config.name, previous_output)
        assert status == 65 and "Traceback" not in stderr and field in stderr
        assert snapshot(previous_output) == before
    else:
        assert not must_reject, f"{path} = {value!r} was accepted"


def run_main(config_path: str, outdir: Path) -> tuple[int, str]:
    import contextlib
    import io

    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        status = main.main([], {"OCP_CLUSTER_CONFIG": config_path, "CDKTF_OUTDIR": str(outdir)})
    return status, stderr.getvalue()


def test_a_yaml_syntax_error_and_a_non_mapping_are_refused(tmp_path, previous_output):
    for text in ("cluster_name: [unclosed", "- just\n- a list\n", "42", ""):
        path = tmp_path / "c.yaml"
        path.write_text(text)
        status, stderr = run_main(str(path), previous_output)
        assert status == 65 and "Traceback" not in stderr, (text, stderr)


# ---------------------------------------------------------------- interpolation safety

HOSTILE_TAGS = {"team": '${file("/etc/passwd")}', "note": "%{ if true }yes%{ endif }",
                "${path.module}": "key", "already": "$${escaped}", "both": "%%{x} $${y}"}


@pytest.mark.terraform
def test_user_text_reaches_terraform_literally(tmp_path):
    """Terraform itself evaluates the tags: each must come out exactly as the user wrote it."""
    from modules.operations.synthesis import synthesize

    config = parse_configs(variant(tags=HOSTILE_TAGS))[0]
    outdir = synthesize([config], tmp_path / "out")
    planned = offline_plan(outdir / "stacks" / "ocp4-state", tmp_path / "plan")
    bucket = planned["aws_s3_bucket.state"]
    assert bucket["tags_all"] == {**HOSTILE_TAGS, "Name": config.resolved_state_bucket}


# ---------------------------------------------------------------- a killed synthesis


def test_a_synthesis_killed_midway_leaves_the_previous_output(tmp_path, synthesized):
    outdir = tmp_path / "cdktf.out"
    shutil.copytree(synthesized.outdir("default"), outdir)
    before = snapshot(outdir)
    env = {**os.environ, "CDKTF_OUTDIR": str(outdir), "OCP_FORCE_SYNTH": "1"}
    env.pop("OCP_CLUSTER_CONFIG", None)
    process = subprocess.Popen([sys.executable, "main.py"], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    staging = None
    deadline = time.monotonic() + 120
    while staging is None and process.poll() is None and time.monotonic() < deadline:
        staging = next(tmp_path.glob(".cdktf.out.*"), None)  # synthesis has started writing
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert staging is not None, "the synthesis finished or failed before it could be killed"
    assert snapshot(outdir) == before
    # Killed before its record was rewritten: the output still describes the same inputs.
    assert fingerprint.work([synthesized.configs["default"]], outdir).stale == ()
