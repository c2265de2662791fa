"""Configuration of the machine tiers: bootstrap (04), control plane (05) and compute (06).

Defaults follow the reference templates (instance types, 120 GiB root volumes);
the root volume type defaults to gp3 (the reference's gp2 costs more for less).
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .ignition import https_url_problem, ignition_file_problem, is_s3_url
from .validation import MISSING, Reader

VOLUME_TYPES = ("gp2", "gp3", "io1", "io2")
VOLUME_SIZE_RANGE = (100, 16384)  # OpenShift needs at least 100 GiB on a node's root disk
REPLICAS_RANGE = (0, 250)
CONTROL_PLANE_REPLICAS = 3
_INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")


@dataclass(frozen=True)
class MachinePool:
    instance_type: str
    root_volume_size: int = 120
    root_volume_type: str = "gp3"


@dataclass(frozen=True)
class BootstrapConfig(MachinePool):
    instance_type: str = "i3.large"
    ignition: str | None = None  # local bootstrap.ign (uploaded to S3 by the tier) or s3://bucket/key
    ssh_cidr: str | None = None  # derived: the VPC CIDR (SSH from outside must be asked for)

    @property
    def ignition_is_local(self) -> bool:
        return self.ignition is not None and not is_s3_url(self.ignition)


@dataclass(frozen=True)
class ControlPlaneConfig(MachinePool):
    instance_type: str = "m5.xlarge"
    ignition_url: str | None = None  # derived: https://api-int.<cluster domain>:22623/config/master


@dataclass(frozen=True)
class ComputeConfig(MachinePool):
    instance_type: str = "m5.large"
    replicas: int = 3
    ignition_url: str | None = None  # derived: https://api-int.<cluster domain>:22623/config/worker


def _pool(r: Reader, key: str, defaults: MachinePool) -> tuple[Reader | None, dict[str, Any]]:
    raw = r.take(key, (dict,), "a mapping of machine settings", {})
    if raw is MISSING:
        return None, {}
    pool = Reader(raw, f"{key}.", r.problems)
    values = {
        "instance_type": pool.text("instance_type", _INSTANCE_TYPE, "an EC2 instance type such as m5.xlarge",
                                   defaults.instance_type),
        "root_volume_size": pool.integer("root_volume_size", VOLUME_SIZE_RANGE, defaults.root_volume_size),
        "root_volume_type": pool.take("root_volume_type", (str,), "one of " + ", ".join(VOLUME_TYPES),
                                      defaults.root_volume_type),
    }
    if values["root_volume_type"] is not MISSING and values["root_volume_type"] not in VOLUME_TYPES:
        pool.fail("root_volume_type", values["root_volume_type"], "one of " + ", ".join(VOLUME_TYPES))
        values["root_volume_type"] = MISSING
    return pool, values


def _ignition_url(pool: Reader) -> Any:
    value = pool.take("ignition_url", (str,), "an https URL, or null to derive it", None)
    if isinstance(value, str) and https_url_problem(value):
        pool.fail("ignition_url", value, https_url_problem(value))
        return MISSING
    return value


def read_bootstrap(r: Reader, base_dir: Path) -> Any:
    pool, values = _pool(r, "bootstrap", BootstrapConfig())
    if pool is None:
        return MISSING
    ignition = pool.take("ignition", (str,), "a path to bootstrap.ign or an s3://bucket/key URL", None)
    if isinstance(ignition, str):
        if ignition.startswith("s3://"):
            if not is_s3_url(ignition):
                pool.fail("ignition", ignition, "an s3://bucket/key URL with a valid bucket name")
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
    ssh_cidr = pool.take("ssh_cidr", (str,), "an IPv4 CIDR such as 203.0.113.0/24, or null for the VPC CIDR", None)
    if isinstance(ssh_cidr, str):
        try:
            ipaddress.IPv4Network(ssh_cidr, strict=True)
        except ValueError:
            pool.fail("ssh_cidr", ssh_cidr, "an IPv4 CIDR such as 203.0.113.0/24 (host bits zero)")
            ssh_cidr = MISSING
    pool.finish()
    values.update(ignition=ignition, ssh_cidr=ssh_cidr)
    return MISSING if MISSING in values.values() else BootstrapConfig(**values)


def read_control_plane(r: Reader) -> Any:
    pool, values = _pool(r, "control_plane", ControlPlaneConfig())
    if pool is None:
        return MISSING
    values["ignition_url"] = _ignition_url(pool)
    pool.finish()
    return MISSING if MISSING in values.values() else ControlPlaneConfig(**values)


def read_compute(r: Reader) -> Any:
    pool, values = _pool(r, "compute", ComputeConfig())
    if pool is None:
        return MISSING
    values["replicas"] = pool.integer("replicas", REPLICAS_RANGE, ComputeConfig.replicas)
    values["ignition_url"] = _ignition_url(pool)
    pool.finish()
    return MISSING if MISSING in values.values() else ComputeConfig(**values)
