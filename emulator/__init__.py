"""The AWS emulator the end-to-end tests and the benchmarks run against: moto in server mode on 127.0.0.1.

Each `Emulator` is its own process (`server.py`), with the harness's patches to
moto applied (`patches.py`). Terraform reaches it through the configuration's
`aws_endpoints`, exactly as it would reach a private API endpoint. Test tooling,
not product: nothing under modules/ imports it (it needs the dev packages).
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
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
    def __init__(self, region: str = "us-east-1", *, background: bool = False):
        """`background`: terraform run with this emulator's `env` gets a lower CPU priority."""
        self.region = region
        self.background = niced_terraform() if background else None
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[str] | None = None
        self.cpu_seconds = 0.0

    def __enter__(self) -> "Emulator":
        self._process = subprocess.Popen(
            [sys.executable, "-m", "emulator.server", str(self.port)], cwd=ROOT, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)})
        if self._process.stdout.readline().strip() != "ready":  # type: ignore[union-attr]
            self._process.kill()
            raise RuntimeError("the AWS emulator did not start")
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._process is not None:
            self.cpu_seconds = self._cpu_seconds()
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

    def client(self, service: str, *, role_arn: str | None = None) -> Any:
        """A client with the emulator's credentials, or with those of `role_arn` (moto keeps each
        account apart: an assumed role of account B sees B's resources, and only those)."""
        if role_arn is None:
            return boto3.client(service, endpoint_url=self.url, region_name=self.region,
                                aws_access_key_id="testing", aws_secret_access_key="testing")
        keys = self.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="e2e")["Credentials"]
        return boto3.client(service, endpoint_url=self.url, region_name=self.region,
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
