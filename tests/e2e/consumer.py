"""The hand-written examples against the emulator, as a user in another Terraform repository runs them.

`examples/consumer` calls every exported module; `examples/remote-state` reads
the network tier's outputs from the state bucket. They run from a copy of the
repository's `examples/` and `terraform-modules/` folders (so relative module
sources resolve), and an override file, Terraform's own mechanism for local
changes, points the provider at the emulator; the examples stay as users see them.
"""
from __future__ import annotations

import json
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modules.operations import terraform
from modules.configuration import ClusterConfig

ROOT = Path(__file__).resolve().parent.parent.parent


@dataclass
class ConsumerRecord:
    planned: dict[int, Counter[str]] = field(default_factory=dict)  # AZ count -> module -> resources to create
    applied: int = 0
    second_plan_empty: bool | None = None
    second_plan: str = ""


def copy_examples(workdir: Path) -> Path:
    for folder in ("examples", "terraform-modules"):
        shutil.copytree(ROOT / folder, workdir / folder, ignore=shutil.ignore_patterns(".terraform*"))
    return workdir / "examples"


def provider_override(emulator: Any) -> dict[str, Any]:
    return {"provider": {"aws": {"endpoints": [emulator.endpoints], "s3_use_path_style": True}}}


def consumer_variables(config: ClusterConfig, public_zone_id: str, azs: int) -> dict[str, Any]:
    """The consumer's inputs for the cluster `config` describes, with its first `azs` AZs."""
    return {
        "region": config.region, "cluster_name": config.cluster_name, "base_domain": config.base_domain,
        "infra_id": config.infra_id, "availability_zones": list(config.availability_zones[:azs]),
        "vpc_cidr": config.vpc_cidr, "publish": config.publish.value, "public_zone_id": public_zone_id,
        "rhcos_ami": config.rhcos_ami, "ignition_ca": config.ignition_ca,
        "bootstrap_ignition_url": config.bootstrap.ignition, "worker_replicas": config.compute.replicas,
    }


def planned_creations(folder: Path, plan_file: str, env: dict[str, str]) -> Counter[str]:
    """Resources the plan creates, by calling module (`network`, `cluster_infra`, ...)."""
    shown = json.loads(terraform.run(["show", "-json", plan_file], folder, env=env).stdout)
    return Counter(change["module_address"].removeprefix("module.")
                   for change in shown["resource_changes"]
                   if change["mode"] == "managed" and change["change"]["actions"] == ["create"])


def run_consumer(config: ClusterConfig, emulator: Any, workdir: Path, public_zone_id: str) -> ConsumerRecord:
    """Plan with 1 and 3 AZs, apply with 3, then plan again."""
    record, env = ConsumerRecord(), emulator.env
    folder = copy_examples(workdir) / "consumer"
    (folder / "emulator_override.tf.json").write_text(json.dumps(provider_override(emulator)))
    terraform.init(folder, env=env)
    for azs in (1, 3):
        (folder / f"azs{azs}.tfvars.json").write_text(json.dumps(consumer_variables(config, public_zone_id, azs)))
        terraform.run(["plan", "-input=false", "-no-color", f"-var-file=azs{azs}.tfvars.json",
                           f"-out=azs{azs}.tfplan"], folder, env=env)
        record.planned[azs] = planned_creations(folder, f"azs{azs}.tfplan", env)
    terraform.run(["apply", "-input=false", "-no-color", "azs3.tfplan"], folder, env=env, timeout=1800)
    state = json.loads(terraform.run(["show", "-json"], folder, env=env).stdout)
    record.applied = sum(1 for _ in _managed(state["values"]["root_module"]))
    result = terraform.run(["plan", "-input=false", "-no-color", "-detailed-exitcode",
                                "-var-file=azs3.tfvars.json"], folder, env=env, check=False)
    record.second_plan_empty, record.second_plan = result.returncode == 0, result.stdout + result.stderr
    return record


def _managed(module: dict[str, Any]):
    yield from (r for r in module.get("resources", []) if r["mode"] == "managed")
    for child in module.get("child_modules", []):
        yield from _managed(child)


def read_remote_state(config: ClusterConfig, emulator: Any, workdir: Path) -> dict[str, Any]:
    """`examples/remote-state` applied against the cluster's state bucket: its outputs."""
    folder = copy_examples(workdir) / "remote-state"
    variables = {"state_bucket": config.resolved_state_bucket, "state_region": config.resolved_state_region,
                 "cluster_name": config.cluster_name, "key_prefix": config.state.key_prefix,
                 "endpoints": {"s3": emulator.url, "sts": emulator.url}}
    (folder / "emulator.auto.tfvars.json").write_text(json.dumps(variables))
    terraform.init(folder, env=emulator.env)
    terraform.run(["apply", "-input=false", "-no-color", "-auto-approve"], folder, env=emulator.env)
    outputs = json.loads(terraform.run(["output", "-json"], folder, env=emulator.env).stdout)
    return {name: output["value"] for name, output in outputs.items()}
