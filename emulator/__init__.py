"""The AWS emulator the end-to-end tests and the benchmarks run against: moto in server mode on 127.0.0.1.

Each `Emulator` is its own process (`server.py`), with the harness's patches to
moto applied (`patches.py`), strict as AWS by default (`strict.py`: its refusals
and delays; `faults.py`: throttling and 5xx at DEFAULT_FAULT_RATE). Terraform reaches it through the configuration's
`aws_endpoints`, exactly as it would reach a private API endpoint. Test tooling,
not product: nothing under modules/ imports it (it needs the dev packages).
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

import boto3

ROOT = Path(__file__).resolve().parent.parent
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
# Every terraform command starts the AWS provider 2-3 times, and each start spends
# ~4 CPU-seconds building its schemas, much of it in Go's garbage collector. The
# flows run ~80 such commands on 2 cores, so the harness lets the heap grow 8x
# between collections (about +360 MB per process). Measured with `terraform
# validate` here: 6.2 CPU-s at Go's default, 4.7 at GOGC=400, 4.2 at 800; higher
# values or GOGC=off cost more in page faults than they save.
GO_RUNTIME = {"GOGC": "800"}
# Jobs off the critical path (the flows' apply-review-destroy chain is the longest)
# run terraform at a lower CPU priority, so on 2 cores they take what the flows leave.
BACKGROUND_NICENESS = 10
# The share of calls answered with throttling or a 5xx, per service (faults.py), and its seed:
# OCP_EMULATOR_FAULT_RATE=0.2 turns faults up locally, OCP_EMULATOR_STRICT=0 turns strictness off.
DEFAULT_FAULT_RATE = 0.03
DEFAULT_FAULT_SEED = 1
# The harness's own clients retry faults as the product's do (modules/operations/cluster_resources.py).
HARNESS_RETRIES = {"mode": "standard", "total_max_attempts": 8}
SERVICES = ("cloudfront", "dynamodb", "ec2", "elb", "elbv2", "iam", "resourcegroupstaggingapi", "route53", "s3",
            "sts")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def niced_terraform() -> Path:
    """A folder holding a `terraform` that runs the real one at BACKGROUND_NICENESS (same PID: exec)."""
    real = shutil.which("terraform")
    if real is None:
        raise RuntimeError("terraform is not on PATH")
    folder = Path(tempfile.mkdtemp(prefix="niced-terraform-"))
    shim = folder / "terraform"
    shim.write_text(f'#!/bin/sh\nexec nice -n {BACKGROUND_NICENESS} "{real}" "$@"\n')
    shim.chmod(0o755)
    return folder


class Emulator:
    def __init__(self, region: str = "us-east-1", *, background: bool = False, fault_rate: float | None = None,
                 seed: int | None = None):
        """`background`: terraform run with this emulator's `env` gets a lower CPU priority. `fault_rate`
        and `seed`: faults.py's (default: $OCP_EMULATOR_FAULT_RATE, else DEFAULT_FAULT_RATE)."""
        self.region = region
        self.fault_rate = float(os.environ.get("OCP_EMULATOR_FAULT_RATE", DEFAULT_FAULT_RATE)) \
            if fault_rate is None else fault_rate
        self.seed = int(os.environ.get("OCP_EMULATOR_FAULT_SEED", DEFAULT_FAULT_SEED)) if seed is None else seed
        self.background = niced_terraform() if background else None
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[str] | None = None
        self.cpu_seconds = 0.0
        self.faults_at_exit: dict[str, dict[str, int]] = {}

    def __enter__(self) -> "Emulator":
        self._process = subprocess.Popen(
            [sys.executable, "-m", "emulator.server", str(self.port)], cwd=ROOT, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(ROOT), "OCP_EMULATOR_FAULT_RATE": str(self.fault_rate),
                 "OCP_EMULATOR_FAULT_SEED": str(self.seed)})
        if self._process.stdout.readline().strip() != "ready":  # type: ignore[union-attr]
            self._process.kill()
            raise RuntimeError("the AWS emulator did not start")
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._process is not None:
            self.cpu_seconds = self._cpu_seconds()
            self.faults_at_exit = self.faults()
            self._process.stdin.close()  # type: ignore[union-attr]
            try:
                self._process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self._process.kill()
        if self.background is not None:
            shutil.rmtree(self.background, ignore_errors=True)

    def _cpu_seconds(self) -> float:
        """CPU the emulator process has used so far (user + system), for the timings line."""
        try:
            fields = Path(f"/proc/{self._process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, AttributeError):
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def faults(self) -> dict[str, dict[str, int]]:
        """Per service, the faults injected so far and how many of them a retry got through."""
        try:
            with urllib.request.urlopen(f"{self.url}/_emulator/faults", timeout=10) as answer:
                return json.loads(answer.read())
        except OSError:
            return {}

    def client(self, service: str, *, role_arn: str | None = None) -> Any:
        """A client with the emulator's credentials, or with those of `role_arn` (moto keeps each
        account apart: an assumed role of account B sees B's resources, and only those)."""
        from botocore.config import Config

        retries = Config(retries=HARNESS_RETRIES)
        if role_arn is None:
            return boto3.client(service, endpoint_url=self.url, region_name=self.region, config=retries,
                                aws_access_key_id="testing", aws_secret_access_key="testing")
        keys = self.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="e2e")["Credentials"]
        return boto3.client(service, endpoint_url=self.url, region_name=self.region, config=retries,
                            aws_access_key_id=keys["AccessKeyId"], aws_secret_access_key=keys["SecretAccessKey"],
                            aws_session_token=keys["SessionToken"])

    @property
    def endpoints(self) -> dict[str, str]:
        return {service: self.url for service in SERVICES}

    @property
    def env(self) -> dict[str, str]:
        """Environment for terraform: emulator credentials, nothing from the machine's own AWS setup."""
        env = {**CREDENTIALS, "AWS_REGION": self.region, "AWS_EC2_METADATA_DISABLED": "true",
               "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", **GO_RUNTIME}
        if self.background is not None:
            env["PATH"] = f"{self.background}{os.pathsep}{os.environ['PATH']}"
        return env
