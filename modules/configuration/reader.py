"""The generic part of configuration validation: a reader that collects one message per bad key.

Messages name the field, show the value as JSON (so hostile text is shown as
data, never interpreted) and say what is accepted.
"""
from __future__ import annotations

import json
from enum import Enum
from typing import TYPE_CHECKING, Any, Mapping

if TYPE_CHECKING:
    from .limits import Limit

MISSING = object()


def kind_of(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean",
            int: "an integer", float: "a number", type(None): "null"}.get(type(value), type(value).__name__)


def show(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


class Reader:
    """Takes keys out of one mapping, recording a message for each bad or unknown key."""

    def __init__(self, data: Mapping[str, Any], prefix: str, problems: list[str]):
        self.data, self.prefix, self.problems = data, prefix, problems
        self.known: list[str] = []

    def path(self, key: str) -> str:
        return f"{self.prefix}{key}"

    def fail(self, key: str, value: Any, accepted: str) -> None:
        self.problems.append(f"{self.path(key)}: {show(value)} is not valid; expected {accepted}")

    def take(self, key: str, types: tuple[type, ...], what: str, default: Any = MISSING) -> Any:
        """The raw value of `key` if it has one of `types`; `MISSING` after recording a problem."""
        self.known.append(key)
        if key not in self.data or (self.data[key] is None and default is not MISSING):
            if default is MISSING:
                self.problems.append(f"{self.path(key)}: missing; expected {what}")
            return default
        value = self.data[key]
        # bool is an int in Python; a YAML `yes` must not pass as a number.
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            self.problems.append(f"{self.path(key)}: {show(value)} is {kind_of(value)}; expected {what}")
            return MISSING
        return value

    def limited(self, key: str, limit: "Limit", default: Any = MISSING) -> Any:
        """The value of `key` if `limit` (see limits.py) accepts it; `MISSING` after recording why not."""
        value = self.take(key, limit.types, limit.accepted, default)
        if value is MISSING or value is default:
            return value
        problem = limit.problem(value)
        if problem is not None:
            self.problems.append(f"{self.path(key)}: {show(value)} {problem}")
            return MISSING
        return int(value) if isinstance(value, float) else value  # a whole number (limits.Range)

    def choice(self, key: str, enum: type[Enum], limit: "Limit", default: Enum) -> Any:
        """An enumeration member, from a value `limit` accepts."""
        value = self.limited(key, limit, default)
        return enum(value) if isinstance(value, str) else value

    def finish(self) -> None:
        for key in self.data:
            if key not in self.known:
                self.problems.append(
                    f"{self.path(str(key))}: unknown key; accepted keys are {', '.join(sorted(self.known))}")


