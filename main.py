#!/usr/bin/env python
"""ocp-upi-tf: the cdktf app, and the project's commands.

    python main.py [COMMAND] [ARGUMENTS]     (no command: synth, which is what `cdktf synth` runs)

Every command and its arguments: docs/reference/commands.md, or `main.py COMMAND --help`; its exit
status: EXIT_STATUSES below (docs/reference/exit-statuses.md). Both pages are generated from this file
by `main.py config-schema`. The configuration comes from the file named by $OCP_CLUSTER_CONFIG (one
cluster, or `clusters:` and a list of them), or the embedded example cluster when it is unset.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import NoReturn

from modules import __version__
from modules.configuration import ClusterConfig, ConfigError, Tier, load_configs
from modules.configuration.loading import CONFIG_ENV
from modules.configuration.topology import UnknownTier, stack_name, tier_named
from modules.operations import waiting
from modules.operations.cluster_resources import AwsError
from modules.operations.fingerprint import Synthesis

OK, FAILED, CHANGES, REFUSED, USAGE, INVALID_CONFIG = 0, 1, 2, 3, 64, 65
EXIT_STATUSES = (
    (OK, "done; for `plan-review`, nothing would change; for `doctor`, every check passed"),
    (FAILED, "failed: Terraform, AWS or checkov reported an error; `plan-review --fail-on attention` with attention "
             "items; `doctor` with a failed check"),
    (CHANGES, "`plan-review` only: there are changes to review (as `terraform plan -detailed-exitcode`)"),
    (REFUSED, "refused, nothing (more) changed: `apply` met a plan that replaces or deletes something precious "
              "without `--allow-replace`, or a review that is stale, of other code, or whose upstream outputs moved; "
              "`destroy` found the cluster's data and `--delete-data` was not given; `unlock` left a lock whose "
              "holder may still run. The message names each address and what was applied before the refusal"),
    (USAGE, "bad command line: unknown command, tier or flag, or a fleet without `--cluster`"),
    (INVALID_CONFIG, "invalid configuration: one message per bad field on standard error, each naming its key's "
                     "entry in the configuration reference; nothing written"),
)


class UsageError(Exception):
    pass


class Parser(argparse.ArgumentParser):
    """argparse, exiting with USAGE (its own 2 is plan-review's "changes")."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(USAGE, f"{self.prog}: error: {message}\n")


def tier_argument(name: str) -> Tier:
    try:
        return tier_named(name)
    except UnknownTier as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def parser() -> Parser:
    from modules.operations.doctor import CHECKS  # boto3 only when a check runs

    top = Parser(prog="main.py", description=__doc__.split("\n\n")[0])
    top.add_argument("--version", action="version", version=f"ocp-upi-tf {__version__}")
    commands = top.add_subparsers(dest="command", metavar="COMMAND")
    synth = commands.add_parser("synth", help="synthesize every cluster (the default command)")
    synth.add_argument("--force", action="store_true", help="synthesize even if nothing changed")
    synth.add_argument("--cluster", metavar="NAME", help="that cluster of a fleet only")
    commands.add_parser("config", help="print the effective configuration as JSON")
    commands.add_parser("terraform-rc", help="write the Terraform CLI configuration, print its path")
    apply = commands.add_parser("apply", help="plan, check and apply the tiers in dependency order")
    apply.add_argument("tiers", nargs="*", metavar="TIER", type=tier_argument, help="default: every tier")
    apply.add_argument("--allow-replace", action="append", default=[], metavar="TIER|ADDRESS",
                       help="a tier, or a resource address, whose precious resources may be replaced or deleted")
    apply.add_argument("--reviewed", metavar="DIR", help="apply the plans `plan-review --out DIR` saved there")
    apply.add_argument("--all", action="store_true", dest="everything",
                       help="plan every tier, also those unchanged since they were applied")
    destroy = commands.add_parser("destroy", help="destroy the named tiers, dependents first")
    destroy.add_argument("tiers", nargs="+", metavar="TIER", type=tier_argument)
    destroy.add_argument("--dry-run", action="store_true", help="list what would be deleted; change nothing")
    destroy.add_argument("--delete-data", action="store_true",
                         help="also delete the cluster's buckets, volumes and snapshots")
    replace = commands.add_parser("replace", help="replace one machine and its registrations, nothing else")
    replace.add_argument("tier", metavar="TIER", type=tier_argument, help="bootstrap, control-plane or compute")
    replace.add_argument("machine", metavar="MACHINE", help="the machine key: 0, 1, 2, ...")
    unlock = commands.add_parser("unlock", help="break the locks a killed run left, adopt what it created")
    unlock.add_argument("tiers", nargs="+", metavar="TIER", type=tier_argument)
    unlock.add_argument("--force", action="store_true",
                        help="also break a lock taken on another machine (make sure its run is over)")
    review = commands.add_parser("plan-review", help="plan every tier and write the review")
    review.add_argument("--out", metavar="DIR", help="where to write plan-review.md/.json (default: the output)")
    review.add_argument("--target", metavar="TIER", type=tier_argument, help="the tier the change is meant for")
    review.add_argument("--fail-on", choices=("attention",), help="exit 1 on attention items")
    review.add_argument("--all", action="store_true", dest="everything",
                        help="plan every tier, also those unchanged since they were applied (finds drift there)")
    review.add_argument("--list", action="store_true",
                        help="print, as JSON, the clusters with a tier to plan; plan nothing")
    manifests = commands.add_parser("sts-manifests", help="write manual mode's Secrets and Authentication config")
    manifests.add_argument("--out", metavar="DIR", required=True, help="the installer's folder: writes DIR/manifests/")
    machinesets = commands.add_parser("machinesets", help="write worker MachineSets that resolve on this "
                                                          "infrastructure")
    machinesets.add_argument("--out", metavar="DIR", required=True,
                             help="the installer's folder: writes DIR/openshift/ (or a folder for `oc apply -f`)")
    for command in (apply, destroy, replace, unlock, review, manifests, machinesets):
        command.add_argument("--cluster", metavar="NAME", help="which cluster of a fleet")
    export = commands.add_parser("export-modules", help="write every tier as a reusable Terraform module")
    export.add_argument("--out", metavar="DIR", help="default: terraform-modules/ (the committed copy)")
    doctor = commands.add_parser("doctor", help="check the tools, the account and its quotas before an apply, "
                                                "each failure with its fix")
    doctor.add_argument("--cluster", metavar="NAME", help="which cluster of a fleet")
    doctor.add_argument("--check", action="append", default=[], metavar="CHECK", dest="checks",
                        choices=CHECKS, help=f"only this check (repeatable): {', '.join(CHECKS)}")
    schema = commands.add_parser("config-schema", help="write the configuration's JSON Schemas and the generated "
                                                       "reference pages (configuration, commands, exit statuses, "
                                                       "doctor)")
    schema.add_argument("--out", metavar="DIR", help="default: the project's root (schema/, docs/reference/)")
    return top


def main(argv: list[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    """Run one command. `env` stands for the process environment, which is where it is read from
    by default: $OCP_CLUSTER_CONFIG, $CDKTF_OUTDIR and $OCP_FORCE_SYNTH are read here, once."""
    env = os.environ if env is None else env
    args = parser().parse_args(argv)
    command = args.command or "synth"
    if command == "terraform-rc":  # needs no configuration (scripts/install runs it)
        from modules.operations.terraform import write_cli_config

        print(write_cli_config())
        return OK
    if command == "export-modules":  # modules take no cluster configuration
        from modules.operations.export import MODULES_DIR, export_modules

        for folder in export_modules(args.out or MODULES_DIR):
            print(f"wrote {folder}")
        return OK
    if command == "config-schema":  # from the code alone
        from modules.operations import reference

        for path in reference.write(Path(args.out or Path(__file__).parent), reference.generated(parser(),
                                                                                                 EXIT_STATUSES)):
            print(f"wrote {path}")
        return OK
    if command == "doctor":
        return doctor(args, env)
    from modules.operations.fingerprint import DEFAULT_OUTDIR, OUTDIR_ENV

    outdir = Path(env.get(OUTDIR_ENV) or DEFAULT_OUTDIR)
    try:
        configs = load_configs(env.get(CONFIG_ENV) or None)
        if command == "config":
            documents = [config.to_document() for config in configs]
            json.dump(documents[0] if len(documents) == 1 else {"clusters": documents}, sys.stdout, indent=2)
            print()
            return OK
        if command == "synth":
            force = getattr(args, "force", False) or env.get("OCP_FORCE_SYNTH") == "1"
            return synth(configs, outdir, cluster=getattr(args, "cluster", None), force=force)
        if command == "plan-review":  # a fleet is reviewed whole, unless --cluster names one
            for config in configs if not args.cluster else [named(args.cluster, configs)]:
                waiting.refuse_if_applied(config)
            return plan_review(args, configs, outdir)
        config = named(args.cluster, configs)
        if command == "apply":
            if args.reviewed and args.tiers:
                raise UsageError("--reviewed applies the whole review: name no tier")
            from modules.operations import guard

            try:
                args.allowance = guard.Allowance.parse(args.allow_replace)
            except guard.DeployError as error:
                raise UsageError(str(error)) from None
        wanted = [args.tier] if command == "replace" else list(getattr(args, "tiers", []))
        if any(tier in config.waiting for tier in wanted):
            raise UsageError(waiting.message(config))
        if command in ("sts-manifests", "machinesets"):  # from the states the configuration names: no synthesis
            return write_manifests(command, config, outdir, Path(args.out))
        if command == "apply":
            waiting.refuse_if_applied(config)
        if command in ("apply", "replace"):  # the plans must be of what the inputs say now
            update([config], outdir)
        else:  # destroy and unlock act on what was applied
            ensure(config, outdir)
        return deploy(command, args, config, outdir)
    except ConfigError as error:
        print(error.report(), file=sys.stderr)
        return INVALID_CONFIG
    except AwsError as error:
        print(f"{command} failed: {error}", file=sys.stderr)
        return FAILED
    except UsageError as error:
        print(f"{command}: {error}", file=sys.stderr)
        return USAGE


def doctor(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    """Each check's line, and the exit status: OK only when everything `apply` needs holds."""
    from modules.operations.doctor import doctor as run_checks

    def load() -> ClusterConfig:
        if not env.get(CONFIG_ENV):  # apply would take the embedded example: never what is meant here
            raise ConfigError("environment", [f"{CONFIG_ENV}: unset; expected the path of the cluster's "
                                              "configuration file"])
        return named(args.cluster, load_configs(env[CONFIG_ENV]))

    try:
        results = run_checks(env, load, tuple(args.checks))
    except UsageError as error:
        print(f"doctor: {error}", file=sys.stderr)
        return USAGE
    for result in results:
        print("\n".join(result.lines()))
    return OK if all(result.ok for result in results) else FAILED


def synth(configs: list[ClusterConfig], outdir: Path, *, cluster: str | None, force: bool) -> int:
    chosen = [named(cluster, configs)] if cluster else configs
    done = update(chosen, outdir, force=force, fleet=cluster is None)
    if done.removed:
        print(f"removed {', '.join(removed.cluster for removed in done.removed)} from {outdir} (see the warning)")
    if done.synthesized:
        kept = f" ({', '.join(done.unchanged)} unchanged)" if done.unchanged else ""
        print(f"synthesized {', '.join(done.synthesized)} into {outdir}{kept}")
    else:
        print(f"{', '.join(done.unchanged)}: unchanged since the last synthesis into {outdir}; "
              "nothing to do (--force redoes it)")
    return OK


def update(configs: list[ClusterConfig], outdir: Path, *, force: bool = False, fleet: bool = False) -> Synthesis:
    """Synthesize each cluster of `configs` whose inputs changed since its last synthesis into `outdir`
    (`force`: each one). Deciding loads no bindings; only a cluster to write does. `fleet`: `configs`
    is the whole configuration, whose removed clusters leave the output; a command naming one
    cluster passes just that one, and the others are neither synthesized nor touched."""
    from modules.operations import fingerprint

    for config in configs:
        if config.waiting:
            waiting.refuse_if_synthesized(config, outdir)
            print(f"note: {waiting.message(config)}", file=sys.stderr)
    work = fingerprint.work(configs, outdir, force=force, fleet=fleet)
    if work.nothing:
        return Synthesis(outdir, (), tuple(work.digests))
    from modules.operations.synthesis import run  # the bindings: 12 s and more, paid only here

    done = run(work)
    for warning in done.warnings():
        print(f"warning: {warning}", file=sys.stderr)
    return done


def ensure(config: ClusterConfig, outdir: Path) -> Synthesis:
    """For the commands that act on what was applied (destroy, unlock): synthesize the cluster only
    when the output holds none of it (a fresh checkout). A changed configuration is not synthesized
    first: a tier it drops would leave the output, and with it the destroy's reach."""
    from modules.operations import fingerprint

    if config.cluster_name in fingerprint.recorded(outdir):
        return Synthesis(outdir, (), (config.cluster_name,))
    return update([config], outdir)


def named(name: str | None, configs: list[ClusterConfig]) -> ClusterConfig:
    """The cluster a command acts on: `--cluster`, or the only one."""
    names = [config.cluster_name for config in configs]
    cluster = name or (names[0] if len(names) == 1 else None)
    if cluster not in names:
        raise UsageError(f"name the cluster with --cluster, one of: {', '.join(names)}")
    return configs[names.index(cluster)]


def deploy(command: str, args: argparse.Namespace, config: ClusterConfig, outdir: Path) -> int:
    from modules.operations import deploy as deploying, guard, locks, review_record, teardown
    from modules.operations.terraform import TerraformError

    try:
        if command == "unlock":
            with teardown.aws_errors():
                broken = locks.unlock_tiers(outdir, config, list(args.tiers), force=args.force)
            return OK if broken else REFUSED
        if command == "replace":
            kept, stack = records(config, outdir), stack_name(config.cluster_name, args.tier)
            before = kept.state(stack)
            deploying.replace(outdir, config.cluster_name, args.tier, args.machine)
            # The apply's record follows the state the replace moved on (a RecordError when it cannot).
            kept.restate(stack, before)
            return OK
        tiers = [tier.value for tier in args.tiers]
        if command == "apply":
            return apply(args, config, tiers, outdir)
        elif args.dry_run:
            print(teardown.dry_run(outdir, config, tiers).report())
        else:
            teardown.destroy(outdir, config, tiers, delete_data=args.delete_data)
    except teardown.DataWouldBeLost as refused:
        print(f"{command} refused: {refused}", file=sys.stderr)
        return FAILED if refused.late else REFUSED
    except guard.Refused as refused:
        print(f"{command} refused: {refused}", file=sys.stderr)
        return REFUSED
    except locks.StateLocked as locked:
        print(f"{command} stopped: {locked}", file=sys.stderr)
        return FAILED
    except (deploying.DeployError, TerraformError, teardown.AwsError, review_record.RecordError) as error:
        locked = locks.as_locked(error)  # a lock a killed run left (destroy, replace): named, with the way out
        print(f"{command} stopped: {locked}" if locked else f"{command} failed: {error}", file=sys.stderr)
        return FAILED
    return OK


def apply(args: argparse.Namespace, config: ClusterConfig, tiers: list[str], outdir: Path) -> int:
    """The guarded apply (operations/applying.py), or the plans a review saved."""
    from modules.operations import applying
    from modules.operations.cluster_resources import Aws

    allow, kept = args.allowance, records(config, outdir)
    if args.reviewed:
        applied = applying.apply_reviewed(outdir, config.cluster_name, Path(args.reviewed), allow=allow,
                                          aws=Aws(config), records=kept)
    else:
        applied = applying.apply(outdir, config.cluster_name, tiers, allow=allow, aws=Aws(config), records=kept,
                                 everything=args.everything)
    print(f"applied {', '.join(applied)}" if applied else "nothing to apply: every plan is empty or skipped")
    return OK


def records(config: ClusterConfig, outdir: Path):  # -> applied_record.Records (imported late: boto3)
    """The applied records of the cluster's tiers, next to their states (operations/applied_record.py)."""
    from modules.operations.applied_record import Records
    from modules.operations.cluster_resources import Aws

    return Records(outdir, Aws(config))


def write_manifests(command: str, config: ClusterConfig, outdir: Path, folder: Path) -> int:
    """sts-manifests or machinesets: files for the installer, rendered from the applied tiers' state."""
    from modules.operations import cluster_resources, deploy, machinesets, sts_manifests

    make = sts_manifests.sts_manifests if command == "sts-manifests" else machinesets.machinesets
    try:
        written = make(config, outdir, folder)
    except (deploy.DeployError, cluster_resources.AwsError) as error:
        print(f"{command} failed: {error}", file=sys.stderr)
        return FAILED
    for path in written:
        print(f"wrote {path}")
    if command == "sts-manifests":  # as ccoctl logs them: which requests got no role, and why
        for line in config.credentials.skipped:
            print(f"skipped {line}")
    return OK


def plan_review(args: argparse.Namespace, configs: list[ClusterConfig], outdir: Path) -> int:
    """Synthesize (unless unchanged), plan the tiers of each cluster that may have changed, write
    the reports: the one named by --cluster (or the only one), or each of a fleet with a tier to plan."""
    from modules.operations import drift, plan_review as reviewing, skipping

    chosen = [named(args.cluster, configs)] if args.cluster or len(configs) == 1 else configs
    update(chosen, outdir, fleet=chosen == configs)
    fleet, statuses = len(chosen) > 1, []
    try:
        if args.list or fleet:
            due = [config for config in chosen if args.everything or skipping.any_to_plan(
                outdir, config.cluster_name, records(config, outdir))]
            if args.list:
                print(json.dumps([config.cluster_name for config in due]))
                return OK
            for config in chosen:
                if config not in due:
                    print(f"{config.cluster_name}: every tier unchanged since it was applied; nothing planned")
        else:
            due = chosen
        for config in due:
            kept = records(config, outdir)
            result = reviewing.review_cluster(outdir, config.cluster_name, target=args.target, records=kept,
                                              everything=args.everything,
                                              outside=drift.outside_terraform(config, outdir))
            folder = Path(args.out or outdir) / (config.cluster_name if fleet else "")
            markdown = reviewing.write_report(result, folder)
            print(f"wrote {markdown}: {len(result.attention)} attention item(s), "
                  f"{len(result.tiers)} tier(s) planned, {len(result.skipped)} skipped")
            statuses.append(reviewing.exit_status(result, fail_on_attention=args.fail_on == "attention"))
    except (RuntimeError, ValueError) as error:  # TerraformError, AWS and checkov failures are RuntimeErrors
        print(f"plan-review failed: {error}", file=sys.stderr)
        return FAILED
    return FAILED if FAILED in statuses else CHANGES if CHANGES in statuses else OK

if __name__ == "__main__":
    # Messages quote the user's values, which may hold anything: never fail on printing them.
    sys.stderr.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
    sys.exit(main())
