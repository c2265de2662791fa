"""The generic part of configuration validation: a reader that collects one message per bad key.

Messages name the field, show the value as JSON (so hostile text is shown as
data, never interpreted) and say what is accepted.
"""
from __future__ import annotations

import copy
import difflib
import json
from enum import Enum
from typing import Any, Mapping

MISSING = object()
REQUIRED = object()  # the default of a key that has none (keys.py)


def kind_of(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean",
            int: "an integer", float: "a number", type(None): "null"}.get(type(value), type(value).__name__)


def show(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


class Reader:
    """Takes keys out of one mapping, recording a message for each bad or unknown key. What a key must
    be (its kind, default and limit) comes from the table of keys (keys.py), handed down from the top:
    `scope` is where this mapping sits in it (`edge_zones[].` for every entry of that list)."""

    def __init__(self, data: Mapping[str, Any], prefix: str, problems: list[str], table: Mapping[str, Any],
                 scope: str | None = None):
        self.data, self.prefix, self.problems, self.table = data, prefix, problems, table
        self.scope = prefix if scope is None else scope
        self.known: list[str] = []

    def path(self, key: str) -> str:
        return f"{self.prefix}{key}"

    def child(self, data: Mapping[str, Any], prefix: str, scope: str | None = None) -> "Reader":
        """A reader of a mapping inside this one, adding its problems to the same list."""
        return Reader(data, prefix, self.problems, self.table, scope)

    def fail(self, key: str, value: Any, accepted: str) -> None:
        self.problems.append(f"{self.path(key)}: {show(value)} is not valid; expected {accepted}")

    def get(self, name: str, enum: type[Enum] | None = None) -> Any:
        """The value of `name` (its default when absent or null), `MISSING` after recording why it is not
        acceptable; `enum`: as a member of that enumeration."""
        key = self.table[self.scope + name]  # a KeyError is the loader's bug: every key is in the table
        self.known.append(name)
        if name not in self.data or (self.data[name] is None and key.default is not REQUIRED):
            if key.default is REQUIRED:
                self.problems.append(f"{self.path(name)}: missing; expected {key.expected}")
                return MISSING
            value = copy.deepcopy(key.default)  # a list or mapping of the table's: never handed out itself
        else:
            value = self.data[name]
            # bool is an int in Python; a YAML `yes` must not pass as a number.
            if not isinstance(value, key.types) or (isinstance(value, bool) and bool not in key.types):
                self.problems.append(f"{self.path(name)}: {show(value)} is {kind_of(value)}; expected {key.expected}")
                return MISSING
            problem = key.limit.problem(value) if key.limit is not None else None
            if problem is not None:
                self.problems.append(f"{self.path(name)}: {show(value)} {problem}")
                return MISSING
            if isinstance(value, float):
                value = int(value)  # a whole number (limits.Range)
        return enum(value) if enum is not None and value is not None else value

    def finish(self) -> None:
        known = [key.path.removeprefix(self.scope) for key in self.table.values()
                 if key.path.startswith(self.scope) and "." not in key.path.removeprefix(self.scope)]
        for key in self.data:
            if key not in self.known:
                guess = closest(str(key), known)
                hint = f"did you mean `{guess}`? " if guess else ""
                self.problems.append(f"{self.path(str(key))}: unknown key; {hint}accepted keys are "
                                     f"{', '.join(sorted(known))}")


def closest(unknown: str, known: list[str]) -> str | None:
    """The known key an unknown one was most likely meant to be (a typo, a dash for an underscore)."""
    matches = difflib.get_close_matches(unknown.replace("-", "_").lower(), known, n=1, cutoff=0.6)
    return matches[0] if matches else None
