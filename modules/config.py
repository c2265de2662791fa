"""The cluster configuration: one frozen, typed object, loaded and validated up front.

A configuration file (YAML or JSON) is read from the path in `OCP_CLUSTER_CONFIG`;
without it, the embedded `EXAMPLE` cluster is used so `cdktf synth` works out of
the box. Every key is documented in README.md ("Configuration").

Validation happens here, before any construct exists: a bad value stops the run
with one message per bad field (`ConfigError`), so nothing is ever half-written.
Keys whose value is `None` are *derived* from other keys (see the `resolved_*`
properties); `python main.py config` prints them as `null` for that reason.
"""
from __future__ import annotations

import ipaddress
import json
import os
import re
from dataclasses import asdict, dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Mapping

from .ignition import InstallDirError, ca_problem, machine_config_url, read_install_dir
from .machine_config import (
    BootstrapConfig,
    ComputeConfig,
    ControlPlaneConfig,
    read_bootstrap,
    read_compute,
    read_control_plane,
)
from .regions import REGIONS, Partition, partition_of
from .validation import MISSING, Reader, kind_of, show

CONFIG_ENV = "OCP_CLUSTER_CONFIG"

MAX_INFRA_ID_LENGTH = 27
MIN_AZS, MAX_AZS = 1, 3
VPC_PREFIX_RANGE = (16, 24)
SUBNET_BITS_RANGE = (5, 13)
PRIVATE_RANGES = tuple(ipaddress.IPv4Network(block) for block in
                       ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"))
# The reference template carves six equal blocks (three public, three private)
# out of the VPC, whatever the AZ count, so the private block of AZ i is 3 + i.
SUBNET_BLOCKS = 6
PRIVATE_BLOCK_OFFSET = 3

# Services whose endpoint the provider and the S3 backend can be pointed at
# (emulators, private API endpoints). Names are the provider's `endpoints` keys.
ENDPOINT_SERVICES = ("dynamodb", "ec2", "elbv2", "iam", "route53", "s3", "sts")


class Publish(str, Enum):
    """How the API is published, as in install-config.yaml's `publish`."""

    EXTERNAL = "External"
    INTERNAL = "Internal"


class IamProfile(str, Enum):
    """Which permissions the machine roles get (SPEC 3.3)."""

    LEAST_PRIVILEGE = "least_privilege"
    DOCUMENTED = "documented"


@dataclass(frozen=True)
class StateConfig:
    """Where the tiers keep their Terraform state (the `state` tier creates it)."""

    bucket: str | None = None  # derived: "<infra_id>-tfstate"
    region: str | None = None  # derived: the cluster's region
    key_prefix: str = "ocp-upi-tf"
    dynamodb_table: str | None = None  # optional legacy lock table; S3 lock files are always used


@dataclass(frozen=True)
class ClusterConfig:
    cluster_name: str
    infra_id: str
    base_domain: str
    region: str
    availability_zones: tuple[str, ...]
    rhcos_ami: str
    ignition_ca: str  # the cluster CA, as master.ign carries it (a data URL)
    vpc_cidr: str = "10.0.0.0/16"
    subnet_bits: int = 12
    publish: Publish = Publish.EXTERNAL
    iam_profile: IamProfile = IamProfile.LEAST_PRIVILEGE
    network_acl: bool = False
    restricted_network: bool = False
    nat_gateways: bool = True
    public_zone_id: str | None = None  # derived: looked up by base_domain at plan time
    tags: Mapping[str, str] = field(default_factory=dict)
    state: StateConfig = field(default_factory=StateConfig)
    aws_endpoints: Mapping[str, str] = field(default_factory=dict)
    openshift_install_dir: str | None = None
    bootstrap: BootstrapConfig = field(default_factory=BootstrapConfig)
    control_plane: ControlPlaneConfig = field(default_factory=ControlPlaneConfig)
    compute: ComputeConfig = field(default_factory=ComputeConfig)
    # Keys filled in from openshift_install_dir (printed as null: they follow the folder).
    from_install_dir: frozenset[str] = field(default=frozenset(), compare=False, repr=False)

    module = False  # a stack's configuration (see variables.ModuleConfig for a module's)

    @property
    def partition(self) -> Partition:
        return partition_of(self.region)

    @property
    def external(self) -> bool:
        return self.publish is Publish.EXTERNAL

    @property
    def cluster_domain(self) -> str:
        return f"{self.cluster_name}.{self.base_domain}"

    @property
    def resolved_state_bucket(self) -> str:
        return self.state.bucket or f"{self.infra_id}-tfstate"

    @property
    def resolved_state_region(self) -> str:
        return self.state.region or self.region

    def state_key(self, tier: str) -> str:
        return f"{self.state.key_prefix}/{self.cluster_name}/{tier}/terraform.tfstate"

    @property
    def master_ignition_url(self) -> str:
        return self.control_plane.ignition_url or machine_config_url(self.cluster_domain, "master")

    @property
    def worker_ignition_url(self) -> str:
        return self.compute.ignition_url or machine_config_url(self.cluster_domain, "worker")

    @property
    def bootstrap_ssh_cidr(self) -> str:
        return self.bootstrap.ssh_cidr or self.vpc_cidr

    @property
    def subnet_newbits(self) -> int:
        """`cidrsubnet` newbits that turn the VPC prefix into subnets of `subnet_bits` host bits."""
        return 32 - ipaddress.ip_network(self.vpc_cidr).prefixlen - self.subnet_bits

    @property
    def az_index(self) -> dict[str, int]:
        """AZ name -> its position, which picks the AZ's subnet blocks. Keys for `for_each`."""
        return {az: i for i, az in enumerate(self.availability_zones)}

    def to_document(self) -> dict[str, Any]:
        """The configuration as a file would hold it; derived values stay `None`."""
        doc = asdict(self)
        del doc["from_install_dir"]
        doc["availability_zones"] = list(self.availability_zones)
        doc["publish"] = self.publish.value
        doc["iam_profile"] = self.iam_profile.value
        for dotted in self.from_install_dir:
            *parents, key = dotted.split(".")
            target = doc
            for parent in parents:
                target = target[parent]
            target[key] = None
        return doc


class ConfigError(Exception):
    """A configuration that cannot be used; `problems` holds one message per bad field."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))

    def report(self) -> str:
        lines = [f"invalid cluster configuration ({self.source}):"]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


# A placeholder CA (not a real certificate): the example only has to synthesize.
_EXAMPLE_CA = ("data:text/plain;charset=utf-8;base64,LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCkVYQU1QTEUtT05MWS1O"
               "T1QtQS1SRUFMLUNFUlRJRklDQVRFCi0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K")

EXAMPLE: dict[str, Any] = {
    "cluster_name": "ocp4",
    "infra_id": "ocp4-x7k2q",
    "base_domain": "example.com",
    "region": "us-east-1",
    "availability_zones": ["us-east-1a", "us-east-1b", "us-east-1c"],
    "rhcos_ami": "ami-0123456789abcdef0",
    "ignition_ca": _EXAMPLE_CA,
    "bootstrap": {"ignition": "s3://ocp4-x7k2q-ignition/bootstrap.ign"},
    "tags": {"owner": "platform-team"},
}


# --------------------------------------------------------------------------- loading


def load_configs(path: str | os.PathLike[str] | None = None) -> list[ClusterConfig]:
    """Load the clusters from `path`, else `$OCP_CLUSTER_CONFIG`, else the example cluster.

    A file holds one cluster, or a fleet: `clusters:` followed by a list of them."""
    if path is None:
        path = os.environ.get(CONFIG_ENV) or None
    if path is None:
        return [parse_config(EXAMPLE, source="embedded example")]
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(source, [f"cannot read the file: {exc.strerror or exc}"]) from None
    # Paths in the file (install dir, bootstrap.ign) are relative to the file itself.
    return parse_configs(_parse_document(text, source), source=source, base_dir=Path(path).resolve().parent)


def load_config(path: str | os.PathLike[str] | None = None) -> ClusterConfig:
    """The one cluster of a configuration file (a fleet file is an error here)."""
    configs = load_configs(path)
    if len(configs) != 1:
        raise ConfigError(str(path or os.environ.get(CONFIG_ENV)),
                          [f"clusters: {len(configs)} clusters; this needs exactly one"])
    return configs[0]


def parse_configs(data: Any, source: str = "configuration", base_dir: Path | None = None) -> list[ClusterConfig]:
    """One cluster, or `{"clusters": [...]}`: each validated, then checked against the others."""
    if not (isinstance(data, Mapping) and "clusters" in data):
        return [parse_config(data, source, base_dir)]
    problems: list[str] = [f"{key}: unknown key; a fleet file holds only `clusters`" for key in data
                           if key != "clusters"]
    entries = data["clusters"]
    if not isinstance(entries, list) or not entries:
        raise ConfigError(source, problems + [f"clusters: {show(entries)} is {kind_of(entries)}; "
                                              "expected a non-empty list of clusters"])
    configs: list[ClusterConfig] = []
    for index, entry in enumerate(entries):
        try:
            configs.append(parse_config(entry, source, base_dir))
        except ConfigError as error:
            problems += [f"clusters[{index}].{problem}" for problem in error.problems]
    # Stacks are named <cluster_name>-<tier>, and every cluster's state tier creates its bucket.
    for key in ("cluster_name", "infra_id", "resolved_state_bucket"):
        seen: dict[str, int] = {}
        for index, config in enumerate(configs):
            value = getattr(config, key)
            if value in seen:
                field_name = "state.bucket" if key == "resolved_state_bucket" else key
                problems.append(f"clusters[{index}].{field_name}: {value!r} is also used by "
                                f"clusters[{seen[value]}]; each cluster needs its own")
            seen.setdefault(value, index)
    if problems:
        raise ConfigError(source, problems)
    return configs


def _parse_document(text: str, source: str) -> Any:
    """JSON (read as JSON: YAML would not join its escaped surrogate pairs) or YAML."""
    if text.lstrip().startswith(("{", "[")):
        try:
            return json.loads(text)
        except ValueError:
            pass  # flow-style YAML, or broken: YAML says where
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(source, [f"not valid YAML or JSON{where}"]) from None


def parse_config(data: Any, source: str = "configuration", base_dir: Path | None = None) -> ClusterConfig:
    """Validate a parsed document and build the configuration, or raise `ConfigError`."""
    problems: list[str] = []
    if not isinstance(data, Mapping):
        raise ConfigError(source, [f"the document must be a mapping of keys to values, got {kind_of(data)}"])
    base_dir = base_dir or Path.cwd()
    data, filled = _merge_install_dir(data, base_dir, source)
    config = _read_cluster(Reader(data, "", problems), base_dir, filled)
    if problems or config is None:
        raise ConfigError(source, problems)
    return config


# --------------------------------------------------------------------------- validation

_DNS_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_CLUSTER_NAME = re.compile(r"^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$")
_INFRA_ID = re.compile(r"^[a-z]([a-z0-9-]*[a-z0-9])?$")
_ZONE_ID = re.compile(r"^Z[A-Z0-9]{1,31}$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_KEY_PREFIX = re.compile(r"^[A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*$")
_TABLE = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")
_AMI = re.compile(r"^ami-([0-9a-f]{8}|[0-9a-f]{17})$")
_URL = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~/-]*)?$")
def _merge_install_dir(data: Mapping[str, Any], base_dir: Path,
                       source: str) -> tuple[Mapping[str, Any], frozenset[str]]:
    """Fill keys the document leaves out from `openshift_install_dir`; explicit keys win."""
    folder = data.get("openshift_install_dir")
    if not isinstance(folder, str):
        return data, frozenset()  # absent, or not a string: the reader reports it
    try:
        if "\x00" in folder:
            raise InstallDirError(f"{show(folder)} is not a usable folder path (it holds a NUL character)")
        found = read_install_dir((base_dir / folder).resolve())
    except InstallDirError as error:
        raise ConfigError(source, [f"openshift_install_dir: {error}"]) from None
    merged, filled = dict(data), set()
    offered = {"cluster_name": found.cluster_name, "infra_id": found.infra_id, "region": found.region,
               "ignition_ca": found.ignition_ca}
    for key, value in offered.items():
        if merged.get(key) is None and value is not None:
            merged[key] = value
            filled.add(key)
    bootstrap = dict(merged.get("bootstrap") or {}) if isinstance(merged.get("bootstrap") or {}, dict) else None
    if bootstrap is not None and bootstrap.get("ignition") is None:
        bootstrap["ignition"] = str(found.bootstrap_ignition)
        merged["bootstrap"] = bootstrap
        filled.add("bootstrap.ignition")
    return merged, frozenset(filled)


def _read_cluster(r: Reader, base_dir: Path, filled: frozenset[str]) -> ClusterConfig | None:
    values: dict[str, Any] = {
        "cluster_name": r.text("cluster_name", _CLUSTER_NAME,
                               "a lowercase DNS label: a-z, 0-9 and '-', starting with a letter, at most 63 characters"),
        "infra_id": _infra_id(r),
        "base_domain": _base_domain(r),
        "region": _region(r),
        "vpc_cidr": _vpc_cidr(r),
        "subnet_bits": r.integer("subnet_bits", SUBNET_BITS_RANGE, 12),
        "publish": r.choice("publish", Publish, Publish.EXTERNAL),
        "iam_profile": r.choice("iam_profile", IamProfile, IamProfile.LEAST_PRIVILEGE),
        "network_acl": r.take("network_acl", (bool,), "true or false", False),
        "restricted_network": r.take("restricted_network", (bool,), "true or false", False),
        "nat_gateways": r.take("nat_gateways", (bool,), "true or false", True),
        "public_zone_id": r.text("public_zone_id", _ZONE_ID,
                                 "a Route 53 hosted zone ID such as Z0123456789ABCDEFGHIJ, or null to look it up", None),
        "tags": _tags(r),
        "aws_endpoints": _endpoints(r),
        "rhcos_ami": r.text("rhcos_ami", _AMI, "an AMI ID such as ami-0123456789abcdef0 (the RHCOS image of "
                                                 "the region)"),
        "ignition_ca": _ignition_ca(r),
        "openshift_install_dir": r.take("openshift_install_dir", (str,), "a folder path, or null", None),
        "bootstrap": read_bootstrap(r, base_dir),
        "control_plane": read_control_plane(r),
        "compute": read_compute(r),
    }
    values["availability_zones"] = _availability_zones(r, values["region"])
    values["state"] = _state(r, values["region"])
    r.finish()
    if MISSING in values.values():
        return None
    _cross_checks(r, values)
    if r.problems:
        return None
    if values["bootstrap"].ignition is None:
        r.problems.append("bootstrap.ignition: missing; expected a path to bootstrap.ign or an s3://bucket/key "
                          "URL, or openshift_install_dir")
        return None
    return ClusterConfig(**values, from_install_dir=filled)


def _ignition_ca(r: Reader) -> Any:
    value = r.take("ignition_ca", (str,), "the cluster CA as master.ign carries it, or openshift_install_dir")
    if isinstance(value, str) and ca_problem(value):
        r.fail("ignition_ca", value, ca_problem(value))
        return MISSING
    return value


def _infra_id(r: Reader) -> Any:
    accepted = (f"lowercase letters, digits and '-', starting with a letter and not ending with '-', "
                f"at most {MAX_INFRA_ID_LENGTH} characters (so '<infra_id>-aext' fits AWS's 32)")
    value = r.text("infra_id", _INFRA_ID, accepted)
    if isinstance(value, str) and len(value) > MAX_INFRA_ID_LENGTH:
        r.problems.append(f"infra_id: {show(value)} is {len(value)} characters long; expected {accepted}")
        return MISSING
    return value


def _base_domain(r: Reader) -> Any:
    accepted = "a lowercase DNS name such as example.com, without a trailing dot"
    value = r.take("base_domain", (str,), accepted)
    if isinstance(value, str):
        labels = value.split(".")
        if len(value) > 253 or not all(_DNS_LABEL.match(label) for label in labels):
            r.fail("base_domain", value, accepted)
            return MISSING
    return value


def _region(r: Reader) -> Any:
    value = r.take("region", (str,), "an AWS region such as us-east-1")
    if isinstance(value, str) and value not in REGIONS:
        r.fail("region", value, "a known AWS region in the aws, aws-us-gov or aws-cn partition, such as us-east-1")
        return MISSING
    return value


def _vpc_cidr(r: Reader) -> Any:
    low, high = VPC_PREFIX_RANGE
    accepted = f"an IPv4 network in CIDR notation with a prefix from /{low} to /{high}, such as 10.0.0.0/16"
    value = r.take("vpc_cidr", (str,), accepted, "10.0.0.0/16")
    if value is MISSING:
        return value
    try:
        network = ipaddress.IPv4Network(value, strict=True)
    except ValueError:
        r.fail("vpc_cidr", value, accepted + " (host bits zero)")
        return MISSING
    if "/" not in value or not low <= network.prefixlen <= high:
        r.fail("vpc_cidr", value, accepted)
        return MISSING
    if not any(network.subnet_of(block) for block in PRIVATE_RANGES):
        # A public range would shadow those internet addresses for every node.
        r.fail("vpc_cidr", value, "a private range: inside 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 "
                                  "(RFC 1918) or 100.64.0.0/10 (RFC 6598)")
        return MISSING
    return value


def _availability_zones(r: Reader, region: Any) -> Any:
    accepted = f"a list of {MIN_AZS} to {MAX_AZS} distinct availability zones of the region, such as [us-east-1a, us-east-1b]"
    value = r.take("availability_zones", (list,), accepted)
    if value is MISSING:
        return value
    if not MIN_AZS <= len(value) <= MAX_AZS:
        r.fail("availability_zones", value, accepted)
        return MISSING
    ok = True
    for i, az in enumerate(value):
        if not isinstance(az, str) or (isinstance(region, str) and not re.fullmatch(re.escape(region) + "[a-z]", az)):
            expected = f"'{region}' followed by one letter" if isinstance(region, str) else "an availability zone name"
            r.problems.append(f"availability_zones[{i}]: {show(az)} is not an availability zone of region "
                              f"{show(region)}; expected {expected}")
            ok = False
    if ok and len(set(value)) != len(value):
        r.fail("availability_zones", value, "distinct availability zones (one is listed twice)")
        ok = False
    return tuple(value) if ok else MISSING


def _tags(r: Reader) -> Any:
    value = r.take("tags", (dict,), "a mapping of tag names to string values", {})
    if value is MISSING:
        return value
    ok = True
    for key, tag in value.items():
        if not isinstance(key, str) or not 1 <= len(key) <= 128 or key.lower().startswith("aws:"):
            r.problems.append(f"tags: key {show(key)} is not valid; expected 1 to 128 characters, not starting with 'aws:'")
            ok = False
        elif key.startswith("kubernetes.io/cluster/"):
            r.problems.append(f"tags: key {show(key)} is reserved; the generator sets the cluster tag itself")
            ok = False
        elif not isinstance(tag, str) or len(tag) > 256:
            r.problems.append(f"tags.{key}: {show(tag)} is not valid; expected a string of at most 256 characters")
            ok = False
    return dict(value) if ok else MISSING


def _endpoints(r: Reader) -> Any:
    value = r.take("aws_endpoints", (dict,), "a mapping of service name to endpoint URL", {})
    if value is MISSING:
        return value
    ok = True
    for service, url in value.items():
        if service not in ENDPOINT_SERVICES:
            r.problems.append(f"aws_endpoints: {show(service)} is not a supported service; "
                              f"expected one of {', '.join(ENDPOINT_SERVICES)}")
            ok = False
        elif not isinstance(url, str) or not _URL.match(url):
            r.problems.append(f"aws_endpoints.{service}: {show(url)} is not valid; "
                              "expected an http(s) URL such as http://127.0.0.1:5000")
            ok = False
    return dict(value) if ok else MISSING


def _state(r: Reader, cluster_region: Any) -> Any:
    raw = r.take("state", (dict,), "a mapping with bucket, region, key_prefix and dynamodb_table", {})
    if raw is MISSING:
        return raw
    s = Reader(raw, "state.", r.problems)
    bucket = s.text("bucket", _BUCKET, "an S3 bucket name: 3 to 63 lowercase letters, digits, '.' and '-', "
                                       "starting and ending with a letter or digit, or null to derive it", None)
    region = s.take("region", (str,), "an AWS region, or null for the cluster's region", None)
    if isinstance(region, str):
        if region not in REGIONS:
            s.fail("region", region, "a known AWS region such as us-east-1, or null for the cluster's region")
            region = MISSING
        elif isinstance(cluster_region, str) and cluster_region in REGIONS \
                and partition_of(region) != partition_of(cluster_region):
            s.fail("region", region, f"a region of the cluster's partition ({partition_of(cluster_region).name})")
            region = MISSING
    key_prefix = s.text("key_prefix", _KEY_PREFIX, "a relative S3 key prefix such as ocp-upi-tf "
                                                  "(no leading or trailing '/')", "ocp-upi-tf")
    table = s.text("dynamodb_table", _TABLE, "a DynamoDB table name (3 to 255 of A-Z a-z 0-9 _ . -), or null", None)
    s.finish()
    parts = (bucket, region, key_prefix, table)
    if MISSING in parts:
        return MISSING
    if isinstance(bucket, str) and re.fullmatch(r"\d+\.\d+\.\d+\.\d+", bucket):
        s.fail("bucket", bucket, "a bucket name that is not formatted as an IP address")
        return MISSING
    return StateConfig(*parts)


def _cross_checks(r: Reader, v: dict[str, Any]) -> None:
    """Rules that involve more than one key; only run once every key parsed."""
    network = ipaddress.IPv4Network(v["vpc_cidr"])
    subnet_prefix = 32 - v["subnet_bits"]
    if subnet_prefix - network.prefixlen < 3:  # six blocks need 3 bits of room
        smallest = network.prefixlen + 3
        r.problems.append(
            f"subnet_bits: {v['subnet_bits']} does not fit vpc_cidr {v['vpc_cidr']}: six /{subnet_prefix} subnets "
            f"need a VPC of at least /{subnet_prefix - 3}; expected at most {32 - smallest} for this VPC")
    partition = partition_of(v["region"])
    if v["publish"] is Publish.EXTERNAL and not partition.allows_external_publish:
        r.problems.append(f"publish: 'External' is not available in the {partition.name} partition (no public "
                          "hosted zone, no alias records to NLBs); expected 'Internal'")
    if v["public_zone_id"] is not None and v["publish"] is Publish.INTERNAL:
        r.problems.append("public_zone_id: an Internal cluster has no public record; expected null")
    if not v["nat_gateways"] and not v["restricted_network"]:
        r.problems.append("nat_gateways: false leaves the private subnets without a route out; "
                          "expected true, or restricted_network: true (VPC endpoints instead)")
