"""Configuration of the machine tiers: bootstrap (04), control plane (05) and compute (06).

Defaults follow the reference templates (instance types, 120 GiB root volumes);
the root volume type defaults to gp3 (the reference's gp2 costs more for less).
Limits (sizes, types, replicas) are in `limits`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .ignition import ignition_file_problem, is_remote_url
from .reader import MISSING, Reader

CONTROL_PLANE_REPLICAS = 3


@dataclass(frozen=True)
class MachinePool:
    instance_type: str
    root_volume_size: int = 120
    root_volume_type: str = "gp3"
    root_volume_kms_key_arn: str | None = None  # None: EBS's default key for the account and region
    instance_profile: str | None = None  # an existing profile; None: the project creates role and profile
    additional_security_group_ids: tuple[str, ...] = ()  # attached besides the cluster's own groups


@dataclass(frozen=True)
class BootstrapConfig(MachinePool):
    instance_type: str = "i3.large"
    ignition: str | None = None  # local bootstrap.ign (uploaded to S3 by the tier), s3://bucket/key or https://
    ignition_kms_key_arn: str | None = None  # SSE-KMS key of the bucket a local bootstrap.ign is uploaded to
    ssh_cidr: str | None = None  # derived: the VPC CIDR (SSH from outside must be asked for)
    subnet: str | None = None  # derived: "public" when publish is External, else "private"

    @property
    def ignition_is_local(self) -> bool:
        return self.ignition is not None and not is_remote_url(self.ignition)


@dataclass(frozen=True)
class ControlPlaneConfig(MachinePool):
    instance_type: str = "m5.xlarge"
    ignition_url: str | None = None  # derived: https://api-int.<cluster domain>:22623/config/master


@dataclass(frozen=True)
class ComputeConfig(MachinePool):
    instance_type: str = "m5.large"
    replicas: int = 3
    ignition_url: str | None = None  # derived: https://api-int.<cluster domain>:22623/config/worker
    machineset_replicas: int = 0  # of each worker MachineSet `main.py machinesets` writes (one per AZ)


def _pool(r: Reader, key: str) -> tuple[Reader | None, dict[str, Any]]:
    raw = r.get(key)
    if raw is MISSING:
        return None, {}
    pool = r.child(raw, f"{key}.")
    groups = pool.get("additional_security_group_ids")
    values = {
        "instance_type": pool.get("instance_type"),
        "root_volume_size": pool.get("root_volume_size"),
        "root_volume_type": pool.get("root_volume_type"),
        "root_volume_kms_key_arn": pool.get("root_volume_kms_key_arn"),
        "instance_profile": pool.get("instance_profile"),
        "additional_security_group_ids": groups if groups is MISSING else tuple(groups),
    }
    return pool, values


def read_bootstrap(r: Reader, base_dir: Path) -> Any:
    pool, values = _pool(r, "bootstrap")
    if pool is None:
        return MISSING
    ignition = pool.get("ignition")
    if isinstance(ignition, str):
        if ignition.startswith(("s3://", "https://", "http://")):
            if not is_remote_url(ignition):
                pool.fail("ignition", ignition, "an s3://bucket/key URL with a valid bucket name, or an https:// URL "
                                                "(a pre-signed URL's query included)")
                ignition = MISSING
        elif "\x00" in ignition or not re.fullmatch(r"[A-Za-z0-9._-]+", Path(ignition).name):
            # The name travels into Terraform expressions (the asset's path): plain names only.
            pool.fail("ignition", ignition, "a path to a file named with letters, digits, '.', '_' and '-' "
                                            "(such as install/bootstrap.ign), or an s3://bucket/key URL")
            ignition = MISSING
        else:
            path = (base_dir / ignition).resolve()
            problem = ignition_file_problem(path)
            if problem:
                pool.fail("ignition", ignition, f"{problem} at {path}")
                ignition = MISSING
            else:
                ignition = str(path)
    ssh_cidr = pool.get("ssh_cidr")
    ignition_key = pool.get("ignition_kms_key_arn")
    subnet = pool.get("subnet")
    pool.finish()
    values.update(ignition=ignition, ssh_cidr=ssh_cidr, ignition_kms_key_arn=ignition_key, subnet=subnet)
    return MISSING if MISSING in values.values() else BootstrapConfig(**values)


def read_control_plane(r: Reader) -> Any:
    pool, values = _pool(r, "control_plane")
    if pool is None:
        return MISSING
    values["ignition_url"] = pool.get("ignition_url")
    pool.finish()
    return MISSING if MISSING in values.values() else ControlPlaneConfig(**values)


def read_compute(r: Reader) -> Any:
    pool, values = _pool(r, "compute")
    if pool is None:
        return MISSING
    values["replicas"] = pool.get("replicas")
    values["machineset_replicas"] = pool.get("machineset_replicas")
    values["ignition_url"] = pool.get("ignition_url")
    pool.finish()
    return MISSING if MISSING in values.values() else ComputeConfig(**values)
