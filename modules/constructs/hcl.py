"""Writing Terraform the way a person would: stable names, and choices made by Terraform or by Python.

Names: `new()` gives every resource its construct ID as Terraform name, so plans
read `aws_subnet.public["us-east-1a"]`, never a generated hash, and `check_names()`
refuses a stack where anything escaped it.

Choices: a tier is built once for a stack (values known at synthesis) and once
for a module (values are variables). Where a value decides which resources exist,
the tier asks for a `Flag`: a Python bool in a stack, an HCL condition (`Expr`) in a
module. The helpers below (`optional_count`, `rows_where`, `rows_when`, `negate`,
`both`, `is_set`, `value_or`, `optional_value`) turn either into "create or not",
so tier code never asks which of the two it is being built for.
"""
from __future__ import annotations

import re
from typing import Any, Mapping, TypeVar

from .cdk import Construct, TerraformDataSource, TerraformIterator, TerraformLocal, TerraformResource, Token

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
T = TypeVar("T", bound="TerraformResource | TerraformDataSource")


class Expr(str):
    """An HCL expression (no surrounding `${}`), e.g. a module's boolean condition."""


Flag = bool | Expr


# --------------------------------------------------------------------------- names


def new(cls: type[T], scope: Construct, construct_id: str, **config: Any) -> T:
    """Create a resource or data source whose Terraform name is its construct ID.

    The name is the ID, or its part after the last "." when one scope holds two
    resources of the same name (`"association.public"` names
    `aws_route_table_association.public`). Plans and state addresses then read
    like hand-written Terraform (`aws_subnet.public["us-east-1a"]`, never
    `aws_subnet.network_public_1A2B3C4D`) and never change when constructs move.
    The name must be set before anything refers to the resource: cdktf fixes a
    reference's text when it is made.
    """
    name = construct_id.rsplit(".", 1)[-1]
    if not _IDENTIFIER.match(name):
        raise ValueError(f"construct id {construct_id!r} does not end in a valid Terraform name")
    element = cls(scope, construct_id, **config)
    element.override_logical_id(name)
    # Kept on the Python object: check_names reads it back without a round trip to jsii,
    # which answers each property read over a pipe (~0.3 ms, hundreds of them per synthesis).
    element._terraform_name = name
    return element


def check_names(scope: Construct) -> None:
    """Every resource below `scope` was made by `new()`, and no two share an address."""
    seen: dict[tuple[str, str], Any] = {}
    for node in scope.node.find_all():
        if not isinstance(node, (TerraformResource, TerraformDataSource)):
            continue
        name = getattr(node, "_terraform_name", None)
        if name is None:
            raise ValueError(f"{node.node.path} was not created with new(): its name is {node.friendly_unique_id}")
        key = (type(node).__name__, name)
        if key in seen:
            raise ValueError(f"{node.terraform_resource_type}.{name} is declared twice "
                             f"({seen[key].node.path} and {node.node.path})")
        seen[key] = node


def terraform_name(element: Construct) -> str:
    return getattr(element, "_terraform_name", None) or element.node.id.rsplit(".", 1)[-1]


def address(resource: TerraformResource | TerraformDataSource) -> str:
    """`<type>.<name>`: the resource's address, for hand-written expressions."""
    prefix = "data." if isinstance(resource, TerraformDataSource) else ""
    return f"{prefix}{resource.terraform_resource_type}.{terraform_name(resource)}"


def each_ref(resource: TerraformResource, attribute_name: str) -> str:
    """`attribute_name` of the instance of a `for_each` resource that has the current `each.key`.

    cdktf renders `resource.id` of a `for_each` resource without an instance key;
    this reaches the instance for the same key (the same AZ, say).
    """
    return f"${{{address(resource)}[each.key].{attribute_name}}}"


def terraform_literal(text: str) -> str:
    """`text` as Terraform reads it literally from JSON: `${` and `%{` would start an expression or
    a directive, so they are written `$${` and `%%{`. For free text from the user (tags) that
    reaches Terraform as a plain string, never through an `Fn.*` argument, which cdktf escapes
    itself: escaping both ways would double it."""
    return text.replace("${", "$${").replace("%{", "%%{")


def interpolate(value: str | Expr) -> str:
    """A value for a resource argument: an `Expr` as a `${}` template, anything else as it is."""
    return f"${{{value}}}" if isinstance(value, Expr) else value


def local_value(scope: Construct, name: str, expression: Any) -> TerraformLocal:
    """`local.<name>` (named as written: cdktf would otherwise add a hash)."""
    local = TerraformLocal(scope, name, expression)
    local.override_logical_id(name)
    return local


# --------------------------------------------------------------------------- flags


def negate(flag: Flag) -> Flag:
    if not isinstance(flag, Expr):
        return not flag
    if flag.startswith("!(") and flag.endswith(")") and _closes_at_end(flag[1:]):
        return Expr(flag[2:-1])  # !(!(x)) is x
    return Expr(f"!({flag})")


def _closes_at_end(text: str) -> bool:
    """Whether the "(" that starts `text` is closed by its last character (strings have no parentheses
    here that matter: a flag is a comparison of variables and literals)."""
    depth = 0
    for index, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0:
            return index == len(text) - 1
    return False


def both(first: Flag, second: Flag) -> Flag:
    if first is False or second is False:
        return False
    if first is True or second is True:
        return second if first is True else first
    return Expr(f"{first} && {second}")


def is_set(value: str | Expr | None) -> Flag:
    """Whether an optional value is given: known in a stack, `!= null` in a module."""
    return Expr(f"{value} != null") if isinstance(value, Expr) else value is not None


def is_null(value: str | Expr | None) -> Flag:
    return Expr(f"{value} == null") if isinstance(value, Expr) else value is None


def optional_count(flag: Flag) -> dict[str, Any] | None:
    """Arguments that make a single resource exist only when `flag` holds; None: leave it out."""
    if flag is True:
        return {}
    if flag is False:
        return None
    return {"count": Token.as_number(f"${{{flag} ? 1 : 0}}")}


def attribute(resource: Any, name: str) -> str:
    """`resource.<name>`, also for a resource made with `optional_count` (then null when absent)."""
    if resource.count is not None:
        return f"${{one({address(resource)}[*].{name})}}"
    return getattr(resource, name)


def value_or(value: str | Expr | None, fallback: Any, name: str) -> str:
    """`value` when given, else `name` of the `fallback` resource (made only when `value` is not)."""
    if isinstance(value, Expr):
        return f"${{coalesce({value}, one({address(fallback)}[*].{name}))}}"
    return value if value is not None else Token.as_string(getattr(fallback, name))


def absent_note(flag: Flag, note: str) -> str:
    """" (<note>)" for a description of something that may not exist (a module's condition), else ""."""
    return f" ({note})" if isinstance(flag, Expr) else ""


def optional_value(flag: Flag, expression: str) -> str | None:
    """`${expression}` where it exists: always (True), never (False: None), or null when absent."""
    if flag is False:
        return None
    return f"${{{expression}}}" if flag is True else f"${{try({expression}, null)}}"


def rows_where(scope: Construct, name: str, flag: Flag, rows: Mapping[str, Any] | Expr) -> TerraformIterator | None:
    """`for_each` rows (a dict, or an HCL map expression) of resources that exist only when
    `flag` holds; None when they never do. A dict under a condition becomes `local.<name>`."""
    if flag is False:
        return None
    if flag is True:
        return TerraformIterator.from_map(dict(rows) if isinstance(rows, Mapping)
                                          else Token.as_any_map(f"${{{rows}}}"))
    if isinstance(rows, Mapping):
        local_value(scope, name, dict(rows))
        rows = Expr(f"local.{name}")
    return TerraformIterator.from_map(Token.as_any_map(f"${{{flag} ? {rows} : {{}}}}"))


def rows_when(scope: Construct, name: str, rows: Mapping[str, Mapping[str, Any]],
              when: Mapping[str, Flag]) -> TerraformIterator:
    """`for_each` over the rows whose condition in `when` holds (rows without one always exist).

    Bool conditions filter the table here; when any is a module's condition,
    Terraform filters `local.<name>` instead."""
    if not any(isinstance(flag, Expr) for flag in when.values()):
        return TerraformIterator.from_map({key: dict(row) for key, row in rows.items() if when.get(key, True)})
    local_value(scope, name, {key: dict(row) for key, row in rows.items()})
    conditions = ", ".join(f'"{key}" = ({str(flag).lower() if isinstance(flag, bool) else flag})'
                           for key, flag in when.items())
    return TerraformIterator.from_map(Token.as_any_map(
        f"${{{{ for key, row in local.{name} : key => row if lookup({{ {conditions} }}, key, true) }}}}"))
