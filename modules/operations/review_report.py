"""The plan review as Markdown: plan-review.md, what a reviewer reads (operations/plan_review.py)."""
from __future__ import annotations

from typing import Any

from .markdown import cell


def markdown(review: Any) -> str:
    """`review`: a plan_review.Review (not imported: plan_review renders itself with this)."""
    lines = ["# Plan review", "", "## Attention", ""]
    lines += [f"- {item}" for item in review.attention] or ["None."]
    revoked = [item for tier in review.tiers for item in tier.revoked]
    if revoked:
        lines += ["", "## IAM grants removed", ""] + [f"- {item}" for item in revoked]
    notes = [tier.note for tier in review.tiers if tier.note]
    notes += [f"`{tier.stack}`: {check}" for tier in review.tiers for check in tier.checks]
    if notes:
        lines += ["", "## Notes", ""] + [f"- {note}" for note in notes]
    if review.skipped:
        lines += ["", "## Not planned", "", "Drift in these tiers shows in a review of every tier "
                  "(`plan-review --all`).", ""]
        lines += [f"- `{stack}`: {why}" for stack, why in review.skipped.items()]
    lines += ["", "## Summary", "", "| tier | add | change | replace | destroy |", "|---|---:|---:|---:|---:|"]
    lines += [f"| `{t.stack}` | {t.counts['add']} | {t.counts['change']} | {t.counts['replace']} | "
              f"{t.counts['destroy']} |" for t in review.tiers]
    drifted = [tier for tier in review.tiers if tier.drift]
    if drifted or review.outside:
        lines += ["", "## Changed outside Terraform", "", "| tier | resource | what |", "|---|---|---|"]
        lines += [f"| `{t.stack}` | `{cell(d.address)}` | {cell(d.describe())} |" for t in drifted for d in t.drift]
        lines += [f"| | | {cell(line)} |" for line in review.outside]
    lines += ["", "## Static checks (checkov)", ""]
    if review.static is None and review.skipped and not review.tiers:
        lines.append("Not run: no tier was planned.")
    elif review.static is None:
        lines.append("Not run: checkov is not installed (`bash scripts/install --dev`).")
    else:
        passed, findings = review.static
        lines += [f"{passed} passed, {len(findings)} failed; failures waived in their construct:", "",
                  "| check | stack | resource | reason |", "|---|---|---|---|"]
        lines += [f"| {f.check_id} | `{f.stack}` | `{cell(f.resource)}` | {cell(f.waiver or '**not waived**')} |"
                  for f in findings]
    for tier in review.tiers:
        if not tier.changed:
            continue
        lines += ["", f"## {tier.stack}", "", "| resource | action | attributes |", "|---|---|---|"]
        lines += [f"| `{cell(c.address)}` | {c.action} | {cell(c.describe())} |" for c in tier.changes]
        lines += [f"| `output.{cell(name)}` | {action} | value |" for name, action in tier.outputs.items()]
    return "\n".join(lines) + "\n"
