"""Running Terraform the way this project needs it, on any machine.

Every terraform call the project makes goes through `run()`, which points
`TF_CLI_CONFIG_FILE` at a CLI configuration written by `write_cli_config()`:
- when a local provider mirror holds hashicorp/aws (an air-gapped build machine),
  the provider is installed from that mirror and never from the registry;
- otherwise the public registry is used, as on any machine with internet.
A shared plugin cache makes each `terraform init` link the ~700 MB provider
instead of copying it.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Iterator, Sequence

from . import PROJECT_ROOT

MIRROR_ENV = "OCP_TF_PROVIDER_MIRROR"
# Where machine images conventionally keep a filesystem mirror (checked in order).
MIRROR_CANDIDATES = (
    Path("/opt/tf-plugins"),
    Path("/usr/share/terraform/plugins"),
    Path.home() / ".terraform.d" / "plugins",
)
AWS_PROVIDER = "registry.terraform.io/hashicorp/aws"
# The version the bindings (cdktf-cdktf-provider-aws 20.1.0) pin in every stack's required_providers;
# written here so tools that load no bindings (doctor, the modules' docs) know it. tests/test_doctor.py
# holds it to what synthesis writes.
AWS_PROVIDER_VERSION = "5.100.0"
TESTED_TERRAFORM = "1.11.4"  # the Terraform this repository runs
# While a terraform the project started runs in a folder, a marker here names its PID: a lock
# whose holder's marker outlived the process was left by a killed run (operations/locks.py).
RUN_MARKERS = Path(".terraform") / "ocp-runs"
LOCKING = frozenset({"plan", "apply", "destroy", "import", "refresh", "state", "taint", "untaint", "console"})


def find_mirror(env: Mapping[str, str] = os.environ) -> Path | None:
    """The first filesystem mirror that holds the AWS provider, if any."""
    explicit = env.get(MIRROR_ENV)
    candidates = (Path(explicit),) if explicit else MIRROR_CANDIDATES
    for path in candidates:
        if (path / AWS_PROVIDER).is_dir():
            return path
    return None


def cli_config_text(mirror: Path | None, plugin_cache: Path) -> str:
    # Without the second setting, every `init` of a folder with no lock file yet
    # re-extracts the provider into the cache, pulling it from under any terraform
    # already running from that cache entry ("Required plugins are not installed",
    # seen when a new folder was initialized while other stacks applied). With it,
    # init links the cached package, and the lock file records that package's hash.
    lines = [f'plugin_cache_dir = "{plugin_cache}"', "plugin_cache_may_break_dependency_lock_file = true"]
    if mirror is not None:
        lines += [
            "provider_installation {",
            "  filesystem_mirror {",
            f'    path    = "{mirror}"',
            f'    include = ["{AWS_PROVIDER}"]',
            "  }",
            "  direct {",
            f'    exclude = ["{AWS_PROVIDER}"]',
            "  }",
            "}",
        ]
    return "\n".join(lines) + "\n"


def write_cli_config(directory: Path | None = None) -> Path:
    """Write the CLI configuration (idempotent) and return its path."""
    directory = directory or PROJECT_ROOT / ".terraform.d"
    cache = directory / "plugin-cache"
    cache.mkdir(parents=True, exist_ok=True)
    path = directory / "terraformrc"
    text = cli_config_text(find_mirror(), cache)
    if not path.exists() or path.read_text() != text:
        # A name of its own: the threads of an apply's first level (and other runs) may all write it at once.
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(text)
        tmp.replace(path)
    return path


def terraform_env(extra: dict[str, str] | None = None, *, base: Mapping[str, str] = os.environ) -> dict[str, str]:
    """`base` (the process environment) with the project's CLI configuration, then `extra`."""
    env = dict(base)
    env["TF_CLI_CONFIG_FILE"] = str(write_cli_config())
    env["CHECKPOINT_DISABLE"] = "1"
    env["TF_IN_AUTOMATION"] = "1"
    env.update(extra or {})
    return env


# `terraform init` as every operation runs it: no prompts, plain text.
INIT = ("init", "-input=false", "-no-color")


def init(folder: Path | str, *, env: dict[str, str] | None = None, backend: bool = True) -> None:
    """`terraform init` in `folder`; `backend=False` for validation, which needs no state."""
    run([*INIT, *(() if backend else ("-backend=false",))], folder, env=env)


def run(args: Sequence[str], cwd: Path | str, *, env: dict[str, str] | None = None,
        check: bool = True, timeout: float | None = 900) -> subprocess.CompletedProcess[str]:
    """Run `terraform <args>` in `cwd` with the project's CLI configuration."""
    full_env = terraform_env(env)
    with _init_lock() if args and args[0] == "init" else contextlib.nullcontext():
        process = subprocess.Popen(["terraform", *args], cwd=cwd, env=full_env, text=True,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        marker = _mark_run(Path(cwd), process.pid, args)
        try:
            try:
                stdout, stderr = process.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                stdout, stderr = _stop(process, interrupted=False)
                result = subprocess.CompletedProcess(process.args, process.returncode, stdout,
                                                     f"{stderr}\n(stopped after {timeout:.0f} s)")
                raise TerraformError(args, cwd, result) from None
            except BaseException:  # Ctrl-C: the terminal interrupted terraform too
                _stop(process, interrupted=True)
                raise
        finally:
            if marker is not None:
                marker.unlink(missing_ok=True)
        result = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    if check and result.returncode != 0:
        raise TerraformError(args, cwd, result)
    return result


# How long terraform gets to stop on its own after an interrupt: it cancels what is in flight and
# writes the state. Killing it at once would leave the lock taken and new objects in no state.
STOP_GRACE_SECONDS = 120


def _stop(process: subprocess.Popen[str], *, interrupted: bool) -> tuple[str, str]:
    """Stop terraform as Ctrl-C does (one SIGINT: a second one makes it exit at once, state unwritten),
    and kill it only if it has not stopped after STOP_GRACE_SECONDS. Returns what it wrote."""
    if not interrupted:
        process.send_signal(signal.SIGINT)
    try:
        return process.communicate(timeout=STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        if interrupted:  # the interrupt was not terraform's (not from a terminal): give it one now
            process.send_signal(signal.SIGINT)
            try:
                return process.communicate(timeout=STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                pass
        process.kill()
        return process.communicate()


def _mark_run(folder: Path, pid: int, args: Sequence[str]) -> Path | None:
    """Write the run marker of terraform `pid` in `folder` (RUN_MARKERS) when the command takes the
    state lock in an initialized folder; None otherwise, or where it cannot be written."""
    if not args or args[0] not in LOCKING or not (folder / ".terraform").is_dir():
        return None
    markers = folder / RUN_MARKERS
    try:
        markers.mkdir(exist_ok=True)
        marker = markers / f"{pid}.json"
        marker.write_text(json.dumps({"pid": pid, "host": socket.gethostname(), "args": list(args),
                                      "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}))
        return marker
    except OSError:
        return None


@contextlib.contextmanager
def _init_lock() -> Iterator[None]:
    """One `terraform init` at a time per machine: the plugin cache is not safe for
    concurrent writers (two inits at once fail with "still not detected in ...")."""
    lock_path = write_cli_config().parent / "plugin-cache.lock"
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


class TerraformError(RuntimeError):
    def __init__(self, args: Sequence[str], cwd: Path | str, result: subprocess.CompletedProcess[str]):
        self.result, self.cwd = result, Path(cwd)
        super().__init__(
            f"terraform {' '.join(args)} failed in {cwd} (exit {result.returncode}):\n"
            f"{result.stderr.strip() or result.stdout.strip()}")
