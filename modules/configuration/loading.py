"""Loading the cluster configuration, and validating it up front.

A configuration file (YAML or JSON) is read from the path in `OCP_CLUSTER_CONFIG`;
without it, the embedded `EXAMPLE` cluster is used so `cdktf synth` works out of
the box. Every key is documented in docs/reference/configuration.md, generated from `keys`.

Validation happens here, before any construct exists: a bad value stops the run
with one message per bad field (`ConfigError`), so nothing is ever half-written.
Each key is read through the table of keys (`keys`: kind, default and the limit of
`limits`, which the modules' validation blocks come from too); rules across keys are
`cross_checks` (cross_checks.py), listed in `keys.CROSS_KEY_RULES`.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, Mapping

from . import limits
from .cluster import ClusterConfig, ExistingSubnets, ExistingVpc, IngressConfig, StateConfig
from .cross_checks import cross_checks
from .edge_reading import read_edge_zones
from .ignition import InstallDirError, before_ignition_configs, ca_problem, read_install_dir
from .limits import ENDPOINT_SERVICES, IamProfile, Publish
from .machines import read_bootstrap, read_compute, read_control_plane
from .keys import BY_PATH, GUIDE_PAGE, key_of
from .reader import MISSING, Reader, kind_of, show
from .regions import REGIONS, partition_of
from .sts import Credentials, IssuerHosting, read_public_key, read_requests

CONFIG_ENV = "OCP_CLUSTER_CONFIG"


class ConfigError(Exception):
    """A configuration that cannot be used; `problems` holds one message per bad field."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))

    def report(self) -> str:
        """One line per problem, each naming the reference entry of its key."""
        lines = [f"invalid cluster configuration ({self.source}):"]
        lines += [f"  - {problem}{see(problem)}" for problem in self.problems]
        return "\n".join(lines)


def see(problem: str) -> str:
    """" (see <the reference entry of the key the problem names>)", or of the configuration guide for a
    problem of no one key (a file that is not YAML, a fleet's shape)."""
    path = re.sub(r"^clusters\[[0-9]+\]\.", "", problem.split(":", 1)[0].split(" ", 1)[0])
    key = key_of(path)
    return f" (see {key.page if key is not None else GUIDE_PAGE})"


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
    data, filled, waiting = _merge_install_dir(data, base_dir, source)
    config = _read_cluster(Reader(data, "", problems, BY_PATH), base_dir, filled, waiting)
    if problems or config is None:
        raise ConfigError(source, problems)
    return config


# --------------------------------------------------------------------------- validation

def _merge_install_dir(data: Mapping[str, Any], base_dir: Path,
                       source: str) -> tuple[Mapping[str, Any], frozenset[str], bool]:
    """Fill keys the document leaves out from `openshift_install_dir`; explicit keys win, but for an
    infra_id other than metadata.json's (every name and tag would be another cluster's). Also whether
    the folder is before `create ignition-configs` (nothing to fill: the machine tiers wait)."""
    folder = data.get("openshift_install_dir")
    if not isinstance(folder, str):
        return data, frozenset(), False  # absent, or not a string: the reader reports it
    try:
        if "\x00" in folder:
            raise InstallDirError(f"{show(folder)} is not a usable folder path (it holds a NUL character)")
        if before_ignition_configs((base_dir / folder).resolve()):
            return data, frozenset(), True  # nothing to fill yet: the machine tiers wait (ClusterConfig.tiers)
        found = read_install_dir((base_dir / folder).resolve())
    except InstallDirError as error:
        raise ConfigError(source, [f"openshift_install_dir: {error}"]) from None
    given = data.get("infra_id")
    if isinstance(given, str) and given != found.infra_id:
        raise ConfigError(source, [f"infra_id: {show(given)} is not the infrastructure ID of openshift_install_dir's "
                                   f"metadata.json ({show(found.infra_id)}); expected it, or the key left out"])
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
    return merged, frozenset(filled), False


def _read_cluster(r: Reader, base_dir: Path, filled: frozenset[str], waiting: bool) -> ClusterConfig | None:
    values: dict[str, Any] = {
        "cluster_name": r.get("cluster_name"),
        "infra_id": r.get("infra_id"),
        "base_domain": r.get("base_domain"),
        "region": _region(r),
        "vpc_cidr": r.get("vpc_cidr"),
        "subnet_bits": r.get("subnet_bits"),
        "publish": r.get("publish", Publish),
        "iam_profile": r.get("iam_profile", IamProfile),
        "openshift_version": r.get("openshift_version"),
        "network_acl": r.get("network_acl"),
        "restricted_network": r.get("restricted_network"),
        "nat_gateways": r.get("nat_gateways"),
        "public_zone_id": r.get("public_zone_id"),
        "private_zone_id": r.get("private_zone_id"),
        "private_zone_role_arn": r.get("private_zone_role_arn"),
        "iam_permissions_boundary": r.get("iam_permissions_boundary"),
        "iam_path": r.get("iam_path"),
        "existing_vpc": _existing_vpc(r),
        "tags": _tags(r),
        "aws_endpoints": _endpoints(r),
        "rhcos_ami": r.get("rhcos_ami"),
        "ignition_ca": _ignition_ca(r),
        "openshift_install_dir": r.get("openshift_install_dir"),
        "bootstrap": read_bootstrap(r, base_dir),
        "control_plane": read_control_plane(r),
        "compute": read_compute(r),
    }
    values["availability_zones"] = _availability_zones(r, values["region"])
    values["edge_zones"] = read_edge_zones(r, values["region"])
    infra_id = values["infra_id"] if isinstance(values["infra_id"], str) else None
    values["credentials"] = _credentials(r, base_dir, infra_id)  # role names start with the infra ID
    values["state"] = _state(r, values["region"])
    values["ingress"] = _ingress(r)
    r.finish()
    if waiting:  # the names metadata.json would give: say why they are needed
        hint = (" (openshift_install_dir has no metadata.json before `openshift-install create ignition-configs`: "
                "give it; the infrastructure ID is status.infrastructureName in "
                "manifests/cluster-infrastructure-02-config.yml)")
        r.problems[:] = [problem + hint if problem.split(":")[0] in ("cluster_name", "infra_id", "region") and
                         ": missing;" in problem else problem for problem in r.problems]
    if MISSING in values.values():
        return None
    cross_checks(r, values)
    if r.problems:
        return None
    if not waiting:  # else the machine tiers wait for `create ignition-configs` (ClusterConfig.tiers)
        if values["ignition_ca"] is None:
            r.problems.append("ignition_ca: missing; expected the cluster CA as master.ign carries it, or "
                              "openshift_install_dir")
        if values["bootstrap"].ignition is None:
            r.problems.append("bootstrap.ignition: missing; expected a path to bootstrap.ign or an s3://bucket/key "
                              "URL, or openshift_install_dir")
        if r.problems:
            return None
    return ClusterConfig(**values, from_install_dir=filled)


def _ignition_ca(r: Reader) -> Any:
    value = r.get("ignition_ca")
    if isinstance(value, str) and ca_problem(value):
        r.fail("ignition_ca", value, ca_problem(value))
        return MISSING
    return value


def _region(r: Reader) -> Any:
    value = r.get("region")
    if isinstance(value, str) and value not in REGIONS:
        r.fail("region", value, "a known AWS region in the aws, aws-us-gov or aws-cn partition, such as us-east-1")
        return MISSING
    return value


def _availability_zones(r: Reader, region: Any) -> Any:
    value = r.get("availability_zones")
    if value is MISSING:
        return value
    ok = True
    for i, az in enumerate(value):
        if not isinstance(az, str) or (isinstance(region, str) and not re.fullmatch(re.escape(region) + "[a-z]", az)):
            expected = f"'{region}' followed by one letter" if isinstance(region, str) else "an availability zone name"
            r.problems.append(f"availability_zones[{i}]: {show(az)} is not an availability zone of region "
                              f"{show(region)}; expected {expected}")
            ok = False
    return tuple(value) if ok else MISSING


def _tags(r: Reader) -> Any:
    value = r.get("tags")
    if value is MISSING:
        return value
    ok = True
    for key, tag in value.items():
        if not isinstance(key, str) or not 1 <= len(key) <= limits.TAG_KEY_LENGTH or key.lower().startswith("aws:"):
            r.problems.append(f"tags: key {show(key)} is not valid; expected 1 to {limits.TAG_KEY_LENGTH} characters, "
                              "not starting with 'aws:'")
            ok = False
        elif key.startswith("kubernetes.io/cluster/"):
            r.problems.append(f"tags: key {show(key)} is reserved; the generator sets the cluster tag itself")
            ok = False
        elif not isinstance(tag, str) or len(tag) > limits.TAG_VALUE_LENGTH:
            r.problems.append(f"tags.{key}: {show(tag)} is not valid; expected a string of at most "
                              f"{limits.TAG_VALUE_LENGTH} characters")
            ok = False
    return dict(value) if ok else MISSING


def _endpoints(r: Reader) -> Any:
    value = r.get("aws_endpoints")
    if value is MISSING:
        return value
    ok = True
    for service, url in value.items():
        if service not in ENDPOINT_SERVICES:
            r.problems.append(f"aws_endpoints: {show(service)} is not a supported service; "
                              f"expected one of {', '.join(ENDPOINT_SERVICES)}")
            ok = False
        elif limits.ENDPOINT_URL.problem(url) is not None:
            r.problems.append(f"aws_endpoints.{service}: {show(url)} {limits.ENDPOINT_URL.problem(url)}")
            ok = False
    return dict(value) if ok else MISSING


def _state(r: Reader, cluster_region: Any) -> Any:
    raw = r.get("state")
    if raw is MISSING:
        return raw
    s = r.child(raw, "state.")
    bucket = s.get("bucket")
    region = s.get("region")
    if isinstance(region, str):
        if region not in REGIONS:
            s.fail("region", region, "a known AWS region such as us-east-1, or null for the cluster's region")
            region = MISSING
        elif isinstance(cluster_region, str) and cluster_region in REGIONS \
                and partition_of(region) != partition_of(cluster_region):
            s.fail("region", region, f"a region of the cluster's partition ({partition_of(cluster_region).name})")
            region = MISSING
    key_prefix = s.get("key_prefix")
    table = s.get("dynamodb_table")
    key = s.get("kms_key_arn")
    s.finish()
    parts = (bucket, region, key_prefix, table, key)
    return MISSING if MISSING in parts else StateConfig(*parts)


def _ingress(r: Reader) -> Any:
    raw = r.get("ingress")
    if not isinstance(raw, dict):
        return raw
    i = r.child(raw, "ingress.")
    service = i.get("service")
    load_balancer = i.get("load_balancer")
    i.finish()
    return MISSING if MISSING in (service, load_balancer) else IngressConfig(service, load_balancer)


def _existing_vpc(r: Reader) -> Any:
    raw = r.get("existing_vpc")
    if not isinstance(raw, dict):
        return raw
    e = r.child(raw, "existing_vpc.")
    vpc_id = e.get("vpc_id")
    s3_endpoint = e.get("s3_endpoint")
    role_tags = e.get("role_tags")
    by_az = e.get("subnets")
    subnets: Any = MISSING
    if isinstance(by_az, dict):
        subnets = {}
        for az, entry in by_az.items():
            if not isinstance(entry, dict):
                r.problems.append(f"existing_vpc.subnets.{az}: {show(entry)} is {kind_of(entry)}; expected a mapping "
                                  "with private and public subnet IDs")
                subnets = MISSING
                continue
            zone = r.child(entry, f"existing_vpc.subnets.{az}.", "existing_vpc.subnets.<az>.")
            private = zone.get("private")
            public = zone.get("public")
            zone.finish()
            if subnets is not MISSING and MISSING not in (private, public):
                subnets[str(az)] = ExistingSubnets(private, public)
            else:
                subnets = MISSING
    e.finish()
    parts = (vpc_id, subnets, s3_endpoint, role_tags)
    return MISSING if MISSING in parts else ExistingVpc(*parts)


def _credentials(r: Reader, base_dir: Path, infra_id: str | None) -> Any:
    """The credentials block, with the requests and public keys it names read and checked."""
    raw = r.get("credentials")
    if not isinstance(raw, dict):
        return raw
    c = r.child(raw, "credentials.")
    folder = c.get("requests_dir")
    key = c.get("public_key")
    previous = c.get("previous_public_keys")
    hosting = c.get("issuer_hosting", IssuerHosting)
    tech_preview = c.get("enable_tech_preview")
    c.finish()
    if MISSING in (folder, key, previous, hosting, tech_preview):
        return MISSING
    keys, ok = [], True
    for label, path in [("public_key", key)] + [(f"previous_public_keys[{i}]", p) for i, p in enumerate(previous)]:
        if not isinstance(path, str):
            r.problems.append(f"credentials.{label}: {show(path)} is {kind_of(path)}; expected a PEM file path")
            ok = False
            continue
        found, problem = read_public_key((base_dir / path).resolve())
        if problem:
            r.problems.append(f"credentials.{label}: {problem}")
            ok = False
        elif found in keys:
            r.problems.append(f"credentials.{label}: the same key as an earlier one (kid {found.kid})")
            ok = False
        else:
            keys.append(found)
    before, skipped = len(r.problems), []
    requests = read_requests((base_dir / folder).resolve(), infra_id or "", tech_preview=tech_preview,
                             problems=r.problems, skipped=skipped)
    if not ok or len(r.problems) > before:
        return MISSING
    return Credentials(str((base_dir / folder).resolve()), str((base_dir / key).resolve()),
                       tuple(str((base_dir / p).resolve()) for p in previous), hosting, tech_preview,
                       requests, tuple(keys), tuple(skipped))
