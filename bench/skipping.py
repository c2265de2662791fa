"""Benchmarks of reviewing and applying only what changed (docs/operations/review.md).

    python3 -m pipenv run python bench/skipping.py [--clusters 10]

On one emulator, a fleet of `--clusters` clusters (the example cluster under other names) is
synthesized in one app and applied with `main.py apply`, which records each tier (untimed). Then
each figure times the real command, `python main.py ...` as a user runs it, once the synthesis is
current (untimed), in one run, each pair back to back:

  (g) plan-review of c00 with one more worker: every tier (--all), then skipping the unchanged
  (h) plan-review of the unchanged c01: --all, then skipping
  (i) the fleet with c00 changed: plan-review --all of every cluster, then the fleet review
  (j) apply of c00 with one more worker: --all, then skipping (each adds one worker)
  (k) apply of the unchanged c01: --all, then skipping
  (l) apply of every cluster of the fleet, c00 with one more worker: --all, then skipping

Prints a table of the pairs and their ratios, the goals, then one JSON line. The emulator
runs without injected faults here: retries would add noise to single measurements.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from modules.configuration import EXAMPLE, parse_config  # noqa: E402  (no bindings: cheap)

PYTHON = str(ROOT / ".venv" / "bin" / "python")
GOALS = {"g": 0.3, "h": 0.1, "i": 0.2, "j": 0.3, "k": 0.1, "l": 0.2}  # skipping / --all, at most


class Fleet:
    """The fleet file, the output folder, and `main.py` run against the emulator."""

    def __init__(self, workdir: Path, emulator: Any, count: int):
        self.workdir, self.emulator, self.replicas = workdir, emulator, {}
        ami = emulator.client("ec2").describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
        self.clusters = []
        for i in range(count):
            name = f"c{i:02d}"
            cluster = json.loads(json.dumps(EXAMPLE))
            cluster.update(cluster_name=name, infra_id=f"{name}-x7k2q", base_domain="example.com",
                           bootstrap={"ignition": f"s3://{name}-x7k2q-ignition/bootstrap.ign"},
                           rhcos_ami=ami, aws_endpoints=emulator.endpoints)
            self.clusters.append(cluster)
            self.replicas[name] = parse_config(cluster).compute.replicas  # the example takes the default
        self.config, self.outdir = workdir / "fleet.json", workdir / "out"
        self.write()

    def write(self) -> None:
        for cluster in self.clusters:
            cluster["compute"] = {**cluster.get("compute", {}), "replicas": self.replicas[cluster["cluster_name"]]}
        self.config.write_text(json.dumps({"clusters": self.clusters}))

    def main(self, *args: str) -> float:
        """Seconds `python main.py ARGS` took; exit 0 or 2 (a review with changes) only."""
        env = {**os.environ, **self.emulator.env, "OCP_CLUSTER_CONFIG": str(self.config),
               "CDKTF_OUTDIR": str(self.outdir)}
        started = time.perf_counter()
        result = subprocess.run([PYTHON, "main.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)
        elapsed = time.perf_counter() - started
        if result.returncode not in (0, 2):
            raise RuntimeError(f"main.py {' '.join(args)} failed (exit {result.returncode}):\n{result.stderr[-3000:]}")
        return elapsed

    def one_more_worker(self, name: str) -> None:
        self.replicas[name] += 1
        self.write()
        self.main("synth")  # untimed: the figures time the review or apply, not the synthesis


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clusters", type=int, default=10)
    args = parser.parse_args()
    from emulator import Emulator

    workdir = Path(tempfile.mkdtemp(prefix="ocp-bench-skip-"))
    pairs: dict[str, tuple[str, float, float]] = {}
    try:
        with Emulator(fault_rate=0.0) as emulator:
            emulator.client("route53").create_hosted_zone(Name="example.com", CallerReference="bench")
            fleet = Fleet(workdir, emulator, args.clusters)
            names = [cluster["cluster_name"] for cluster in fleet.clusters]
            fleet.main("synth")
            setup = sum(fleet.main("apply", "--cluster", name) for name in names)
            print(f"set-up: {len(names)} clusters applied in {setup:.0f} s", flush=True)
            changed, unchanged = names[0], names[1]
            review = ["plan-review", "--out", str(workdir / "review")]

            fleet.one_more_worker(changed)
            pairs["g"] = ("plan-review, one more worker", fleet.main(*review, "--cluster", changed, "--all"),
                          fleet.main(*review, "--cluster", changed))
            pairs["h"] = ("plan-review, unchanged cluster", fleet.main(*review, "--cluster", unchanged, "--all"),
                          fleet.main(*review, "--cluster", unchanged))
            pairs["i"] = (f"plan-review, fleet of {len(names)}, one changed", fleet.main(*review, "--all"),
                          fleet.main(*review))
            everything = fleet.main("apply", "--cluster", changed, "--all")
            fleet.one_more_worker(changed)
            pairs["j"] = ("apply, one more worker", everything, fleet.main("apply", "--cluster", changed))
            pairs["k"] = ("apply, unchanged cluster", fleet.main("apply", "--cluster", unchanged, "--all"),
                          fleet.main("apply", "--cluster", unchanged))
            fleet.one_more_worker(changed)
            everything = sum(fleet.main("apply", "--cluster", name, "--all") for name in names)
            fleet.one_more_worker(changed)
            pairs["l"] = (f"apply, fleet of {len(names)}, one changed", everything,
                          sum(fleet.main("apply", "--cluster", name) for name in names))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    print(f"{'figure':<46} {'--all s':>8} {'skipping s':>11} {'ratio':>6}")
    results: dict[str, Any] = {"cores": os.cpu_count(), "clusters": args.clusters}
    for key, (label, full, skipping) in pairs.items():
        ratio = skipping / full
        results.update({f"{key}.all": round(full, 2), f"{key}.skipping": round(skipping, 2), key: round(ratio, 3)})
        print(f"({key}) {label:<42} {full:>8.1f} {skipping:>11.1f} {ratio:>6.3f}")
    print()
    for key, limit in GOALS.items():
        print(f"goal {key} <= {limit}: {results[key]:.3f} {'met' if results[key] <= limit else 'MISSED'}")
    print(json.dumps(results, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
