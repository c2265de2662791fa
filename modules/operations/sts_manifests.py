"""`main.py sts-manifests --out DIR`: the manifests a manual-mode install needs, from the applied credentials tier.

One Secret per CredentialsRequest (its role's ARN and the projected token's
path) and the Authentication config naming the issuer, into `DIR/manifests/`,
exactly as `ccoctl aws create-all` writes them (configuration/sts.py). The
role ARNs and the issuer URL are read from the credentials tier's state (its
outputs), so they are what was applied, never what a configuration says.

Every file is rendered before the first is written, and each is written whole
(a temporary file renamed into place, mode 0600 as ccoctl writes them): a
request without an applied role writes nothing.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from ..configuration.cluster import ClusterConfig
from ..configuration.sts import AUTHENTICATION_MANIFEST, MANIFESTS_DIR, authentication_manifest
from ..configuration.topology import Tier, stack_name
from .cluster_resources import aws_errors, output
from .deploy import DeployError
from .files import write_files


def render(config: ClusterConfig, state: dict[str, Any] | None) -> dict[str, str]:
    """File name -> content, for every manifest, from the credentials tier's `state`; DeployError when
    its outputs cannot give them."""
    if config.credentials is None:
        raise DeployError(f"{config.cluster_name} has no `credentials` block: there is no credentials tier "
                          "(docs/credentials.md)")
    stack = stack_name(config.cluster_name, Tier.CREDENTIALS)
    issuer = output(state, "issuer_url")
    roles = output(state, "role_arns") or {}
    if not issuer:
        raise DeployError(f"{stack} is not applied (its state has no issuer_url): run `main.py apply credentials`")
    missing = [request.key for request in config.credentials.requests if request.key not in roles]
    if missing:
        raise DeployError(f"{stack} has no role for {', '.join(missing)}: the requests changed since it was "
                          "applied; run `main.py apply credentials` first. Nothing was written.")
    files = {request.secret_file: request.secret_manifest(roles[request.key]) for request in config.credentials.requests}
    files[AUTHENTICATION_MANIFEST] = authentication_manifest(issuer)
    return files


def write(folder: Path, files: dict[str, str]) -> list[Path]:
    """Write `files` into `folder/manifests/`, each atomically, readable by its owner only."""
    return write_files(folder / MANIFESTS_DIR, files, mode=0o600)


def sts_manifests(config: ClusterConfig, outdir: Path, folder: Path, env: dict[str, str] | None = None) -> list[Path]:
    from .teardown import ClusterRemoval  # reads every tier's state as Terraform keeps it

    with aws_errors():
        state = ClusterRemoval(config, outdir, env).states().get(Tier.CREDENTIALS)
    return write(folder, render(config, state))
