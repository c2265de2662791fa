#!/usr/bin/env python
"""ocp-upi-tf: the cdktf app, and the project's commands.

    python main.py [--force]       synthesize every tier of every cluster into $CDKTF_OUTDIR (default
                                   cdktf.out); this is what `cdktf synth` runs (see cdktf.json).
                                   Skipped when configuration, code and tools are unchanged since
                                   the last synthesis there (--force, or OCP_FORCE_SYNTH=1: always)
    python main.py config          print the effective configuration as JSON (a valid config file)
    python main.py terraform-rc    write the Terraform CLI configuration and print its path
    python main.py apply [TIER...]    terraform init + apply the synthesized tiers, in dependency order
    python main.py destroy TIER...    terraform destroy the named tiers, dependents first
                                   (with several clusters: --cluster NAME)
    python main.py plan-review [--out DIR] [--target TIER] [--fail-on attention]
                                   plan every tier and write plan-review.md and .json to DIR
                                   (default: the output folder); exit 0 no changes, 2 changes, 1 error
    python main.py export-modules [--out DIR]
                                   write every tier as a reusable Terraform module (default
                                   terraform-modules/, the committed copy)

The configuration comes from the file named by $OCP_CLUSTER_CONFIG (one cluster, or
`clusters:` and a list of them), or the embedded example cluster when it is unset.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from modules.config import ConfigError, load_configs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="main.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", nargs="?", default="synth",
                        choices=("synth", "config", "terraform-rc", "apply", "destroy", "plan-review",
                                 "export-modules"))
    parser.add_argument("tiers", nargs="*", metavar="TIER", help="tiers for apply/destroy (apply: default all)")
    parser.add_argument("--out", metavar="DIR", help="export-modules: where to write the modules")
    parser.add_argument("--force", action="store_true", help="synth: synthesize even if nothing changed")
    parser.add_argument("--cluster", metavar="NAME", help="apply/destroy/plan-review: which cluster of a fleet")
    parser.add_argument("--target", metavar="TIER", help="plan-review: the tier the change is meant for")
    parser.add_argument("--fail-on", choices=("attention",), help="plan-review: exit 1 on attention items")
    args = parser.parse_args(argv)
    if args.command == "terraform-rc":  # needs no configuration (scripts/install runs it)
        from modules.terraform_cli import write_cli_config

        print(write_cli_config())
        return 0
    if args.command == "export-modules":  # modules take no cluster configuration
        from modules.export import MODULES_DIR, export_modules

        for folder in export_modules(args.out or MODULES_DIR):
            print(f"wrote {folder}")
        return 0
    try:
        configs = load_configs()
    except ConfigError as error:
        print(error.report(), file=sys.stderr)
        return 2

    if args.command == "config":
        documents = [config.to_document() for config in configs]
        json.dump(documents[0] if len(documents) == 1 else {"clusters": documents}, sys.stdout, indent=2)
        print()
    elif args.command == "plan-review":
        return plan_review(args, configs)
    elif args.command in ("apply", "destroy"):
        from modules import deploy
        from modules.fingerprint import resolve_outdir
        from modules.terraform_cli import TerraformError

        cluster = pick_cluster(args, configs)
        if cluster is None:
            return 2
        try:
            action = deploy.apply if args.command == "apply" else deploy.destroy
            action(resolve_outdir(), cluster, args.tiers)
        except (deploy.DeployError, TerraformError) as error:
            print(f"{args.command} failed: {error}", file=sys.stderr)
            return 1
    else:
        names = ", ".join(config.cluster_name for config in configs)
        outdir, synthesized = synthesize_if_changed(
            configs, force=args.force or os.environ.get("OCP_FORCE_SYNTH") == "1")
        if synthesized:
            print(f"synthesized {names} into {outdir}")
        else:
            print(f"{names}: unchanged since the last synthesis into {outdir}; nothing to do (--force redoes it)")
    return 0


def synthesize_if_changed(configs: list, *, force: bool = False) -> tuple[Path, bool]:
    """(output folder, whether it was synthesized): skipped when its record matches the inputs."""
    from modules import fingerprint

    outdir = fingerprint.resolve_outdir()
    if not force and fingerprint.unchanged(outdir, fingerprint.fingerprint(configs)):
        return outdir, False
    # Imported here: loading the AWS bindings costs seconds that the other paths do not need.
    from modules.app import synthesize

    return synthesize(configs, outdir), True


def pick_cluster(args: argparse.Namespace, configs: list) -> str | None:
    """The cluster a command acts on: `--cluster`, or the only one; None (and a message) otherwise."""
    names = [config.cluster_name for config in configs]
    cluster = args.cluster or (names[0] if len(names) == 1 else None)
    if cluster not in names:
        print(f"{args.command}: name the cluster with --cluster, one of: {', '.join(names)}", file=sys.stderr)
        return None
    return cluster


def plan_review(args: argparse.Namespace, configs: list) -> int:
    """Synthesize (unless unchanged), plan every tier, write the report; 0 no changes, 2 changes, 1 error."""
    cluster = pick_cluster(args, configs)
    if cluster is None:
        return 1
    from modules import plan_review as reviewing

    outdir, _ = synthesize_if_changed(configs)
    try:
        result = reviewing.review_cluster(outdir, cluster, target=args.target)
    except (RuntimeError, ValueError) as error:  # TerraformError and checkov failures are RuntimeErrors
        print(f"plan-review failed: {error}", file=sys.stderr)
        return 1
    markdown = reviewing.write_report(result, Path(args.out or outdir))
    print(f"wrote {markdown}: {len(result.attention)} attention item(s)")
    return reviewing.exit_status(result, fail_on_attention=args.fail_on == "attention")


if __name__ == "__main__":
    # Messages quote the user's values, which may hold anything: never fail on printing them.
    sys.stderr.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
    sys.exit(main())
