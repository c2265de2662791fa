"""Benchmarks of synthesizing a fleet: a change costs what it touches (docs/fleets.md).

    python3 -m pipenv run python bench/fleet.py [--runs 3] [--clusters 100]

Each figure is `python main.py ...` as a user runs it, measured `--runs` times, each time right
after (b'), the forced synthesis of the one default cluster, and reported as the median time and
the median ratio to (b') in the same pair:

  (b') python main.py synth --force, the default cluster (7 stacks)
  (m)  synth --cluster c42 --force, in a fleet of `--clusters` (that cluster only)
  (n)  synth of the fleet with one tag of one cluster changed (the others current)
  (o)  synth --force of the whole fleet, with the peak resident memory of its process tree
  (p)  synth of the fleet again, nothing changed

Prints a table, the goals, then one JSON line.
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
import threading
import time
from pathlib import Path

from run import PYTHON, ROOT, fleet_config  # bench/run.py: the same fleet, the same interpreter

from modules.configuration import EXAMPLE  # noqa: E402  (run put the project on the path; no bindings)

GOALS = {"m": 1.15, "n": 1.2, "o": 3.0}  # x (b'), at most


def tree_rss(pid: int) -> int:
    """Resident bytes of `pid` and its descendants now (the Python process and jsii's node)."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            with open(f"/proc/{current}/statm") as statm:
                total += int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    pending.extend(int(child) for child in children.read().split())
        except (OSError, ValueError):
            continue  # gone meanwhile
    return total


def main_py(args: list[str], config: Path, outdir: Path) -> tuple[float, int]:
    """Seconds `python main.py ARGS` took, and the peak resident memory of its process tree."""
    env = {**os.environ, "OCP_CLUSTER_CONFIG": str(config), "CDKTF_OUTDIR": str(outdir)}
    started = time.perf_counter()
    process = subprocess.Popen([PYTHON, "main.py", *args], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = [0]

    def sample() -> None:
        while process.poll() is None:
            peak[0] = max(peak[0], tree_rss(process.pid))
            time.sleep(0.2)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = process.communicate()
    elapsed = time.perf_counter() - started
    sampler.join()
    if process.returncode != 0:
        raise RuntimeError(f"main.py {' '.join(args)} failed (exit {process.returncode}):\n{stderr[-2000:]}")
    return elapsed, peak[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--clusters", type=int, default=100)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="ocp-bench-fleet-"))
    named = f"c{args.clusters // 2:02d}"
    times: dict[str, list[float]] = {key: [] for key in ("b'", "m", "n", "o", "p")}
    ratios: dict[str, list[float]] = {key: [] for key in ("m", "n", "o", "p")}
    peak = 0
    try:
        one = workdir / "one.json"
        one.write_text(json.dumps(EXAMPLE))
        fleet = fleet_config(workdir, args.clusters)
        document = json.loads(fleet.read_text())
        fleet_out = workdir / "fleet.out"
        main_py(["synth"], fleet, fleet_out)  # untimed: (n) and (p) start from a current output

        def one_tag_changed(run: int) -> None:
            document["clusters"][1]["tags"] = {**document["clusters"][1].get("tags", {}), "bench": str(run)}
            fleet.write_text(json.dumps(document))

        for run in range(args.runs):
            def pair(key: str, argv: list[str], outdir: Path) -> int:
                base, _ = main_py(["synth", "--force"], one, workdir / "one.out")
                elapsed, memory = main_py(argv, fleet, outdir)
                times["b'"].append(base)
                times[key].append(elapsed)
                ratios[key].append(elapsed / base)
                return memory

            pair("m", ["synth", "--cluster", named, "--force"], workdir / f"m{run}.out")
            one_tag_changed(run)
            pair("n", ["synth"], fleet_out)
            peak = max(peak, pair("o", ["synth", "--force"], workdir / f"o{run}.out"))
            pair("p", ["synth"], fleet_out)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    labels = {"b'": "synth --force, the default cluster (7 stacks)",
              "m": f"synth --cluster {named} --force, fleet of {args.clusters}",
              "n": f"synth, fleet of {args.clusters}, one tag of one cluster changed",
              "o": f"synth --force, fleet of {args.clusters} ({7 * args.clusters} stacks)",
              "p": f"synth, fleet of {args.clusters}, nothing changed"}
    results = {"cores": os.cpu_count(), "runs": args.runs, "clusters": args.clusters,
               "peak_rss_mb.o": round(peak / 2**20),
               **{key: round(statistics.median(values), 2) for key, values in times.items()},
               **{f"{key}/b'": round(statistics.median(values), 3) for key, values in ratios.items()}}
    print(f"{'figure':<62} {'median s':>9} {'x (b)':>6}")
    for key, label in labels.items():
        ratio = 1.0 if key == "b'" else results[f"{key}/b'"]
        print(f"{f'({key}) {label}':<62} {results[key]:>9.2f} {ratio:>6.2f}")
    print(f"peak resident memory of (o), Python and node: {results['peak_rss_mb.o']} MiB")
    print()
    for key, limit in GOALS.items():
        value = results[f"{key}/b'"]
        print(f"goal {key}/b' <= {limit}: {value:.3f} {'met' if value <= limit else 'MISSED'}")
    print(json.dumps(results, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
