"""The kinds of limit a configuration value can have (limits.py holds the table of them).

Each `Limit` answers three times from the same numbers and patterns: `problem()` for the
configuration loader (Python), `condition()` for the exported modules' `validation`
blocks (HCL) and `schema()` for the configuration's JSON Schema (editors, `main.py
config-schema`). What a schema cannot say (a CIDR's host bits, say) the key lists as
beyond it (keys.py).
"""
from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass
from typing import Any


def whole(regex: str) -> str:
    """A JSON Schema `pattern` matching `regex` against the whole value, in ECMA and Python alike
    (`$` alone lets Python's re.search match before a final newline)."""
    return f"^(?:{regex})$(?![\\s\\S])"


def _hcl_string(text: str) -> str:
    """`text` as an HCL string literal (HCL's escapes are JSON's for what these hold)."""
    return json.dumps(text)


class Limit:
    """What a value must be. `accepted` says it in words; messages end with it."""

    accepted: str
    types: tuple[type, ...] = (str,)

    def problem(self, value: Any) -> str | None:
        """None when `value` is acceptable, else the message after the value: "is not valid; expected ..."."""
        raise NotImplementedError

    def condition(self, ref: str) -> str:
        """An HCL expression, true when the value at `ref` (e.g. `var.vpc_cidr`) is acceptable."""
        raise NotImplementedError

    def schema(self) -> dict[str, Any]:
        """A JSON Schema (draft 2020-12) of the acceptable values, as strict as it can say."""
        raise NotImplementedError

    def refuse(self) -> str:
        return f"is not valid; expected {self.accepted}"

    def describe(self) -> str:
        """Everything the value must be, in one phrase (the modules' validation messages)."""
        return self.accepted


@dataclass(frozen=True)
class Pattern(Limit):
    """A string matching `regex` (whole value), at most `max_length` characters, not matching `forbid`."""

    regex: str
    accepted: str
    max_length: int | None = None
    forbid: str | None = None  # e.g. a bucket name must not look like an IP address
    forbid_reason: str = ""

    def problem(self, value: Any) -> str | None:
        if not isinstance(value, str) or not re.fullmatch(self.regex, value):
            return self.refuse()
        if self.max_length is not None and len(value) > self.max_length:
            return f"is {len(value)} characters long; expected {self.accepted}"
        if self.forbid is not None and re.fullmatch(self.forbid, value):
            return f"is not valid; expected {self.forbid_reason}"
        return None

    def describe(self) -> str:
        return f"{self.accepted}, and {self.forbid_reason}" if self.forbid else self.accepted

    def schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "string", "pattern": whole(self.regex)}
        if self.max_length is not None:
            schema["maxLength"] = self.max_length
        if self.forbid is not None:
            schema["not"] = {"type": "string", "pattern": whole(self.forbid)}
        return schema

    def condition(self, ref: str) -> str:
        parts = [f"can(regex({_hcl_string(f'^(?:{self.regex})$')}, {ref}))"]
        if self.forbid is not None:
            parts.append(f"!can(regex({_hcl_string(f'^(?:{self.forbid})$')}, {ref}))")
        if self.max_length is None:
            return " && ".join(parts)
        # try(): length() of a value that is not a string (null) errors instead of being false.
        return f"try({' && '.join(parts + [f'length({ref}) <= {self.max_length}'])}, false)"


@dataclass(frozen=True)
class Range(Limit):
    """A whole number from `low` to `high`."""

    low: int
    high: int
    types: tuple[type, ...] = (int, float)  # HCL has one number type: 12.0 is 12

    @property
    def accepted(self) -> str:  # type: ignore[override]
        return f"an integer from {self.low} to {self.high}"

    def problem(self, value: Any) -> str | None:
        whole = isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer()
        return None if whole and self.low <= value <= self.high else self.refuse()

    def condition(self, ref: str) -> str:
        return f"{ref} >= {self.low} && {ref} <= {self.high} && floor({ref}) == {ref}"

    def schema(self) -> dict[str, Any]:
        return {"type": "integer", "minimum": self.low, "maximum": self.high}  # 12.0 is an integer there too


@dataclass(frozen=True)
class OneOf(Limit):
    """One of a fixed set of strings."""

    values: tuple[str, ...]

    @property
    def accepted(self) -> str:  # type: ignore[override]
        return "one of " + ", ".join(repr(v) for v in self.values)

    def problem(self, value: Any) -> str | None:
        return None if value in self.values else self.refuse()

    def condition(self, ref: str) -> str:
        return f"contains({json.dumps(list(self.values))}, {ref})"

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "enum": list(self.values)}


@dataclass(frozen=True)
class Cidr(Limit):
    """An IPv4 network in CIDR notation, host bits zero, its prefix in `prefixes`, inside one of
    `within` when given."""

    accepted: str
    prefixes: tuple[int, int] = (0, 32)
    within: tuple[str, ...] = ()
    within_text: str = ""

    def problem(self, value: Any) -> str | None:
        if not isinstance(value, str) or not re.fullmatch(r"[0-9.]+/[0-9]+", value):
            return self.refuse()
        try:
            network = ipaddress.IPv4Network(value, strict=True)
        except ValueError:
            return f"is not valid; expected {self.accepted} (host bits zero)"
        if str(network) != value or not self.prefixes[0] <= network.prefixlen <= self.prefixes[1]:
            return self.refuse()  # "10.0.0.0/016" parses as /16, but it is not what Terraform compares
        if self.within and not any(network.subnet_of(ipaddress.IPv4Network(b)) for b in self.within):
            # A public range would shadow those internet addresses for every node.
            return f"is not valid; expected {self.within_text}"
        return None

    def describe(self) -> str:
        return f"{self.accepted}, in {self.within_text}" if self.within else self.accepted

    def schema(self) -> dict[str, Any]:
        # Dotted quad and prefix; host bits and `within` are beyond a pattern (keys.py lists them).
        octet = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
        prefixes = "|".join(str(n) for n in range(self.prefixes[1], self.prefixes[0] - 1, -1))
        return {"type": "string", "pattern": whole(f"{octet}(\\.{octet}){{3}}/({prefixes})")}

    def condition(self, ref: str) -> str:
        prefix = f'tonumber(split("/", {ref})[1])'
        # cidrsubnet(x, 0, 0) is x with its host bits cleared: equal only when they were zero.
        parts = [f'can(regex("^[0-9.]+/[0-9]+$", {ref}))', f"cidrsubnet({ref}, 0, 0) == {ref}"]
        if self.prefixes != (0, 32):
            parts += [f"{prefix} >= {self.prefixes[0]}", f"{prefix} <= {self.prefixes[1]}"]
        if self.within:
            parts.append(f"anytrue([for block in {json.dumps(list(self.within))} : {prefix} >= "
                         f'tonumber(split("/", block)[1]) && cidrsubnet(format("%s/%s", cidrhost({ref}, 0), '
                         f'split("/", block)[1]), 0, 0) == block])')
        # try(): a malformed value fails the first part, and the others must not error on it.
        return f"try({' && '.join(parts)}, false)"


@dataclass(frozen=True)
class Count(Limit):
    """A list of `low` to `high` distinct strings."""

    low: int
    high: int
    accepted: str
    types: tuple[type, ...] = (list,)

    def problem(self, value: Any) -> str | None:
        if not isinstance(value, list) or not self.low <= len(value) <= self.high:
            return self.refuse()
        if len({json.dumps(item, default=repr, sort_keys=True) for item in value}) != len(value):
            return f"is not valid; expected {self.accepted} (one is listed twice)"
        return None

    def condition(self, ref: str) -> str:
        return (f"try(length({ref}) >= {self.low} && length({ref}) <= {self.high} && "
                f"length(distinct({ref})) == length({ref}), false)")

    def schema(self) -> dict[str, Any]:
        return {"type": "array", "minItems": self.low, "maxItems": self.high, "uniqueItems": True}


@dataclass(frozen=True)
class IdList(Limit):
    """A list of at most `high` distinct strings, each matching `item` (a `Pattern`)."""

    item: Pattern
    high: int
    accepted: str
    types: tuple[type, ...] = (list,)

    def problem(self, value: Any) -> str | None:
        if not isinstance(value, list) or len(value) > self.high or \
                any(self.item.problem(entry) is not None for entry in value):
            return self.refuse()
        if len(set(value)) != len(value):
            return f"is not valid; expected {self.accepted} (one is listed twice)"
        return None

    def condition(self, ref: str) -> str:
        return (f"try(length({ref}) <= {self.high} && length(distinct({ref})) == length({ref}) && "
                f"alltrue([for entry in {ref} : {self.item.condition('entry')}]), false)")

    def schema(self) -> dict[str, Any]:
        return {"type": "array", "maxItems": self.high, "uniqueItems": True, "items": self.item.schema()}


@dataclass(frozen=True)
class Entries(Limit):
    """A list of at most `high` mappings, distinct by `key` (required), each other attribute null or
    accepted by its limit. The loader reads the entries key by key (naming `<path>[i].<key>`); this is
    what both checks agree on (a module's variable is a list of objects of these attributes)."""

    high: int
    key: str
    attributes: tuple[tuple[str, Limit], ...]  # name, limit (pairs: a Field is hashed)
    accepted: str
    types: tuple[type, ...] = (list,)

    def problem(self, value: Any) -> str | None:
        if not isinstance(value, list) or len(value) > self.high:
            return self.refuse()
        for entry in value:
            if not isinstance(entry, dict) or not isinstance(entry.get(self.key), str):
                return self.refuse()
            if any(entry.get(name) is not None and limit.problem(entry[name]) is not None
                   for name, limit in self.attributes):
                return self.refuse()
        if len({entry[self.key] for entry in value}) != len(value):
            return f"is not valid; expected {self.accepted} (one is listed twice)"
        return None

    def condition(self, ref: str) -> str:
        # A conditional, not `||`: Terraform evaluates both sides of `||`, and a limit may fail on null.
        checks = " && ".join(f"(entry.{name} == null ? {str(name != self.key).lower()} : "
                             f"try({limit.condition(f'entry.{name}')}, false))"
                             for name, limit in self.attributes)
        return (f"try(length({ref}) <= {self.high} && length(distinct([for entry in {ref} : entry.{self.key}])) == "
                f"length({ref}) && alltrue([for entry in {ref} : {checks}]), false)")

    def schema(self) -> dict[str, Any]:
        # Distinct by `key` is beyond a schema (uniqueItems compares whole entries).
        properties = {name: nullable(limit.schema()) if name != self.key else limit.schema()
                      for name, limit in self.attributes}
        return {"type": "array", "maxItems": self.high,
                "items": {"type": "object", "required": [self.key], "properties": properties}}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema`, or null (a key whose null means its default)."""
    widened = dict(schema)
    widened["type"] = [schema["type"], "null"]
    if "enum" in schema:
        widened["enum"] = [*schema["enum"], None]
    return widened
