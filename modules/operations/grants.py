"""What a plan grants: IAM permissions added or widened, and trust policies that change; and
what it takes away.

A role's inline policy and a bucket policy grant (action, resource) pairs, each
perhaps under a condition; a role's trust policy grants who may assume it. The
review marks as Attention every pair a plan allows that the state did not: a new
action or resource, and a condition dropped or changed (which may widen it). For
roles it also marks any change to the trust policy, conditions included: for the
credentials tier's roles, that is which service accounts get the role
(tiers/credentials.py).
"""
from __future__ import annotations

import json
import re
from typing import Any

POLICY_ATTRIBUTES = {"aws_iam_role_policy": "policy", "aws_iam_policy": "policy", "aws_iam_role": "assume_role_policy",
                     "aws_s3_bucket_policy": "policy"}
# action, resource, principal (canonical JSON, "" in an identity policy), condition (canonical JSON, "" for none)
Grant = tuple[str, str, str, str]
ANY = "*"


def grant_attention(address: str, kind: str, action: str, before: Any, after: Any) -> list[str]:
    attribute = POLICY_ATTRIBUTES[kind]
    old, new = _document(before, attribute), _document(after, attribute)
    granted = allowed(old)
    added = sorted(_describe(grant) for grant in allowed(new) if not any(covers(have, grant) for have in granted))
    items = [f"`{address}`: IAM grants added: " + ", ".join(f"`{a}`" for a in added)] if added else []
    dropped = sorted(_denials(old) - _denials(new))
    if dropped:
        items.append(f"`{address}`: Deny statements removed: " + ", ".join(f"`{d}`" for d in dropped))
    if kind == "aws_iam_role" and action == "update" and old != new:
        items.append(f"`{address}`: the trust policy changes (who may assume the role): "
                     f"{json.dumps(new, sort_keys=True)}")
    return items


def grants_removed(address: str, kind: str, before: Any, after: Any) -> list[str]:
    """What a plan takes away: the grants the state allows that the plan no longer does (all of them
    when the policy or role is deleted). Not a risk, so not Attention; the review lists them so that
    a reviewer sees which permissions a cluster's operators lose (a role the release no longer asks
    for, a request left out as tech preview)."""
    attribute = POLICY_ATTRIBUTES[kind]
    kept = allowed(_document(after, attribute))
    removed = sorted(_describe(grant) for grant in allowed(_document(before, attribute))
                     if not any(covers(have, grant) for have in kept))
    return [f"`{address}`: " + ", ".join(f"`{r}`" for r in removed)] if removed else []


def covers(have: Grant, wanted: Grant) -> bool:
    """Whether a grant already allows `wanted`: a same or wider action and resource (IAM's `*` and `?`
    wildcards), the same principal or any, and no condition or the same one."""
    return (_matches(have[0].lower(), wanted[0].lower()) and _matches(have[1], wanted[1])
            and have[2] in (wanted[2], json.dumps(ANY)) and have[3] in ("", wanted[3]))


def _matches(pattern: str, value: str) -> bool:
    return re.fullmatch(re.escape(pattern).replace(r"\*", ".*").replace(r"\?", "."), value) is not None


def allowed(document: Any) -> set[Grant]:
    """The grants a policy document allows (empty when absent). `NotAction` and `NotResource` allow
    everything but what they name: they count as `*`."""
    grants = set()
    for statement in _statements(document):
        if statement.get("Effect") != "Allow":
            continue
        condition = _canonical(statement["Condition"]) if statement.get("Condition") else ""
        principal = _canonical(statement["Principal"]) if "Principal" in statement else ""
        actions = [ANY] if "NotAction" in statement else _as_list(statement.get("Action"))
        resources = [ANY] if "NotResource" in statement else _as_list(statement.get("Resource")) or [""]
        for action in actions:
            for resource in resources:
                grants.add((action, resource if isinstance(resource, str) else _canonical(resource), principal,
                            condition))
    return grants


def _denials(document: Any) -> set[str]:
    return {_canonical(statement) for statement in _statements(document) if statement.get("Effect") == "Deny"}


def _statements(document: Any) -> list[dict[str, Any]]:
    statements = (document or {}).get("Statement", [])
    return [s for s in (statements if isinstance(statements, list) else [statements]) if isinstance(s, dict)]


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _document(values: Any, attribute: str) -> Any:
    text = (values or {}).get(attribute)
    return json.loads(text) if isinstance(text, str) else None


def _describe(grant: Grant) -> str:
    action, resource, principal, condition = grant
    return (f"{action} on {resource or 'the role'}" + (f" to {principal}" if principal else "")
            + (f" if {condition}" if condition else ""))


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]
