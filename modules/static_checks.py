"""checkov over the synthesized stacks, with every finding fixed or waived in its construct.

checkov runs from its own virtual environment (`.checkov/`, made by
`scripts/install --dev`): its pins clash with ours. Its Terraform JSON scanner
ignores in-file skip comments, so each construct module that accepts a finding
says so in a `CHECKOV_WAIVERS` table, `(check ID, resource name) -> reason`,
next to the code it is about. A finding no table waives is a finding to fix.
"""
from __future__ import annotations

import fnmatch
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from . import bootstrap, buckets, cluster_infra, machines, network, security, state

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CHECKOV_VERSION = "3.3.30"
CHECKOV = PROJECT_ROOT / ".checkov" / "bin" / "checkov"
WAIVERS: dict[tuple[str, str], str] = {
    key: reason
    for module in (state, buckets, network, cluster_infra, security, machines, bootstrap)
    for key, reason in module.CHECKOV_WAIVERS.items()
}


class CheckovMissing(RuntimeError):
    pass


@dataclass(frozen=True)
class Finding:
    check_id: str
    check_name: str
    stack: str
    resource: str  # the resource's Terraform name (checkov leaves out the type for some checks)

    @property
    def waiver(self) -> str | None:
        for (check_id, pattern), reason in WAIVERS.items():
            if check_id == self.check_id and fnmatch.fnmatchcase(self.resource, pattern):
                return reason
        return None


def run_checkov(stacks_dir: Path) -> tuple[int, list[Finding]]:
    """(passed checks, failed findings) of every stack below `stacks_dir`."""
    if not CHECKOV.exists():
        raise CheckovMissing(f"{CHECKOV} is missing: run `bash scripts/install --dev`")
    result = subprocess.run([str(CHECKOV), "-d", str(stacks_dir), "--framework", "terraform_json", "--quiet",
                             "--skip-download", "-o", "json"], capture_output=True, text=True, timeout=600)
    if result.returncode not in (0, 1):  # 1: some checks failed
        raise RuntimeError(f"checkov failed (exit {result.returncode}): {result.stderr[-2000:]}")
    reports = json.loads(result.stdout or "[]")
    passed, findings = 0, []
    for report in reports if isinstance(reports, list) else [reports]:
        if not isinstance(report, dict) or "results" not in report:
            continue
        passed += report["summary"]["passed"]
        for failed in report["results"]["failed_checks"]:
            findings.append(Finding(failed["check_id"], failed["check_name"],
                                    Path(failed["file_path"]).parent.name, failed["resource"].rsplit(".", 1)[-1]))
    return passed, sorted(set(findings), key=lambda f: (f.stack, f.resource, f.check_id))
