"""Benchmarks: what synthesis, validation and plans cost, against the floor every run pays.

    python3 -m pipenv run python bench/run.py [--runs 3] [--no-emulator]

Each figure is measured `--runs` times, each time right after a run of the
floor (a), and reported as the median time and the median of the per-pair
ratios to the floor: on a shared machine separate medians drift by 20-40%
between runs, pairs much less. Prints a table, then one JSON line.

  (a) floor: a Python process that imports the AWS bindings and synthesizes one empty stack
  (b) `cdktf synth` of every tier of the default cluster (forced: no skipping)
  (b') the same synthesis without the cdktf CLI (`python main.py synth --force`)
  (c) `cdktf synth` of 10 clusters in one app (70 stacks)
  (d) README's main command again, configuration and code unchanged
  (e) `terraform validate` of the 7 stacks (initialized beforehand)
  (f) `terraform plan` of the 7 tiers against the emulator, after an apply (needs the dev packages)
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from modules.operations import applying, deploy, terraform  # noqa: E402  (no bindings: cheap)
from modules.configuration import EXAMPLE  # noqa: E402

PYTHON = str(ROOT / ".venv" / "bin" / "python")
GOALS = {"b/a": 1.15, "c/b": 1.6, "d/b": 0.1}


@dataclass
class Figure:
    key: str
    label: str
    run: Callable[[], None]
    times: list[float] = field(default_factory=list)
    ratios: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)


def command(args: list[str], **env: str) -> Callable[[], None]:
    def run() -> None:
        result = subprocess.run(args, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), **env},
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed (exit {result.returncode}):\n{result.stderr[-2000:]}")
    return run


def timed(run: Callable[[], None]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def fleet_config(workdir: Path, count: int) -> Path:
    clusters = []
    for i in range(count):
        cluster = json.loads(json.dumps(EXAMPLE))
        cluster.update(cluster_name=f"c{i:02d}", infra_id=f"c{i:02d}-x7k2q",
                       bootstrap={"ignition": f"s3://c{i:02d}-x7k2q-ignition/bootstrap.ign"})
        clusters.append(cluster)
    path = workdir / "fleet.json"
    path.write_text(json.dumps({"clusters": clusters}))
    return path


def validate_all(outdir: Path) -> Callable[[], None]:
    stacks = deploy.stack_order(outdir, "ocp4")
    for stack in stacks:  # once, untimed: validate needs the provider installed
        terraform.init(deploy.stack_dir(outdir, stack), backend=False)

    def run() -> None:
        for stack in stacks:
            terraform.run(["validate", "-no-color"], deploy.stack_dir(outdir, stack))
    return run


def emulator_plans(workdir: Path, stack: list) -> Callable[[], None]:
    """Apply the default cluster on a fresh emulator (untimed); the measured run plans every tier."""
    from emulator import Emulator

    emulator = Emulator()
    stack.append(emulator)
    emulator.__enter__()
    emulator.client("route53").create_hosted_zone(Name="example.com", CallerReference="bench")
    ami = emulator.client("ec2").describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    config = {**json.loads(json.dumps(EXAMPLE)), "rhcos_ami": ami, "aws_endpoints": emulator.endpoints}
    (workdir / "emulator.json").write_text(json.dumps(config))
    outdir = workdir / "emulator.out"
    command([PYTHON, "main.py"], OCP_CLUSTER_CONFIG=str(workdir / "emulator.json"), CDKTF_OUTDIR=str(outdir))()
    applying.apply(outdir, "ocp4", log=lambda message: None, env=emulator.env)
    stacks = deploy.stack_order(outdir, "ocp4")

    def run() -> None:
        for name in stacks:
            empty, text = deploy.plan_is_empty(outdir, name, env=emulator.env)
            if not empty:
                raise RuntimeError(f"{name} did not converge:\n{text[-2000:]}")
    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-emulator", action="store_true", help="skip (f), which needs moto")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="ocp-bench-"))
    running: list = []
    try:
        cdktf = [str(ROOT / "scripts" / "cdktf"), "synth"]
        floor = command([PYTHON, "bench/floor.py"])
        readme_out = workdir / "readme.out"
        main_command = command(["bash", "-c", "bash scripts/install && .venv/bin/python main.py"],
                               CDKTF_OUTDIR=str(readme_out))
        main_command()  # the first run synthesizes; (d) measures the ones after it
        figures = [
            Figure("b", "cdktf synth, default cluster (7 stacks)",
                   command(cdktf + ["--output", str(workdir / "b.out")], OCP_FORCE_SYNTH="1")),
            Figure("b'", "python main.py synth --force (the same, without the cdktf CLI)",
                   command([PYTHON, "main.py", "synth", "--force"], CDKTF_OUTDIR=str(workdir / "b2.out"))),
            Figure("c", "cdktf synth, 10 clusters in one app (70 stacks)",
                   command(cdktf + ["--output", str(workdir / "c.out")], OCP_FORCE_SYNTH="1",
                           OCP_CLUSTER_CONFIG=str(fleet_config(workdir, 10)))),
            Figure("d", "README main command again, nothing changed", main_command),
            Figure("e", "terraform validate, 7 stacks", validate_all(readme_out)),
        ]
        if not args.no_emulator:
            figures.append(Figure("f", "terraform plan, 7 tiers on the emulator after apply",
                                  emulator_plans(workdir, running)))
        floor_times: list[float] = []
        for _ in range(args.runs):
            for figure in figures:
                base = timed(floor)
                elapsed = timed(figure.run)
                floor_times.append(base)
                figure.times.append(elapsed)
                figure.ratios.append(elapsed / base)
    finally:
        for emulator in running:
            emulator.__exit__(None, None, None)
        shutil.rmtree(workdir, ignore_errors=True)
    for emulator in running:  # (f) runs on the strict emulator, throttling and 5xx included
        print("emulator faults (survived/injected): " + ", ".join(
            f"{service} {c['survived']}/{c['injected']}" for service, c in sorted(emulator.faults_at_exit.items())))

    by_key = {figure.key: figure for figure in figures}
    results = {
        "cores": os.cpu_count(), "runs": args.runs, "a": round(statistics.median(floor_times), 2),
        **{key: round(figure.median, 2) for key, figure in by_key.items()},
        **{f"{key}/a": round(figure.ratio, 3) for key, figure in by_key.items()},
        "c/b": round(by_key["c"].ratio / by_key["b"].ratio, 3),
        "d/b": round(by_key["d"].ratio / by_key["b"].ratio, 3),
    }
    print(f"{'figure':<60} {'median s':>9} {'x floor':>8}")
    print(f"{'(a) floor: import the bindings, synthesize an empty stack':<60} {results['a']:>9.2f} {1:>8.2f}")
    for figure in figures:
        label = f"({figure.key}) {figure.label}"
        print(f"{label:<60} {figure.median:>9.2f} {figure.ratio:>8.2f}")
    print()
    for goal, limit in GOALS.items():
        value = results[goal]
        print(f"goal {goal} <= {limit}: {value:.3f} {'met' if value <= limit else 'MISSED'}")
    print(json.dumps(results, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
