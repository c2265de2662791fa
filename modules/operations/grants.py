"""What a plan grants: IAM permissions added or widened, and trust policies that change.

A role's inline policy and a bucket policy grant (action, resource) pairs, each
perhaps under a condition; a role's trust policy grants who may assume it. The
review marks as Attention every pair a plan allows that the state did not: a new
action or resource, and a condition dropped or changed (which may widen it). For
roles it also marks any change to the trust policy, conditions included: for the
credentials tier's roles, that is which service accounts get the role
(tiers/credentials.py).
"""
from __future__ import annotations

import fnmatch
import json
from typing import Any

POLICY_ATTRIBUTES = {"aws_iam_role_policy": "policy", "aws_iam_policy": "policy", "aws_iam_role": "assume_role_policy",
                     "aws_s3_bucket_policy": "policy"}
Grant = tuple[str, str, str]  # action, resource (or principal), condition as canonical JSON ("" for none)


def grant_attention(address: str, kind: str, action: str, before: Any, after: Any) -> list[str]:
    attribute = POLICY_ATTRIBUTES[kind]
    granted = allowed(before, attribute)
    added = sorted(_describe(grant) for grant in allowed(after, attribute)
                   if not any(covers(old, grant) for old in granted))
    items = [f"`{address}`: IAM grants added: " + ", ".join(f"`{a}`" for a in added)] if added else []
    if kind == "aws_iam_role" and action == "update" and _document(before, attribute) != _document(after, attribute):
        items.append(f"`{address}`: the trust policy changes (who may assume the role): "
                     f"{json.dumps(_document(after, attribute), sort_keys=True)}")
    return items


def covers(grant: Grant, wanted: Grant) -> bool:
    """Whether a grant, wildcards included, already allows `wanted`: same or wider action and resource,
    and no condition, or the same one."""
    return (fnmatch.fnmatchcase(wanted[0].lower(), grant[0].lower()) and fnmatch.fnmatchcase(wanted[1], grant[1])
            and grant[2] in ("", wanted[2]))


def allowed(values: Any, attribute: str) -> set[Grant]:
    """The grants a policy document attribute allows (empty when absent)."""
    document = _document(values, attribute)
    if document is None:
        return set()
    statements = document.get("Statement", [])
    lines = set()
    for statement in statements if isinstance(statements, list) else [statements]:
        if statement.get("Effect") != "Allow":
            continue
        condition = json.dumps(statement["Condition"], sort_keys=True) if statement.get("Condition") else ""
        for action in _as_list(statement.get("Action")):
            for resource in _as_list(statement.get("Resource", statement.get("Principal"))):
                lines.add((action, resource if isinstance(resource, str) else json.dumps(resource, sort_keys=True),
                           condition))
    return lines


def _document(values: Any, attribute: str) -> Any:
    text = (values or {}).get(attribute)
    return json.loads(text) if isinstance(text, str) else None


def _describe(grant: Grant) -> str:
    action, resource, condition = grant
    return f"{action} on {resource}" + (f" if {condition}" if condition else "")


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]
