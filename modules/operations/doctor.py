"""`main.py doctor`: what `main.py apply` needs, checked before anything runs, each with its fix.

Every check gives one line: `ok`, or `FAIL` and the fix. The tools (Python, Node, Terraform,
the provider) need no configuration; the account's checks read the cluster's configuration
and call AWS read-only (STS, S3, Route 53, EC2, ELB, Service Quotas) through its
`aws_endpoints`. A check that cannot run because one before it failed (no credentials, an
invalid configuration) fails too, naming that one: the exit status is 0 only when every
check passed. docs/troubleshooting.md says more about each.
"""
from __future__ import annotations

import json
import platform
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from modules.configuration import ClusterConfig, Publish, Tier
from modules.configuration.machines import CONTROL_PLANE_REPLICAS
from modules.configuration.regions import partition_of

from .cluster_resources import Aws
from .terraform import (AWS_PROVIDER, AWS_PROVIDER_VERSION, MIRROR_CANDIDATES, MIRROR_ENV, TESTED_TERRAFORM,
                        find_mirror)

MIN_PYTHON = (3, 11)
MIN_NODE = (20,)  # cdktf-cli 0.21
MIN_TERRAFORM = (1, 10)  # the S3 backend's use_lockfile (every tier's state lock)
REGISTRY = "https://registry.terraform.io/.well-known/terraform.json"
# openshift-install's Ignition configs carry certificates that expire 24 hours after
# `create ignition-configs`; a bootstrap machine booted later cannot join.
IGNITION_LIFETIME_HOURS = 24
# EC2's "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances" vCPU quota covers the
# families starting with these letters, except those with quotas of their own (HPC, Trn, Inf, DL, Mac).
STANDARD_FAMILIES = "acdhimrtz"
OWN_QUOTA_FAMILIES = ("hpc", "trn", "inf", "dl", "mac")


@dataclass(frozen=True)
class Quota:
    """A service quota a cluster uses, by its Service Quotas codes."""

    service: str
    code: str
    name: str


VPCS = Quota("vpc", "L-F678F1CE", "VPCs per Region")
NAT_GATEWAYS = Quota("vpc", "L-FE5A380F", "NAT gateways per Availability Zone")
ELASTIC_IPS = Quota("ec2", "L-0263D0A3", "EC2-VPC Elastic IPs")
NETWORK_LOAD_BALANCERS = Quota("elasticloadbalancing", "L-69A177A2", "Network Load Balancers per Region")
STANDARD_VCPUS = Quota("ec2", "L-1216C47A", "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances")


@dataclass(frozen=True)
class Result:
    name: str
    ok: bool
    detail: str
    fix: str = ""

    def lines(self) -> list[str]:
        lines = [f"{'ok' if self.ok else 'FAIL':<5} {self.name:<25} {self.detail}"]
        if not self.ok and self.fix:
            lines.append(f"{'':<5} {'':<25} fix: {self.fix}")
        return lines


class Failed(Exception):
    """A check's failure: what is wrong, and the fix."""

    def __init__(self, detail: str, fix: str):
        super().__init__(detail)
        self.detail, self.fix = detail, fix


def _version(text: str) -> tuple[int, ...]:
    found = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", text)
    return tuple(int(part) for part in found.groups() if part is not None) if found else ()


def _dotted(version: tuple[int, ...]) -> str:
    return ".".join(map(str, version))


# --------------------------------------------------------------------------- the tools

def check_python(env: Mapping[str, str]) -> str:
    version = sys.version_info[:3]
    if version < MIN_PYTHON:
        raise Failed(f"{_dotted(version)} is older than {_dotted(MIN_PYTHON)}",
                     f"install Python {_dotted(MIN_PYTHON)} and run `bash scripts/install` again")
    return f"{_dotted(version)} (>= {_dotted(MIN_PYTHON)})"


def _tool_version(env: Mapping[str, str], command: list[str], name: str) -> str:
    found = shutil.which(command[0], path=env.get("PATH"))
    if found is None:
        raise Failed(f"{name} is not on PATH", f"install {name} and put it on PATH")
    result = subprocess.run([found, *command[1:]], capture_output=True, text=True, env=dict(env), timeout=60)
    if result.returncode != 0:
        raise Failed(f"`{' '.join(command)}` failed: {result.stderr.strip()[:200]}", f"reinstall {name}")
    return result.stdout


def check_node(env: Mapping[str, str]) -> str:
    version = _version(_tool_version(env, ["node", "--version"], "Node.js"))
    if version < MIN_NODE:
        raise Failed(f"{_dotted(version)} is older than {_dotted(MIN_NODE)} (cdktf-cli 0.21 needs it)",
                     f"install Node.js {_dotted(MIN_NODE)} or newer")
    return f"{_dotted(version)} (>= {_dotted(MIN_NODE)})"


def check_terraform(env: Mapping[str, str]) -> str:
    output = _tool_version(env, ["terraform", "version", "-json"], "Terraform")
    try:
        version = _version(json.loads(output)["terraform_version"])
    except (ValueError, KeyError):
        version = _version(output)
    if version < MIN_TERRAFORM:
        raise Failed(f"{_dotted(version)} is older than {_dotted(MIN_TERRAFORM)} (the S3 backend's use_lockfile)",
                     f"install Terraform {_dotted(MIN_TERRAFORM)} or newer ({TESTED_TERRAFORM} is tested)")
    return f"{_dotted(version)} (>= {_dotted(MIN_TERRAFORM)})"


def _platform() -> str:
    """Terraform's name for this machine's platform, as a mirror's folders are named (linux_amd64)."""
    machine = platform.machine().lower()
    names = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64", "i686": "386", "i386": "386",
             "armv7l": "arm"}
    return f"{platform.system().lower()}_{names.get(machine, machine)}"


def check_provider(env: Mapping[str, str]) -> str:
    mirror, wanted = find_mirror(env), f"{AWS_PROVIDER} {AWS_PROVIDER_VERSION} ({_platform()})"
    if mirror is not None:
        folder = mirror / AWS_PROVIDER
        unpacked = folder / AWS_PROVIDER_VERSION / _platform()
        packed = folder / f"terraform-provider-aws_{AWS_PROVIDER_VERSION}_{_platform()}.zip"
        if unpacked.is_dir() or packed.is_file():
            return f"{wanted} from the filesystem mirror {mirror}"
        raise Failed(f"the filesystem mirror {mirror} has no {wanted}, the version every stack pins",
                     f"add it: `terraform providers mirror -platform={_platform()} {mirror}` in a synthesized "
                     f"stack folder, on a machine with internet")
    import urllib.request

    try:
        with urllib.request.urlopen(REGISTRY, timeout=10):
            return f"{wanted} from the public registry (no filesystem mirror found)"
    except OSError as error:
        raise Failed(f"no filesystem mirror holds {AWS_PROVIDER}, and the registry is unreachable ({error})",
                     f"set {MIRROR_ENV} to a filesystem mirror (`terraform providers mirror DIR` on a machine "
                     "with internet), or allow HTTPS to registry.terraform.io") from None


# --------------------------------------------------------------------------- the account

class Account:
    """The AWS side of the checks: one set of clients, the caller's identity once."""

    def __init__(self, config: ClusterConfig, env: Mapping[str, str]):
        self.config, self.aws = config, Aws(config, dict(env))
        self._identity: dict[str, str] | None = None

    def identity(self) -> dict[str, str]:
        if self._identity is None:
            from botocore.exceptions import BotoCoreError, ClientError

            try:
                self._identity = self.aws("sts").get_caller_identity()
            except (BotoCoreError, ClientError) as error:
                raise Failed(f"no usable AWS credentials: {error}",
                             "export AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or run "
                             "`aws sso login`; `aws sts get-caller-identity` must answer") from None
        return self._identity


def check_credentials(account: Account) -> str:
    identity = account.identity()
    arn_partition = identity["Arn"].split(":")[1]
    region_partition = partition_of(account.config.region).name
    if arn_partition != region_partition:
        raise Failed(f"{identity['Arn']} is in partition {arn_partition}, the region {account.config.region} in "
                     f"{region_partition}", f"use credentials of an account in the {region_partition} partition")
    return f"account {identity['Account']} ({identity['Arn']}), partition {arn_partition}"


def check_state_bucket(account: Account) -> str:
    from botocore.exceptions import ClientError

    bucket, owner = account.config.resolved_state_bucket, account.identity()["Account"]
    s3 = account.aws("s3")
    try:
        headers = s3.head_bucket(Bucket=bucket, ExpectedBucketOwner=owner)["ResponseMetadata"]["HTTPHeaders"]
        region = headers.get("x-amz-bucket-region", account.config.resolved_state_region)
        if region != account.config.resolved_state_region:
            raise Failed(f"{bucket} is this account's, in {region}; the state region is "
                         f"{account.config.resolved_state_region}", "set state.region to the bucket's region, or "
                                                                    "state.bucket to another name")
        return f"{bucket} exists in this account, in {region}"
    except ClientError as error:
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if status == 404:
            return f"{bucket} is free: the state tier creates it"
        raise Failed(f"{bucket} is taken by another account, or this one may not read it (HTTP {status})",
                     "bucket names are global: set state.bucket to a name of your own") from None


def check_public_zone(account: Account) -> str:
    config = account.config
    if config.publish is not Publish.EXTERNAL:
        return "not needed: publish is Internal"
    route53 = account.aws("route53")
    wanted = f"{config.base_domain}."
    if config.public_zone_id is not None:
        from botocore.exceptions import ClientError

        try:
            zone = route53.get_hosted_zone(Id=config.public_zone_id)["HostedZone"]
        except ClientError as error:
            raise Failed(f"public_zone_id {config.public_zone_id} cannot be read: {error}",
                         "set public_zone_id to the public zone of base_domain, or null to look it up") from None
        if zone["Config"].get("PrivateZone") or zone["Name"] != wanted:
            raise Failed(f"{config.public_zone_id} is the {'private' if zone['Config'].get('PrivateZone') else 'public'}"
                         f" zone {zone['Name']}, not the public zone {wanted}",
                         "set public_zone_id to the public zone of base_domain")
        return f"{config.public_zone_id} ({wanted})"
    zones = [zone for zone in route53.list_hosted_zones_by_name(DNSName=wanted)["HostedZones"]
             if zone["Name"] == wanted and not zone["Config"].get("PrivateZone")]
    if len(zones) != 1:
        found = "no" if not zones else f"{len(zones)}"
        raise Failed(f"{found} public hosted zone named {wanted} in this account",
                     f"create the public zone {wanted} and delegate it (an External cluster publishes api and "
                     "*.apps there), set public_zone_id to the one meant, or use publish: Internal")
    return f"{zones[0]['Id'].split('/')[-1]} ({wanted})"


def standard(kind: str) -> bool:
    """Whether instance type `kind` counts against the standard vCPU quota."""
    family = re.match(r"[a-z]+", kind)
    return family is not None and family.group()[0] in STANDARD_FAMILIES and \
        not family.group().startswith(OWN_QUOTA_FAMILIES)


def needs(config: ClusterConfig, vcpus: Callable[[str], int]) -> dict[Quota, int]:
    """What the configuration's tiers create against each quota (vCPUs: of the standard families)."""
    creates_vpc = config.existing_vpc is None
    gateways = len(config.availability_zones) if creates_vpc and config.nat_gateways else 0
    machines = Counter({config.bootstrap.instance_type: 1})
    machines[config.control_plane.instance_type] += CONTROL_PLANE_REPLICAS
    machines[config.compute.instance_type] += config.compute.replicas
    return {VPCS: int(creates_vpc), ELASTIC_IPS: gateways, NAT_GATEWAYS: int(gateways > 0),
            NETWORK_LOAD_BALANCERS: 2 if config.publish is Publish.EXTERNAL else 1,
            STANDARD_VCPUS: sum(vcpus(kind) * count for kind, count in machines.items() if standard(kind))}


def _quota_value(account: Account, quota: Quota) -> float:
    from botocore.exceptions import ClientError

    client = account.aws("service-quotas")
    try:
        return client.get_service_quota(ServiceCode=quota.service, QuotaCode=quota.code)["Quota"]["Value"]
    except ClientError as error:
        if error.response["Error"]["Code"] != "NoSuchResourceException":
            raise
    # Never raised in this account: the default applies.
    return client.get_aws_default_service_quota(ServiceCode=quota.service, QuotaCode=quota.code)["Quota"]["Value"]


def _all(client: Any, operation: str, key: str, **arguments: Any) -> list[dict[str, Any]]:
    """Every item of a paginated describe call."""
    return [item for page in client.get_paginator(operation).paginate(**arguments) for item in page[key]]


def _in_use(account: Account, vcpus: Callable[[str], int]) -> dict[Quota, int]:
    ec2, elb = account.aws("ec2"), account.aws("elbv2")
    gateways = _all(ec2, "describe_nat_gateways", "NatGateways",
                    Filters=[{"Name": "state", "Values": ["pending", "available"]}])
    per_subnet = Counter(gateway["SubnetId"] for gateway in gateways)
    per_zone: Counter[str] = Counter()
    if per_subnet:
        for subnet in _all(ec2, "describe_subnets", "Subnets", SubnetIds=list(per_subnet)):
            per_zone[subnet["AvailabilityZone"]] += per_subnet[subnet["SubnetId"]]
    running = [instance["InstanceType"] for reservation in _all(
        ec2, "describe_instances", "Reservations", Filters=[
            {"Name": "instance-state-name", "Values": ["pending", "running"]}]) for instance in reservation["Instances"]
        if instance.get("InstanceLifecycle") != "spot"]  # Spot instances have vCPU quotas of their own
    balancers = _all(elb, "describe_load_balancers", "LoadBalancers")
    return {VPCS: len(_all(ec2, "describe_vpcs", "Vpcs")), ELASTIC_IPS: len(ec2.describe_addresses()["Addresses"]),
            NAT_GATEWAYS: max((per_zone[zone] for zone in account.config.availability_zones), default=0),
            NETWORK_LOAD_BALANCERS: sum(balancer["Type"] == "network" for balancer in balancers),
            STANDARD_VCPUS: sum(vcpus(kind) for kind in running if standard(kind))}


# The tiers whose resources count against the quotas: what their states hold exists already.
QUOTA_TIERS = (Tier.NETWORK, Tier.CLUSTER_INFRA, Tier.BOOTSTRAP, Tier.CONTROL_PLANE, Tier.COMPUTE)


def created(account: Account, vcpus: Callable[[str], int]) -> dict[Quota, int]:
    """What the cluster's applied tiers hold already, from their states in the state bucket (none before
    the first apply): an apply creates only the rest, and the region's usage counts these already."""
    from botocore.exceptions import ClientError

    config, s3, held = account.config, account.aws("s3"), Counter()
    for tier in QUOTA_TIERS:
        where = f"s3://{config.resolved_state_bucket}/{config.state_key(tier)}"
        try:
            body = s3.get_object(Bucket=config.resolved_state_bucket, Key=config.state_key(tier),
                                 ExpectedBucketOwner=account.identity()["Account"])["Body"].read()
        except ClientError as error:
            code = error.response["Error"]["Code"]
            if code in ("NoSuchKey", "NoSuchBucket", "404"):
                continue  # not applied yet
            raise Failed(f"{where}: cannot read it ({code})", "give the credentials s3:ListBucket and s3:GetObject "
                         "on the state bucket (and kms:Decrypt on state.kms_key_arn), as apply needs") from None
        try:
            resources = json.loads(body).get("resources", [])
        except (ValueError, AttributeError):
            raise Failed(f"{where}: not a Terraform state", "restore it from the bucket's versions "
                         "(docs/operations/recovery.md)") from None
        for resource in resources:
            for instance in resource.get("instances", []) if resource.get("mode") == "managed" else []:
                attributes = instance.get("attributes") or {}
                kind = resource.get("type")
                if kind == "aws_instance" and standard(attributes.get("instance_type", "")):
                    held[STANDARD_VCPUS] += vcpus(attributes["instance_type"])
                elif kind == "aws_lb" and attributes.get("load_balancer_type") == "network":
                    held[NETWORK_LOAD_BALANCERS] += 1
                elif kind in ("aws_vpc", "aws_eip", "aws_nat_gateway"):
                    held[{"aws_vpc": VPCS, "aws_eip": ELASTIC_IPS, "aws_nat_gateway": NAT_GATEWAYS}[kind]] += 1
    return held


def _to_create(config: ClusterConfig, needed: dict[Quota, int], held: dict[Quota, int]) -> dict[Quota, int]:
    remaining = {quota: max(0, need - held.get(quota, 0)) for quota, need in needed.items()}
    # One gateway per zone: a zone still needs its one until the state holds a gateway for every zone.
    zones = len(config.availability_zones)
    remaining[NAT_GATEWAYS] = int(needed[NAT_GATEWAYS] > 0 and held.get(NAT_GATEWAYS, 0) < zones)
    return remaining


def check_quotas(account: Account) -> str:
    account.identity()
    ec2, sizes = account.aws("ec2"), {}

    def vcpus(kind: str) -> int:
        from botocore.exceptions import ClientError

        if kind not in sizes:
            try:
                described = ec2.describe_instance_types(InstanceTypes=[kind])["InstanceTypes"]
            except ClientError as error:
                if error.response["Error"]["Code"] != "InvalidInstanceType":
                    raise
                raise Failed(f"{kind} is not an instance type of {account.config.region}",
                             "correct the instance_type keys (bootstrap, control_plane, compute)") from None
            sizes[kind] = described[0]["VCpuInfo"]["DefaultVCpus"] if described else 0
        return sizes[kind]

    needed = _to_create(account.config, needs(account.config, vcpus), created(account, vcpus))
    used = _in_use(account, vcpus)
    short, summary = [], []
    for quota, need in needed.items():
        if not need:
            continue
        value = _quota_value(account, quota)
        summary.append(f"{quota.name}: {used[quota]} + {need} of {value:g}")
        if used[quota] + need > value:
            short.append(f"{quota.name} ({quota.service} {quota.code}): {used[quota]} in use + {need} needed > "
                         f"{value:g}")
    if not summary:
        return "nothing left to create: the applied tiers hold every resource they count against"
    if short:
        raise Failed("; ".join(short), "request an increase in the Service Quotas console (or `aws service-quotas "
                                       "request-service-quota-increase`), or free what is in use")
    return "; ".join(summary)


def check_install_dir(account: Account) -> str:
    config = account.config
    if config.openshift_install_dir is None:
        return "not configured"
    if config.waiting:
        return (f"{config.openshift_install_dir}: no Ignition configs yet; {', '.join(t.value for t in config.waiting)} "
                "wait for `openshift-install create ignition-configs`")
    if not config.bootstrap.ignition_is_local:  # uploaded by its owner: the age is theirs to watch
        return f"{config.openshift_install_dir}: bootstrap.ignition is the URL {config.bootstrap.ignition}"
    ignition = Path(config.bootstrap.ignition)
    folder = ignition.parent
    age = (time.time() - ignition.stat().st_mtime) / 3600
    if age >= IGNITION_LIFETIME_HOURS:
        raise Failed(f"{ignition} is {age:.0f} hours old: its certificates expired after "
                     f"{IGNITION_LIFETIME_HOURS} hours", "run `openshift-install create ignition-configs` again "
                                                         "(from a saved install-config.yaml) and apply bootstrap")
    return f"{folder}: Ignition configs {age:.1f} hours old (they expire at {IGNITION_LIFETIME_HOURS})"


# --------------------------------------------------------------------------- running them

def _shown(path: Path) -> str:
    """A path as the docs show it: the home folder as ~ (the generated page is the same on every machine)."""
    return f"~/{path.relative_to(Path.home())}" if path.is_relative_to(Path.home()) else str(path)


# What each check holds to, for the generated reference (docs/reference/doctor.md, operations/reference.py).
ABOUT = {
    "python": f"Python {_dotted(MIN_PYTHON)} or newer runs `main.py`",
    "node": f"Node.js {_dotted(MIN_NODE)} or newer is on PATH (cdktf-cli 0.21)",
    "terraform": f"Terraform {_dotted(MIN_TERRAFORM)} or newer is on PATH (the S3 backend's use_lockfile); "
                 f"{TESTED_TERRAFORM} is the version tested",
    "provider": f"{AWS_PROVIDER} {AWS_PROVIDER_VERSION}, the version every stack pins, is in a filesystem mirror "
                f"(${MIRROR_ENV}, else {', '.join(_shown(path) for path in MIRROR_CANDIDATES)}), or the public registry "
                "answers",
    "configuration": "the file $OCP_CLUSTER_CONFIG names loads (it is set: doctor never checks the embedded example)",
    "credentials": "STS GetCallerIdentity answers, with an identity of the region's partition",
    "state-bucket": "the state bucket is this account's and in the state region, or its name is free",
    "public-zone": "an External cluster: exactly one public hosted zone named base_domain, or public_zone_id is it",
    "quotas": "each quota below holds what is in use in the region plus what the cluster still creates (what its "
              "applied tiers' states hold exists already)",
    "openshift-install-folder": f"a local bootstrap.ign is younger than {IGNITION_LIFETIME_HOURS} hours (its "
                                "certificates expire then); before `create ignition-configs`, the machine tiers wait",
}
QUOTA_NEEDS = {
    VPCS: "1; none with existing_vpc",
    NAT_GATEWAYS: "1 in each availability zone, with nat_gateways and no existing_vpc",
    ELASTIC_IPS: "one per NAT gateway",
    NETWORK_LOAD_BALANCERS: "2 when publish is External, 1 when Internal",
    STANDARD_VCPUS: "the vCPUs of the bootstrap machine, the 3 masters and compute.replicas workers (of the standard "
                    "families; MachineSets' and edge machines are the cluster's to create, later)",
}

TOOLS: dict[str, Callable[[Mapping[str, str]], str]] = {
    "python": check_python, "node": check_node, "terraform": check_terraform, "provider": check_provider}
# The checks of the configured cluster; all but the last ask AWS, and those after credentials need them.
CONFIGURED: dict[str, Callable[[Account], str]] = {
    "credentials": check_credentials, "state-bucket": check_state_bucket, "public-zone": check_public_zone,
    "quotas": check_quotas, "openshift-install-folder": check_install_dir}
NEED_CREDENTIALS = ("state-bucket", "public-zone", "quotas")
CHECKS = (*TOOLS, "configuration", *CONFIGURED)


def _run(name: str, check: Callable[[], str]) -> Result:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return Result(name, True, check())
    except Failed as failed:
        return Result(name, False, failed.detail, failed.fix)
    except (BotoCoreError, ClientError) as error:
        return Result(name, False, f"AWS refused: {error}", "give the credentials read access to this service "
                                                              "(docs/troubleshooting.md)")


def doctor(env: Mapping[str, str], load: Callable[[], ClusterConfig], only: tuple[str, ...] = ()) -> list[Result]:
    """Run the checks (`only`: those named) in order. `load` gives the cluster's configuration, or raises
    the loader's ConfigError; it is called only when a check needs it."""
    from modules.configuration import ConfigError
    from modules.configuration.loading import see

    wanted = [name for name in CHECKS if not only or name in only]
    results = [_run(name, lambda check=TOOLS[name]: check(env)) for name in wanted if name in TOOLS]
    if not set(wanted) - set(TOOLS):
        return results
    try:
        config: ClusterConfig | None = load()
        loaded = Result("configuration", True, f"cluster {config.cluster_name} in {config.region}")
    except ConfigError as error:
        config = None
        loaded = Result("configuration", False, f"{len(error.problems)} problem(s): " + "; ".join(
            problem + see(problem) for problem in error.problems[:3]), "correct the keys named; `main.py config` "
                                                                         "shows every problem")
    results += [loaded] if "configuration" in wanted else []
    account = Account(config, env) if config is not None else None
    for name in (name for name in wanted if name in CONFIGURED):
        if account is None:
            results.append(Result(name, False, "not checked: the configuration is invalid", "see configuration"))
        elif name in NEED_CREDENTIALS and not _passed(results, "credentials", wanted):
            results.append(Result(name, False, "not checked: no usable AWS credentials", "see credentials"))
        else:
            results.append(_run(name, lambda check=CONFIGURED[name]: check(account)))
    return results


def _passed(results: list[Result], name: str, wanted: list[str]) -> bool:
    return name not in wanted or any(result.name == name and result.ok for result in results)
