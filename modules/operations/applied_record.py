"""What each tier's last apply left, kept next to its state, so an unchanged tier need not be planned.

`main.py apply` (both forms) and `replace` write, per stack, one small object beside
the stack's state (`<state key>.applied.json` in the state bucket, with the state's
encryption; beside the local state file for the state tier):
- `code`: the digest of the synthesized code applied (review_record.stack_digest);
- `state`: the state's lineage and serial after the apply;
- `reads`: the lineage and serial of each state it reads (`terraform_remote_state`) then.
Nothing else writes it. A review compares them with the code and the states now
(operations/skipping.py). States and records are read with the SDK (no Terraform
process: that is what skipping saves); a missing record only means the tier is planned.
"""
from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

from .. import __version__
from ..configuration.topology import STACK_FILE
from . import deploy

SUFFIX = ".applied.json"
READS = re.compile(r"data\.terraform_remote_state\.([\w-]+)\.outputs\.(\w+)")

Identity = tuple[str, int]  # a state's (lineage, serial)


class RecordError(RuntimeError):
    pass


@dataclass(frozen=True)
class Backend:
    """Where a stack (or a remote-state source) keeps its state: an S3 object, or a local file."""

    bucket: str | None
    key: str  # the S3 key, or the local file's absolute path
    kms_key_id: str | None = None

    @classmethod
    def of(cls, config: dict[str, Any], folder: Path) -> "Backend":
        if "key" in config:
            return cls(config.get("bucket"), config["key"], config.get("kms_key_id"))
        return cls(None, str((folder / config.get("path", "terraform.tfstate")).resolve()))

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.key}" if self.bucket else self.key


def backend(folder: Path) -> Backend | None:
    """The backend a stack folder is configured with: its synthesized one, or the one a JSON override
    file there sets (docs/concepts.md: the state tier's state moved into the bucket). None
    when an HCL override file may set it: not read here, so that tier is planned and never recorded."""
    if any("backend" in path.read_text() for path in (*folder.glob("override.tf"), *folder.glob("*_override.tf"))):
        return None
    configs = [json.loads((folder / STACK_FILE).read_text())]
    configs += [json.loads(path.read_text()) for path in sorted((*folder.glob("override.tf.json"),
                                                                  *folder.glob("*_override.tf.json")))]
    found = {"local": {}}  # no backend block: Terraform's local default
    for config in configs:
        found = config.get("terraform", {}).get("backend") or found
    return Backend.of(next(iter(found.values())), folder)


def reads(outdir: Path, stacks: Sequence[str]) -> dict[str, set[tuple[str, str]]]:
    """Per stack, the (upstream stack, output) pairs it reads through `terraform_remote_state`."""
    folders = {stack: deploy.stack_dir(outdir, stack) for stack in stacks}
    documents = {stack: json.loads((folder / STACK_FILE).read_text()) for stack, folder in folders.items()}
    by_location = {str(where): stack for stack, folder in folders.items() if (where := backend(folder)) is not None}
    found: dict[str, set[tuple[str, str]]] = {}
    for stack, document in documents.items():
        sources = document.get("data", {}).get("terraform_remote_state", {})
        upstream = {alias: by_location.get(str(Backend.of(source.get("config", {}), folders[stack])))
                    for alias, source in sources.items()}
        found[stack] = {(upstream[alias], name) for alias, name in READS.findall(json.dumps(document))
                        if upstream.get(alias)}
    return found


def identity(state: dict[str, Any] | None) -> Identity | None:
    if not state or not state.get("lineage"):
        return None
    return state["lineage"], int(state.get("serial", 0))


@dataclass(frozen=True)
class Applied:
    """What an apply left: the digest of the code it applied, the state it wrote, the states it read."""

    code: str
    state: Identity | None
    reads: tuple[tuple[str, Identity | None], ...] = ()

    def document(self, stack: str) -> dict[str, Any]:
        return {"ocp_upi_tf": __version__, "stack": stack, "code": self.code, "state": self.state,
                "reads": dict(self.reads)}

    @classmethod
    def parse(cls, document: dict[str, Any]) -> "Applied":
        def pair(value: Any) -> Identity | None:
            return None if value is None else (str(value[0]), int(value[1]))

        return cls(str(document["code"]), pair(document["state"]),
                   tuple(sorted((stack, pair(value)) for stack, value in document.get("reads", {}).items())))


class Records:
    """The applied records and the states of a cluster's stacks. `aws`: a cluster_resources.Aws,
    for the stacks whose state is in S3."""

    def __init__(self, outdir: Path, aws: Any):
        self.outdir, self.aws = outdir, aws

    def _backend(self, stack: str) -> Backend | None:
        return backend(deploy.stack_dir(self.outdir, stack))

    def here(self, stack: str) -> bool:
        """Whether this checkout can tell the stack's state: not when it keeps a local state that is not
        in its folder (a CI runner's fresh checkout of the state tier; plan_review.missing_local_state)."""
        where = self._backend(stack)
        return where is not None and (where.bucket is not None or Path(where.key).is_file())

    @contextlib.contextmanager
    def _calling(self, what: str) -> Iterator[None]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            yield
        except (BotoCoreError, ClientError) as error:
            raise RecordError(f"{what}: {error}") from error

    def _read(self, where: Backend, key: str) -> bytes | None:
        if where.bucket is None:
            path = Path(key)
            return path.read_bytes() if path.is_file() else None
        from botocore.exceptions import ClientError

        with self._calling(f"reading s3://{where.bucket}/{key}"):
            try:
                return self.aws("s3").get_object(Bucket=where.bucket, Key=key)["Body"].read()
            except ClientError as error:  # no object: never applied; no bucket: nor was the state tier
                if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "NoSuchBucket", "404"):
                    return None
                raise

    def state(self, stack: str) -> Identity | None:
        """The (lineage, serial) of the stack's state now; None when it has none."""
        where = self._backend(stack)
        body = self._read(where, where.key) if where is not None else None
        try:
            return identity(json.loads(body)) if body else None
        except ValueError as error:
            raise RecordError(f"{where}: not a Terraform state ({error})") from None

    def applied(self, stack: str) -> Applied | None:
        """The stack's record, or None when no apply of this project left one."""
        where = self._backend(stack)
        body = self._read(where, where.key + SUFFIX) if where is not None else None
        if body is None:
            return None
        try:
            return Applied.parse(json.loads(body))
        except (ValueError, KeyError, TypeError, IndexError) as error:
            raise RecordError(f"{where}{SUFFIX}: not a record of an apply ({error}); delete it to "
                              "plan the tier as if it had none") from None

    def write(self, stack: str, applied: Applied) -> None:
        where = self._backend(stack)
        if where is None:
            return  # its backend is set where this cannot read it: the tier is planned every time
        body = json.dumps(applied.document(stack), indent=2) + "\n"
        if where.bucket is None:
            path = Path(where.key + SUFFIX)
            staged = path.with_name(path.name + ".tmp")
            staged.write_text(body)
            staged.replace(path)
            return
        # With the state's own encryption: its backend's KMS key when it names one, else SSE-S3.
        encryption = ({"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": where.kms_key_id} if where.kms_key_id
                      else {"ServerSideEncryption": "AES256"})
        with self._calling(f"writing s3://{where.bucket}/{where.key}{SUFFIX}"):
            self.aws("s3").put_object(Bucket=where.bucket, Key=where.key + SUFFIX, Body=body.encode(),
                                      ContentType="application/json", **encryption)

    def record(self, stack: str, code: str, upstream: Sequence[str]) -> Applied:
        """Record that `stack`, whose code digest is `code`, is applied as its state is now."""
        applied = Applied(code, self.state(stack), tuple(sorted((name, self.state(name)) for name in upstream)))
        self.write(stack, applied)
        return applied

    def restate(self, stack: str, before: Identity | None) -> None:
        """After `replace` (a targeted apply of one machine, which applies nothing else of the tier):
        the record keeps the code it holds and follows the state the replace moved on, when the state
        was the recorded one just `before` the replace. Otherwise the tier had moved already (applied
        by hand, a failed apply) and its record stays behind, so that the tier is planned."""
        applied = self.applied(stack)
        if applied is not None and applied.state == before:
            self.write(stack, Applied(applied.code, self.state(stack), applied.reads))
