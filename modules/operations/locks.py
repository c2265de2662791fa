"""State locks left by a run that was killed, and the safe way to break them.

Terraform locks a tier's state for every plan and apply (the S3 backend: a
`<key>.tflock` object next to the state, and the DynamoDB item when a table is
configured). A run killed with SIGKILL (a cancelled CI job, a laptop lid) never
releases it, and every later run of the tier fails with "Error acquiring the
state lock". Here:
- `StateLocked` names each locked tier with the lock's ID, holder and age, and
  the way out, in place of Terraform's raw error;
- `unlock()` breaks a lock only when its holder is gone: the lock was taken on
  this machine and no terraform runs in the tier's folder any more (each run
  the project starts leaves a marker there while it runs: `terraform.run`, and
  Linux's /proc also shows a terraform started by hand). A lock taken on
  another machine needs `--force`: whether its holder still runs cannot be
  seen from here.
"""
from __future__ import annotations

import json
import os
import re
import socket
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable

from ..configuration.cluster import ClusterConfig
from ..configuration.topology import STACK_FILE, Tier, stack_name
from . import recovery, terraform
from .deploy import DeployError, stack_dir

LOCK_INFO = re.compile(r"Lock Info:\s*\n(?P<body>(?:[│\s]*\w+:.*\n?)+)")
FIELD = re.compile(r"^[│\s]*(\w+):[ \t]*(.*?)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Lock:
    """A state lock as Terraform records it (the `.tflock` object's JSON, or its error's "Lock Info")."""

    id: str
    who: str  # user@host of the process that took it
    operation: str = ""
    created: datetime | None = None
    path: str = ""

    @classmethod
    def from_error(cls, text: str) -> "Lock | None":
        found = LOCK_INFO.search(text)
        if found is None:
            return None
        fields = dict(FIELD.findall(found.group("body")))
        return cls(fields.get("ID", ""), fields.get("Who", ""), fields.get("Operation", ""),
                   _created(fields.get("Created", "")), fields.get("Path", "")) if fields.get("ID") else None

    @classmethod
    def from_object(cls, document: dict[str, Any]) -> "Lock":
        return cls(document.get("ID", ""), document.get("Who", ""), document.get("Operation", ""),
                   _created(document.get("Created", "")), document.get("Path", ""))

    @property
    def host(self) -> str:
        return self.who.rpartition("@")[2]

    def age(self, now: datetime | None = None) -> str:
        if self.created is None:
            return "unknown"
        seconds = int(((now or datetime.now(timezone.utc)) - self.created).total_seconds())
        hours, rest = divmod(max(seconds, 0), 3600)
        return (f"{hours}h" if hours else "") + f"{rest // 60}m{rest % 60:02d}s"

    def describe(self) -> str:
        what = self.operation.removeprefix("OperationType").lower() or "a run"
        return f"lock {self.id}, taken by {what} of {self.who or 'an unknown holder'}, {self.age()} ago"


def _created(text: str) -> datetime | None:
    """Terraform's `Created`: "2026-12-07 00:01:02.123456789 +0000 UTC" (Go's time.String), or RFC 3339."""
    found = re.match(r"(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)(?:\.\d+)?\s*(Z|[+-]\d\d:?\d\d)?", text.strip())
    if found is None:
        return None
    zone = (found.group(3) or "+0000").replace("Z", "+0000").replace(":", "")
    return datetime.strptime(f"{found.group(1)} {found.group(2)} {zone}", "%Y-%m-%d %H:%M:%S %z")


class StateLocked(DeployError):
    """Tiers whose state is locked by a run that may be gone."""

    def __init__(self, locked: dict[str, Lock]):
        self.locked = locked
        lines = [f"  {stack}: {lock.describe()}" for stack, lock in locked.items()]
        tiers = " ".join(sorted({_tier_of(stack) for stack in locked}))
        by_hand = (f"`terraform force-unlock -force {next(iter(locked.values())).id}`" if len(locked) == 1
                   else "`terraform force-unlock -force ID` with its lock's ID")
        super().__init__(
            "the state is locked, by a run that is still going or one that was killed before it could "
            "release the lock:\n" + "\n".join(lines) + "\n"
            f"If no terraform runs on these tiers any more: `python main.py unlock {tiers}` breaks each lock "
            "whose holder is gone from this machine (add --force for a lock taken on another machine, once "
            "you know its run is over), and adopts what the killed run created. By hand, in the stack "
            f"folder: {by_hand}, which only breaks the lock (run `main.py unlock` after it all the same). "
            "Then apply again.")


def _tier_of(stack: str) -> str:
    return next(tier.value for tier in Tier if stack.endswith(f"-{tier.value}"))


def locked_by(error: BaseException) -> Lock | None:
    """The lock a failed terraform command met, if that is why it failed."""
    if isinstance(error, terraform.TerraformError) and "Error acquiring the state lock" in str(error):
        return Lock.from_error(str(error))
    return None


def as_locked(error: BaseException) -> "StateLocked | None":
    """A failed terraform command's error as `StateLocked`, when a lock is why it failed."""
    lock = locked_by(error)
    return None if lock is None else StateLocked({error.cwd.name: lock})  # type: ignore[attr-defined]


def raise_if_locked(errors: Iterable[tuple[str, BaseException]]) -> None:
    """`StateLocked` naming every stack of `errors` (stack, error) that failed on a lock."""
    locked = {stack: lock for stack, error in errors if (lock := locked_by(error)) is not None}
    if locked:
        raise StateLocked(locked)


# --------------------------------------------------------------------------- breaking a lock


def live_holders(folder: Path) -> list[int]:
    """PIDs of terraform processes that may hold the lock of the stack in `folder`: the project's run
    markers whose process is alive, and (on Linux) any terraform working in a folder of that stack's
    name whose backend is the same (a second synthesis, another checkout: the lock is the state's,
    not the folder's)."""
    alive: set[int] = set()
    for marker in (folder / terraform.RUN_MARKERS).glob("*.json"):
        try:
            pid = int(json.loads(marker.read_text())["pid"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if _may_be_terraform(pid):
            alive.add(pid)
        else:
            marker.unlink(missing_ok=True)  # its run is over
    proc = Path("/proc")
    if proc.is_dir():
        for entry in proc.iterdir():
            if entry.name.isdigit() and _may_be_terraform(int(entry.name)):
                try:
                    cwd = Path(os.readlink(entry / "cwd"))
                except OSError:
                    continue
                if cwd.name == folder.name and (cwd == folder or _backend(cwd) in (None, _backend(folder))):
                    alive.add(int(entry.name))
    return sorted(alive)


def _backend(folder: Path) -> str | None:
    """Where the stack in `folder` keeps its state (its backend block: bucket, key, endpoints): two
    folders with the same one share a lock. None when it cannot be read (assumed to share it)."""
    try:
        return json.dumps(json.loads((folder / STACK_FILE).read_text())["terraform"]["backend"], sort_keys=True)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _may_be_terraform(pid: int) -> bool:
    """Whether `pid` runs and may be terraform (without /proc, or for another user's process: assumed)."""
    if not _alive(pid):
        return False
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip().startswith("terraform")
    except FileNotFoundError:
        return not Path("/proc").is_dir() or _alive(pid)  # no /proc here, or it ended meanwhile
    except OSError:
        return True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process


def read_lock(config: ClusterConfig, tier: Tier, aws: Any) -> Lock | None:
    """The lock on `tier`'s state (the `.tflock` object), or None when it is not locked."""
    from botocore.exceptions import ClientError

    try:
        body = aws("s3").get_object(Bucket=config.resolved_state_bucket, Key=f"{config.state_key(tier)}.tflock")
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return None
        raise
    return Lock.from_object(json.loads(body["Body"].read()))


@dataclass
class UnlockResult:
    stack: str
    lock: Lock | None  # None: there was no lock
    broken: bool
    reason: str


def unlock(outdir: Path, config: ClusterConfig, tier: Tier, aws: Any, *, force: bool = False,
           env: dict[str, str] | None = None) -> UnlockResult:
    """Break `tier`'s lock when its holder is gone (or `force`); refuse (`broken` False) otherwise."""
    stack = stack_name(config.cluster_name, tier)
    if not (stack_dir(outdir, stack) / STACK_FILE).is_file():
        return UnlockResult(stack, None, False, f"not synthesized in {outdir}: nothing to unlock")
    if tier is Tier.STATE:
        return UnlockResult(stack, None, False, "the state tier's state is a local file, whose lock the "
                            "system releases when its holder dies: there is nothing to break")
    folder = stack_dir(outdir, stack)
    lock = read_lock(config, tier, aws)
    if lock is None:
        return UnlockResult(stack, None, False, "not locked")
    running = live_holders(folder)
    if running:
        return UnlockResult(stack, lock, False, f"terraform still runs on this stack (PID "
                            f"{', '.join(map(str, running))}): let it finish, or stop it")
    if lock.host != socket.gethostname() and not force:
        return UnlockResult(stack, lock, False, f"taken on {lock.host or 'an unknown machine'}, not here: "
                            "whether that run is over cannot be seen from here; once you know it is, add --force")
    terraform.init(folder, env=env)
    terraform.run(["force-unlock", "-force", lock.id], folder, env=env)
    return UnlockResult(stack, lock, True, "broken" + (" (--force)" if lock.host != socket.gethostname() else ""))


def unlock_tiers(outdir: Path, config: ClusterConfig, tiers: list[Tier], *, force: bool = False,
                 env: dict[str, str] | None = None, log: Callable[[str], None] = print) -> bool:
    """`main.py unlock`: break each tier's lock whose holder is gone, then adopt (or name) what the
    killed run left outside the state (recovery.py). False when a lock was left in place."""
    from .teardown import ClusterRemoval

    removal = ClusterRemoval(config, outdir, env)
    results = [unlock(outdir, config, tier, removal.aws, force=force, env=env) for tier in tiers]
    states = removal.states()
    vpc = removal.scope(states).vpc_id
    for tier, result in zip(tiers, results):
        what = result.lock.describe() if result.lock is not None else "no lock"
        log(f"{result.stack}: {what}: {result.reason}")
        folder = stack_dir(outdir, result.stack)
        if (result.lock is not None and not result.broken) or not (folder / STACK_FILE).is_file():
            continue  # its run may still be creating things; or there is no such stack here
        document = json.loads((folder / STACK_FILE).read_text())
        orphans = recovery.find_orphans(document, states.get(tier), list(states.values()), vpc, config.infra_id,
                                        removal.aws)
        written = recovery.write_imports(folder, orphans)
        for orphan in orphans:
            log(f"  {orphan}")
        if written is not None:
            log(f"  the next `python main.py apply` imports them ({written}), then creates what is still missing")
        for address in recovery.computed(document):
            log(f"  not looked for: {address} (its instances are known at plan time only); if the next apply "
                "fails on a duplicate of one, `terraform import` it (docs/operations/recovery.md)")
    return all(r.broken or r.lock is None for r in results)
