"""Failures in the field, replayed on the emulator: an interrupted apply, two applies at once,
and a corrupted state write restored from the bucket's versions.

Each step runs plain terraform in a synthesized stack folder, as a user would, and
records what it saw for the tests to judge.
"""
from __future__ import annotations

import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modules.operations import applying, deploy, terraform
from modules.configuration import ClusterConfig, Tier

APPLY = ["apply", "-input=false", "-no-color", "-auto-approve"]


@dataclass
class ReliabilityRecord:
    interrupted: subprocess.CompletedProcess | None = None
    created_before_interrupt: int = 0  # VPCs
    subnets_at_interrupt: int = 0
    network_after_rerun: dict[str, int] = field(default_factory=dict)
    plan_after_rerun: tuple[bool, str] = (False, "")
    first_apply: subprocess.CompletedProcess | None = None
    second_apply: subprocess.CompletedProcess | None = None
    lock_seen: bool = False
    groups_after_race: int = 0
    plan_after_race: tuple[bool, str] = (False, "")
    state_objects: list[str] = field(default_factory=list)
    corrupted_plan: subprocess.CompletedProcess | None = None
    restored_plan: tuple[bool, str] = (False, "")


def start(args: list[str], folder: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(["terraform", *args], cwd=folder, env=terraform.terraform_env(env), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)


def finish(process: subprocess.Popen[str], timeout: float = 900) -> subprocess.CompletedProcess:
    out, err = process.communicate(timeout=timeout)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def wait_until(condition, timeout: float = 300, interval: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return False


def tagged(ec2: Any, describe: str, key: str, prefix: str) -> int:
    """How many resources of a `describe_*` call carry a Name tag starting with `prefix`."""
    items = getattr(ec2, describe)()[key]
    return sum(1 for item in items if any(t["Key"] == "Name" and t["Value"].startswith(prefix)
                                          for t in item.get("Tags", [])))


def run_reliability(config: ClusterConfig, outdir: Path, emulator: Any) -> ReliabilityRecord:
    record, env, name = ReliabilityRecord(), emulator.env, config.cluster_name
    ec2, s3 = emulator.client("ec2"), emulator.client("s3")
    bucket, infra = config.resolved_state_bucket, config.infra_id
    applying.apply(outdir, name, ["state"], log=lambda message: None, env=env)

    # 1. SIGINT while the VPC's create waits for the VPC to be available, then apply again.
    # Terraform cancels the provider calls in flight: a create whose request is cut off on
    # the wire can leave an object no state knows (seen here as RouteAlreadyExists on the
    # re-run, and possible on AWS too). During the VPC's wait nothing else can be in flight,
    # as everything in the tier depends on the VPC; the provider polls it for 10 s at least.
    network = deploy.stack_dir(outdir, f"{name}-network")
    terraform.init(network, env=env)
    apply = start(APPLY, network, env)
    wait_until(lambda: tagged(ec2, "describe_vpcs", "Vpcs", f"{infra}-vpc") > 0 or apply.poll() is not None)
    time.sleep(2)  # past the CreateVpc response: the provider now holds the VPC's ID and waits
    record.created_before_interrupt = tagged(ec2, "describe_vpcs", "Vpcs", f"{infra}-vpc")
    record.subnets_at_interrupt = tagged(ec2, "describe_subnets", "Subnets", f"{infra}-")
    apply.send_signal(signal.SIGINT)
    record.interrupted = finish(apply)
    terraform.run(APPLY, network, env=env)
    record.network_after_rerun = {
        "vpcs": tagged(ec2, "describe_vpcs", "Vpcs", f"{infra}-vpc"),
        "subnets": tagged(ec2, "describe_subnets", "Subnets", f"{infra}-"),
        "nat_gateways": sum(1 for g in ec2.describe_nat_gateways()["NatGateways"]
                            if g["State"] != "deleted" and any(t["Value"].startswith(f"{infra}-nat")
                                                               for t in g.get("Tags", []))),
        "eips": tagged(ec2, "describe_addresses", "Addresses", f"{infra}-nat"),
    }
    record.plan_after_rerun = deploy.plan_is_empty(outdir, f"{name}-network", env=env)

    # 2. Two applies of the security tier at once: the second meets the first one's lock.
    security = deploy.stack_dir(outdir, f"{name}-security")
    lock_key = config.state_key(Tier.SECURITY) + ".tflock"
    terraform.init(security, env=env)
    first = start(APPLY, security, env)

    def locked() -> bool:
        listing = s3.list_objects_v2(Bucket=bucket, Prefix=lock_key).get("Contents", [])
        return bool(listing) or first.poll() is not None

    wait_until(locked, interval=0.2)
    record.lock_seen = first.poll() is None
    record.second_apply = finish(start(APPLY + ["-lock-timeout=0s"], security, env))
    record.first_apply = finish(first)
    record.groups_after_race = sum(1 for g in ec2.describe_security_groups()["SecurityGroups"]
                                   if g["GroupName"].startswith(f"{infra}-"))
    record.plan_after_race = deploy.plan_is_empty(outdir, f"{name}-security", env=env)
    record.state_objects = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []))

    # 3. A corrupted state write, then the documented restore: copy the previous version back.
    key = config.state_key(Tier.NETWORK)
    s3.put_object(Bucket=bucket, Key=key, Body=b'{"version": 4, "truncated')
    record.corrupted_plan = terraform.run(["plan", "-input=false", "-no-color", "-lock=false"], network,
                                              env=env, check=False)
    # S3 lists a key's versions newest first; the newest is the corrupted write.
    versions = [v for v in s3.list_object_versions(Bucket=bucket, Prefix=key)["Versions"] if v["Key"] == key]
    previous = [v for v in versions if not v["IsLatest"]][0]
    s3.copy_object(Bucket=bucket, Key=key, CopySource={"Bucket": bucket, "Key": key, "VersionId": previous["VersionId"]})
    record.restored_plan = deploy.plan_is_empty(outdir, f"{name}-network", env=env)
    return record
