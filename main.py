#!/usr/bin/env python
"""ocp-upi-tf: the cdktf app, and the project's commands.

    python main.py                 synthesize every tier into $CDKTF_OUTDIR (default cdktf.out);
                                   this is what `cdktf synth` runs (see cdktf.json)
    python main.py config          print the effective configuration as JSON (a valid config file)
    python main.py terraform-rc    write the Terraform CLI configuration and print its path
    python main.py apply [TIER...]    terraform init + apply the synthesized tiers, in dependency order
    python main.py destroy TIER...    terraform destroy the named tiers, dependents first
    python main.py export-modules [--out DIR]
                                   write every tier as a reusable Terraform module (default
                                   terraform-modules/, the committed copy)

The cluster configuration comes from the file named by $OCP_CLUSTER_CONFIG, or the
embedded example cluster when it is unset.
"""
from __future__ import annotations

import argparse
import json
import sys

from modules.config import ConfigError, load_config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="main.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", nargs="?", default="synth",
                        choices=("synth", "config", "terraform-rc", "apply", "destroy", "export-modules"))
    parser.add_argument("tiers", nargs="*", metavar="TIER", help="tiers for apply/destroy (apply: default all)")
    parser.add_argument("--out", metavar="DIR", help="export-modules: where to write the modules")
    args = parser.parse_args(argv)
    if args.command == "export-modules":  # modules take no cluster configuration
        from modules.export import MODULES_DIR, export_modules

        for folder in export_modules(args.out or MODULES_DIR):
            print(f"wrote {folder}")
        return 0
    try:
        config = load_config()
    except ConfigError as error:
        print(error.report(), file=sys.stderr)
        return 2

    if args.command == "config":
        json.dump(config.to_document(), sys.stdout, indent=2)
        print()
    elif args.command == "terraform-rc":
        from modules.terraform_cli import write_cli_config

        print(write_cli_config())
    elif args.command in ("apply", "destroy"):
        from modules import deploy
        from modules.app import resolve_outdir
        from modules.terraform_cli import TerraformError

        try:
            action = deploy.apply if args.command == "apply" else deploy.destroy
            action(resolve_outdir(), config.cluster_name, args.tiers)
        except (deploy.DeployError, TerraformError) as error:
            print(f"{args.command} failed: {error}", file=sys.stderr)
            return 1
    else:
        # Imported here: loading the AWS bindings costs seconds that `config` does not need.
        from modules.app import synthesize

        outdir = synthesize([config])
        print(f"synthesized {config.cluster_name} into {outdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
