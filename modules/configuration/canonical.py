"""Canonical JSON: the one way this project writes a JSON document into Terraform.

Sorted keys and no white space, so the same document always yields the same
text and a plan never shows a spurious diff (IAM policies, bucket policies,
Ignition user data).
"""
from __future__ import annotations

import json
from typing import Any


def canonical_json(document: Any) -> str:
    return json.dumps(document, sort_keys=True, separators=(",", ":"))
