"""checkov over the synthesized stacks, with every finding fixed or waived in its construct.

checkov runs from its own virtual environment (`.checkov/`, made by
`scripts/install --dev`): its pins clash with ours. Its Terraform JSON scanner
ignores in-file skip comments, so a construct that accepts a finding writes a
waiver with its reason into the resource's `//` block (constructs/waivers.py);
the waivers are read back here from the same synthesized JSON checkov scans.
A finding no resource waives is a finding to fix.
"""
from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

from ..configuration.topology import STACK_FILE, WAIVERS_KEY
from . import PROJECT_ROOT

CHECKOV = PROJECT_ROOT / ".checkov" / "bin" / "checkov"


class CheckovMissing(RuntimeError):
    pass


@dataclass(frozen=True)
class Finding:
    check_id: str
    check_name: str
    stack: str
    resource: str  # the resource's Terraform name
    kind: str | None = None  # its type; None where checkov leaves it out (it reports "resource.<name>")
    waiver: str | None = None  # the reason the resource's construct gives for accepting it


def waivers(stack_dir: Path) -> dict[tuple[str, str, str], str]:
    """(resource type, resource name, check ID) -> reason, for every waiver written into the stack's JSON."""
    document = json.loads((stack_dir / STACK_FILE).read_text())
    return {(kind, name, check_id): reason
            for kind, resources in document.get("resource", {}).items()
            for name, body in resources.items()
            for check_id, reason in body.get("//", {}).get(WAIVERS_KEY, {}).items()}


def waiver_for(waived: dict[tuple[str, str, str], str], kind: str | None, name: str, check_id: str) -> str | None:
    """The waiver for `check_id` on resource `kind.name`. Where checkov leaves the type out, the name
    decides, but only when a single type of that name waives the check: otherwise which resource
    the finding is about is not known, and it stays unwaived."""
    reasons = [reason for (waived_kind, waived_name, waived_check), reason in waived.items()
               if (waived_name, waived_check) == (name, check_id) and kind in (waived_kind, None)]
    return reasons[0] if len(reasons) == 1 else None


def run_checkov(stack_dirs: Sequence[Path]) -> tuple[int, list[Finding]]:
    """(passed checks, failed findings) of the given stack folders, each with its resource's waiver."""
    if not CHECKOV.exists():
        raise CheckovMissing(f"{CHECKOV} is missing: run `bash scripts/install --dev`")
    if not stack_dirs:
        return 0, []
    folders = [argument for folder in stack_dirs for argument in ("-d", str(folder))]
    result = subprocess.run([str(CHECKOV), *folders, "--framework", "terraform_json", "--quiet",
                             "--skip-download", "-o", "json"], capture_output=True, text=True, timeout=600)
    if result.returncode not in (0, 1):  # 1: some checks failed
        raise RuntimeError(f"checkov failed (exit {result.returncode}): {result.stderr[-2000:]}")
    waived = {Path(folder).name: waivers(Path(folder)) for folder in stack_dirs}
    passed, findings = 0, set()
    for report in _reports(result.stdout):
        passed += report["summary"]["passed"]
        for failed in report["results"]["failed_checks"]:
            stack, (kind, _, name) = Path(failed["file_abs_path"]).parent.name, failed["resource"].rpartition(".")
            kind = None if kind == "resource" else kind
            findings.add(Finding(failed["check_id"], failed["check_name"], stack, name, kind,
                                 waiver_for(waived.get(stack, {}), kind, name, failed["check_id"])))
    return passed, sorted(findings, key=lambda f: (f.stack, f.resource, f.check_id))


def _reports(stdout: str) -> Iterator[dict[str, Any]]:
    """checkov's reports: one JSON document per folder scanned (a list, or one object, each)."""
    decoder, text, position = json.JSONDecoder(), stdout.strip(), 0
    while position < len(text):
        document, end = decoder.raw_decode(text, position)
        position = end
        while position < len(text) and text[position].isspace():
            position += 1
        for report in document if isinstance(document, list) else [document]:
            if isinstance(report, dict) and "results" in report:
                yield report


