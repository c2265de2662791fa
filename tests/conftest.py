"""Shared fixtures: every configuration variant is synthesized once per test session.

Loading the AWS bindings costs 15-25 s per process, so one session-scoped
fixture synthesizes all variants in this process and tests read the JSON.
"""
from __future__ import annotations

import base64
import copy
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from modules.configuration import EXAMPLE, ClusterConfig, parse_config
from modules.operations.terraform import init, run as terraform

ROOT = Path(__file__).resolve().parent.parent
REPORT: dict[str, int] = {}  # counts tests add to, printed at the end of the run


def pytest_terminal_summary(terminalreporter):  # noqa: D103
    for key, value in REPORT.items():
        terminalreporter.write_line(f"{key}: {value}")


def markdown_tables(text: str) -> list[list[list[str]]]:
    """Every table of a Markdown text as rows of cells; asserts each is well formed
    (one column count throughout, a separator row second, `\\|` kept inside cells)."""
    tables = []
    for table in re.findall(r"(?:^\|.*\|$\n?)+", text, re.MULTILINE):
        rows = [re.split(r"(?<!\\)\|", row)[1:-1] for row in table.strip().splitlines()]
        assert len(rows) >= 2 and len({len(row) for row in rows}) == 1, table
        assert set("".join(rows[1])) <= set("-: ") and "-" in "".join(rows[1]), table
        tables.append([[cell.strip() for cell in row] for row in rows[:1] + rows[2:]])
    return tables


@pytest.fixture(scope="session")
def emulator():
    """The strict emulator (emulator/) in this process: moto's server in a thread, for offline tests
    of what the harness enforces and of the operations' AWS calls. Each test makes its own VPC."""
    from moto.server import ThreadedMotoServer

    from emulator import free_port
    from emulator.patches import apply_patches

    apply_patches(strict=True)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    yield f"http://127.0.0.1:{server._port}"
    server.stop()


def variant(**changes: Any) -> dict[str, Any]:
    """The example cluster with `changes` applied (a deep copy: EXAMPLE stays intact)."""
    document = copy.deepcopy(EXAMPLE)
    document.update(copy.deepcopy(changes))
    return document


def group_refs(value: Any) -> list[str]:
    """A machine's `vpc_security_group_ids` as what it names, in order: upstream outputs by name
    (`output:<name>`, `try(...)`-wrapped ones as `optional:<name>`), resource references and IDs."""
    text = json.dumps(value)
    found = []
    for optional, output, resource, literal in re.findall(
            r'(try\()?data\.terraform_remote_state\.\w+\.outputs\.(\w+)|\$\{(aws_security_group\.\w+)\.id\}|(sg-[0-9a-f]+)',
            text):
        found.append(f"{'optional' if optional else 'output'}:{output}" if output else resource or literal)
    return found


GOV_AZS = ["us-gov-west-1a", "us-gov-west-1b", "us-gov-west-1c"]
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ZONE_ROLE = "arn:aws:iam::111111111111:role/ocp-dns-writer"
PRESIGNED = ("https://ocp4-ignition.s3.us-east-1.amazonaws.com/bootstrap.ign?X-Amz-Algorithm=AWS4-HMAC-SHA256&"
             "X-Amz-Credential=AKIAEXAMPLE%2F20261201%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Expires=3600&"
             "X-Amz-Signature=0123456789abcdef")
# Short-term credentials from the fixtures: a release's CredentialsRequests (written for the tests in
# the public format) and a signing key pair's public half (and an older one, still served).
FIXTURES = Path(__file__).resolve().parent / "fixtures"
STS: dict[str, Any] = {"requests_dir": str(FIXTURES / "credrequests"),
                       "public_key": str(FIXTURES / "sts" / "serviceaccount-signer.public"),
                       "previous_public_keys": [str(FIXTURES / "sts" / "previous-signer.public")]}
# Every existing-infrastructure option at once, in an External cluster over three AZs
# (docs/existing-infrastructure.md); its bootstrap machine private all the same.
EXISTING: dict[str, Any] = {
    "existing_vpc": {"vpc_id": "vpc-0a1b2c3d4e5f60718", "s3_endpoint": True, "subnets": {
        f"us-east-1{az}": {"private": f"subnet-0{i}1b2c3d4e5f6071{i}", "public": f"subnet-0{i}1b2c3d4e5f6072{i}"}
        for i, az in enumerate("abc")}},
    "private_zone_id": "Z0123456789ABCDEFGHIJ", "private_zone_role_arn": ZONE_ROLE,
    "iam_permissions_boundary": "arn:aws:iam::123456789012:policy/ocp-boundary", "iam_path": "/openshift/",
    "state": {"kms_key_arn": KEY_ARN},
    "bootstrap": {"ignition": PRESIGNED, "subnet": "private", "root_volume_kms_key_arn": KEY_ARN,
                  "additional_security_group_ids": ["sg-0a1b2c3d4e5f60718"]},
    "control_plane": {"instance_profile": "corp-ocp-master", "root_volume_kms_key_arn": KEY_ARN},
    "compute": {"root_volume_kms_key_arn": KEY_ARN,
                "additional_security_group_ids": ["sg-0a1b2c3d4e5f60718", "sg-0a1b2c3d4e5f60719"]},
}
CN_AZS = ["cn-north-1a", "cn-north-1b"]

VARIANTS: dict[str, dict[str, Any]] = {
    "default": variant(),
    "one_az": variant(availability_zones=["us-east-1a"]),
    "two_az": variant(availability_zones=["us-east-1a", "us-east-1b"]),
    "custom_cidr": variant(vpc_cidr="172.20.0.0/20", subnet_bits=8),
    "restricted": variant(restricted_network=True, nat_gateways=False, network_acl=True,
                          state={"bucket": "acme-ocp-state", "region": "us-west-2",
                                 "key_prefix": "platform/ocp", "dynamodb_table": "acme-ocp-locks"},
                          aws_endpoints={"s3": "http://127.0.0.1:5000", "sts": "http://127.0.0.1:5000",
                                         "ec2": "http://127.0.0.1:5000"}),
    "documented": variant(iam_profile="documented"),
    "internal": variant(publish="Internal"),
    # The longest infra_id the installer can produce, and a public zone given up front.
    "long_names": variant(infra_id="a" * 21 + "-x7k2q", public_zone_id="Z0123456789ABCDEFGHIJ"),
    "replicas_4": variant(compute={"replicas": 4}),
    "govcloud": variant(region="us-gov-west-1", availability_zones=GOV_AZS, publish="Internal"),
    "china": variant(region="cn-north-1", availability_zones=CN_AZS),
    "existing": variant(**EXISTING, credentials=STS | {"issuer_hosting": "public_bucket"}),
    "sts": variant(credentials=STS),
    # Edge zones (tests/test_edge_zones.py): a Local Zone (its CIDR given, the ACL on), a Wavelength Zone, both.
    "edge_local": variant(edge_zones=[{"name": "us-east-1-nyc-1a", "public_cidr": "10.0.200.0/24"}], network_acl=True),
    "edge_wavelength": variant(edge_zones=[{"name": "us-east-1-wl1-bos-wlz-1"}]),
    "edge": variant(edge_zones=[{"name": "us-east-1-nyc-1a"}, {"name": "us-east-1-wl1-bos-wlz-1"}]),
}


FAKE_PEM = "-----BEGIN CERTIFICATE-----\nTEST-FIXTURE-NOT-A-CERTIFICATE\n-----END CERTIFICATE-----\n"


def data_url(text: str) -> str:
    return "data:text/plain;charset=utf-8;base64," + base64.b64encode(text.encode()).decode()


def make_install_dir(folder: Path, *, cluster_name: str = "lab", infra_id: str = "lab-4hq9z",
                     region: str | None = "us-east-1", ca: str | None = None) -> Path:
    """A folder shaped like `openshift-install create ignition-configs` output (made-up content)."""
    folder.mkdir(parents=True, exist_ok=True)
    metadata = {"clusterName": cluster_name, "clusterID": "00000000-0000-4000-8000-000000000000",
                "infraID": infra_id}
    if region:
        metadata["aws"] = {"region": region, "identifier": [{f"kubernetes.io/cluster/{infra_id}": "owned"}]}
    (folder / "metadata.json").write_text(json.dumps(metadata))
    pointer = {"ignition": {"config": {"merge": [{"source": f"https://api-int.{cluster_name}.example.com:22623/config/master"}]},
                            "security": {"tls": {"certificateAuthorities": [{"source": ca or data_url(FAKE_PEM)}]}},
                            "version": "3.2.0"}}
    (folder / "master.ign").write_text(json.dumps(pointer))
    (folder / "bootstrap.ign").write_text(json.dumps({"ignition": {"version": "3.2.0"},
                                                      "storage": {"files": [{"path": "/opt/fixture"}]}}))
    return folder


@dataclass
class Synthesized:
    root: Path
    configs: dict[str, ClusterConfig]

    def outdir(self, name: str) -> Path:
        return self.root / name

    def stack_dir(self, name: str, tier: str) -> Path:
        return self.outdir(name) / "stacks" / f"{self.configs[name].cluster_name}-{tier}"

    def stack(self, name: str, tier: str) -> dict[str, Any]:
        return json.loads((self.stack_dir(name, tier) / "cdk.tf.json").read_text())

    def resources(self, name: str, tier: str, kind: str) -> dict[str, Any]:
        return self.stack(name, tier).get("resource", {}).get(kind, {})


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    from modules.operations.synthesis import synthesize  # the expensive import, once

    root = tmp_path_factory.mktemp("synth")
    configs = {name: parse_config(doc, source=name) for name, doc in VARIANTS.items()}
    # A cluster configured from the installer's output folder, bootstrap.ign uploaded by the tier.
    install_dir = make_install_dir(tmp_path_factory.mktemp("install") / "assets")
    configs["install_dir"] = parse_config(
        {"openshift_install_dir": "assets", "base_domain": "example.com", "availability_zones": ["us-east-1a"],
         "rhcos_ami": "ami-0123456789abcdef0", "publish": "Internal"},
        source="install_dir", base_dir=install_dir.parent)
    # Between `openshift-install create manifests` and `create ignition-configs`: the machine tiers wait.
    before = tmp_path_factory.mktemp("before-ignition") / "assets"
    before.mkdir()
    (before / "install-config.yaml").write_text("apiVersion: v1\n")
    configs["waiting"] = parse_config(
        {"openshift_install_dir": "assets", "cluster_name": "lab", "infra_id": "lab-4hq9z", "region": "us-east-1",
         "base_domain": "example.com", "availability_zones": ["us-east-1a"], "rhcos_ami": "ami-0123456789abcdef0"},
        source="waiting", base_dir=before.parent)
    for name, config in configs.items():
        synthesize([config], root / name)
    return Synthesized(root, configs)


OFFLINE_OVERRIDE = {
    # Plan without AWS: local state, and a provider that asks AWS nothing.
    "terraform": {"backend": {"local": {"path": "terraform.tfstate"}}},
    "provider": {"aws": {"access_key": "offline", "secret_key": "offline",
                         "skip_credentials_validation": True, "skip_requesting_account_id": True,
                         "skip_metadata_api_check": True, "skip_region_validation": True}},
}


def offline_plan(stack_dir: Path, workdir: Path) -> dict[str, dict[str, Any]]:
    """`terraform plan` of a stack that reads no data: address -> planned values.

    Terraform itself evaluates our expressions (cidrsubnet, for_each keys,
    references), so these checks are about what would really be created.
    """
    shutil.copytree(stack_dir, workdir, ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"))
    (workdir / "offline_override.tf.json").write_text(json.dumps(OFFLINE_OVERRIDE))
    init(workdir)
    terraform(["plan", "-refresh=false", "-input=false", "-no-color", "-out=offline.tfplan"], workdir)
    shown = json.loads(terraform(["show", "-json", "offline.tfplan"], workdir).stdout)
    return {change["address"]: change["change"]["after"] for change in shown["resource_changes"]}
