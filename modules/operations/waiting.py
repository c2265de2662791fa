"""The machine tiers of a cluster before `openshift-install create ignition-configs` (ClusterConfig.waiting):
what commands say of them, and the guards that keep tiers applied earlier from being left out quietly
when their Ignition configs are gone (docs/install-walkthrough.md)."""
from __future__ import annotations

from pathlib import Path

from modules.configuration import ClusterConfig, ConfigError
from modules.configuration.topology import stack_name

from . import fingerprint
from .cluster_resources import Aws, aws_errors


def message(config: ClusterConfig) -> str:
    tiers = ", ".join(tier.value for tier in config.waiting)
    folder = config.openshift_install_dir or "the install folder"
    return (f"{tiers} wait for the Ignition configs: run `openshift-install create ignition-configs` in {folder} "
            f"(docs/install-walkthrough.md); tiers applied before need the configs back in {folder}, or "
            "ignition_ca and bootstrap.ignition given")


def _gone(config: ClusterConfig, held: list[str], where: str) -> ConfigError:
    return ConfigError(config.cluster_name, [
        f"openshift_install_dir: {config.openshift_install_dir} holds no Ignition configs (metadata.json, master.ign, "
        f"bootstrap.ign), and {', '.join(held)} {where}; expected the configs back in the folder, or ignition_ca and "
        "bootstrap.ignition given"])


def refuse_if_synthesized(config: ClusterConfig, outdir: Path) -> None:
    """Machine tiers synthesized into `outdir` were made from configs that are gone: never drop them."""
    made = fingerprint.recorded(outdir).get(config.cluster_name)
    names = {stack_name(config.cluster_name, tier) for tier in config.waiting}
    held = [stack for stack in (made.stacks if made else ()) if stack in names]
    if held:
        raise _gone(config, held, f"were synthesized into {outdir} from them")


def refuse_if_applied(config: ClusterConfig) -> None:
    """Machine tiers with state in the bucket were applied (a fresh checkout has no synthesis record to
    tell): an apply or a review that left them out would hide them. AwsError when S3 cannot say."""
    if not config.waiting:
        return
    with aws_errors():
        s3, held = Aws(config)("s3"), []
        for tier in config.waiting:
            try:
                s3.head_object(Bucket=config.resolved_state_bucket, Key=config.state_key(tier))
                held.append(tier.value)
            except s3.exceptions.ClientError as error:
                if error.response["Error"]["Code"] not in ("404", "NoSuchKey", "NoSuchBucket"):
                    raise
    if held:
        raise _gone(config, held, f"have state in s3://{config.resolved_state_bucket}")
