"""Ignition: the pointer configs machines boot with, and reading `openshift-install`'s output.

Machines get a small Ignition config as user data that points at the real one:
the bootstrap machine *replaces* its config with `bootstrap.ign` (from S3), and
masters and workers *merge* theirs from the machine config server
(`https://api-int.<cluster domain>:22623/config/<role>`), trusting the cluster
CA. This is what the reference templates write, at the Ignition spec version
they use.
"""
from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from pathlib import Path

from .canonical import canonical_json
from .limits import HTTPS_URL, HTTPS_URL_WITH_QUERY, S3_URL

IGNITION_VERSION = "3.1.0"
MACHINE_CONFIG_PORT = 22623
CA_DATA_PREFIX = "data:text/plain;charset=utf-8;base64,"


def pointer_config(source: str, *, replace: bool = False, ca: str | None = None) -> str:
    """User data: an Ignition config that fetches (merge or replace) the config at `source`."""
    config: dict = {"version": IGNITION_VERSION}
    config["config"] = {"replace": {"source": source}} if replace else {"merge": [{"source": source}]}
    if ca is not None:
        config["security"] = {"tls": {"certificateAuthorities": [{"source": ca}]}}
    return canonical_json({"ignition": config})


def machine_config_url(cluster_domain: str, role: str) -> str:
    return f"https://api-int.{cluster_domain}:{MACHINE_CONFIG_PORT}/config/{role}"


def ca_problem(value: str) -> str | None:
    """Why `value` is not a usable Ignition CA source (a PEM bundle as a data URL, or HTTPS)."""
    if re.fullmatch(HTTPS_URL, value):
        return None
    if not value.startswith(CA_DATA_PREFIX):
        return f"a data URL starting with {CA_DATA_PREFIX!r} (as in master.ign) or an https URL"
    try:
        pem = base64.b64decode(value[len(CA_DATA_PREFIX):], validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError):
        return "a data URL whose payload is valid base64 of a PEM certificate bundle"
    if "-----BEGIN CERTIFICATE-----" not in pem or "-----END CERTIFICATE-----" not in pem:
        return "a data URL whose payload is a PEM certificate bundle (BEGIN/END CERTIFICATE)"
    return None


def is_s3_url(value: str) -> bool:
    return bool(re.fullmatch(S3_URL, value))


def is_remote_url(value: str) -> bool:
    """Where Ignition fetches a config itself: s3://bucket/key, or https:// (a pre-signed URL, a web server)."""
    return is_s3_url(value) or bool(re.fullmatch(HTTPS_URL_WITH_QUERY, value))


def ignition_file_problem(path: Path) -> str | None:
    """Why the file at `path` is not an Ignition config."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        return f"a readable file ({exc.strerror or exc})"
    except (ValueError, UnicodeDecodeError):
        return "an Ignition config (JSON)"
    if not isinstance(document, dict) or not isinstance(document.get("ignition", {}).get("version"), str):
        return "an Ignition config with ignition.version"
    return None


@dataclass(frozen=True)
class InstallDir:
    """What a cluster's configuration takes from `openshift-install create ignition-configs` output."""

    cluster_name: str
    infra_id: str
    region: str | None
    ignition_ca: str
    bootstrap_ignition: Path


class InstallDirError(Exception):
    pass


# What `openshift-install create install-config` and `create manifests` leave in the folder, before
# `create ignition-configs` writes metadata.json and the Ignition configs.
BEFORE_IGNITION = ("install-config.yaml", "manifests", ".openshift_install_state.json")
IGNITION_FILES = ("metadata.json", "master.ign", "bootstrap.ign")


# What `create ignition-configs` leaves besides IGNITION_FILES: a folder with any of these is past it, even
# when its configs were deleted (a secrets clean-up): the installer's kubeconfig, and its state's assets.
AFTER_IGNITION_FOLDER = "auth"
AFTER_IGNITION_ASSETS = ("*bootstrap.Bootstrap", "*machine.Master", "*cluster.Metadata")


def before_ignition_configs(folder: Path) -> bool:
    """Whether `folder` is an installer folder that `create ignition-configs` has not run in yet: none of
    its files, and something the steps before it leave. Between those steps the machine tiers wait;
    a folder that is empty, missing, past that step, or holds only some of the files is an error
    (read_install_dir)."""
    if not folder.is_dir() or any((folder / name).exists() for name in IGNITION_FILES) or \
            (folder / AFTER_IGNITION_FOLDER).exists() or not any((folder / name).exists() for name in BEFORE_IGNITION):
        return False
    try:
        assets = json.loads((folder / ".openshift_install_state.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return True  # no state (or none readable): install-config.yaml or manifests/ decide
    return not (isinstance(assets, dict) and any(name in assets for name in AFTER_IGNITION_ASSETS))


def read_install_dir(folder: Path) -> InstallDir:
    metadata = _json(folder / "metadata.json")
    try:
        cluster_name, infra_id = metadata["clusterName"], metadata["infraID"]
    except (KeyError, TypeError):
        raise InstallDirError(f"{folder / 'metadata.json'}: expected the keys clusterName and infraID") from None
    region = (metadata.get("aws") or {}).get("region") if isinstance(metadata.get("aws"), dict) else None
    master = _json(folder / "master.ign")
    try:
        ca = master["ignition"]["security"]["tls"]["certificateAuthorities"][0]["source"]
    except (KeyError, IndexError, TypeError):
        raise InstallDirError(
            f"{folder / 'master.ign'}: expected ignition.security.tls.certificateAuthorities[0].source") from None
    bootstrap = folder / "bootstrap.ign"
    problem = ignition_file_problem(bootstrap)
    if problem:
        raise InstallDirError(f"{bootstrap}: expected {problem}")
    return InstallDir(cluster_name, infra_id, region, ca, bootstrap)


def _json(path: Path) -> dict:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InstallDirError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    except (ValueError, UnicodeDecodeError):
        raise InstallDirError(f"{path}: not valid JSON") from None
    if not isinstance(document, dict):
        raise InstallDirError(f"{path}: expected a JSON object")
    return document
