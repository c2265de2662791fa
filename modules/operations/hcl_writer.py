"""Terraform's JSON syntax written back as native HCL, as a person would write it.

cdktf synthesizes JSON, where every expression hides in a string (`"${var.x}"`)
and every policy is JSON inside JSON. Its own HCL output keeps both and is not
always valid (unescaped quotes in policies, `postcondition = [...]` for blocks),
so the modules are written from the JSON by this writer, which changes the
notation and never the meaning:
- a string that is one interpolation and nothing else becomes the bare
  expression (`vpc_id = aws_vpc.cluster.id`): a template of one interpolation
  yields the value itself, of its own type, in either syntax;
- other strings are quoted templates, or heredocs when they span lines; their
  interpolations are copied as written;
- a string that is a compact JSON document becomes `jsonencode({...})` when
  `jsonencode` gives back exactly its literal text (sorted keys, no `<`, `>`, `&`,
  which it would escape); each of its strings stays a string: a template, or
  `tostring(x)` for one that was a sole interpolation (HCL, like the JSON syntax,
  would take `"${x}"` for the value of x itself, a number for a number), and
  Terraform now escapes an interpolated value where the JSON syntax pasted it in raw;
- what the JSON syntax reads literally (a variable's description and default) stays
  literal: `${` and `%{` in it are escaped;
- references the JSON syntax quotes (`depends_on`, `ignore_changes`,
  `provider`, a variable's `type`) are written bare.

Why not a library: python-hcl2's writer would be a dependency for the export alone and
would still need the block knowledge and the unwrapping rules below; hclwrite is Go. So this file is kept small, total on what the modules hold,
and tested on its own (tests/test_hcl_writer.py) and end to end: the HCL is planned beside
the JSON it came from (tests/test_exported_modules.py).

Which keys are nested blocks is the provider schema's knowledge, not the JSON's:
the caller passes it (`BlockPaths`, read from the bindings in constructs/cdk.py).
Alignment of `=` is left to `terraform fmt`, which the export runs.
"""
from __future__ import annotations

import json
import re
from typing import Any, Iterable, Mapping

# ("resource", "aws_instance", "root_block_device"), ("data", "aws_route_table", "filter"), ...
BlockPaths = frozenset[tuple[str, ...]]

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_KEYWORDS = {"true", "false", "null"}  # a bare key that reads as a literal value
_META_FIRST = ("count", "for_each", "provider")
_META_LAST = ("depends_on", "lifecycle")
_LAST_ARGUMENTS = {"tags", "tags_all"}
_REFERENCES = {"depends_on", "ignore_changes", "replace_triggered_by"}  # lists of bare references
# The language's own nested blocks, by where they appear (the provider schema gives the rest).
_LANGUAGE_BLOCKS = {("resource", 2): {"lifecycle"}, ("data", 2): {"lifecycle"},
                    ("resource", 3, "lifecycle"): {"precondition", "postcondition"},
                    ("data", 3, "lifecycle"): {"precondition", "postcondition"},
                    ("variable", 1): {"validation"}, ("output", 1): {"precondition"}, ("check", 1): {"assert"},
                    ("terraform", 1): {"required_providers", "backend", "cloud"}}
# Arguments the JSON syntax reads as literal strings, not templates.
_LITERAL = {("variable",): {"description", "default"}, ("output",): {"description"},
            ("terraform",): {"required_version"}, ("terraform", "required_providers"): {"aws"},
            ("module",): {"source", "version"}, ("provider",): {"alias"}}
# Arguments in the order the style guide and terraform-docs users expect, before the others.
_LEADING = {("variable",): ("description", "type", "default", "nullable", "sensitive"),
            ("output",): ("description", "value", "sensitive")}
INDENT = "  "
_INLINE_LIST = 100  # a list of scalars stays on one line up to this many characters


# --------------------------------------------------------------------------- templates


def _quoted_end(text: str, at: int) -> int:
    """Index past the quoted template that opens at `text[at] == '"'` (inside an expression)."""
    i = at + 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
        elif text[i] == '"':
            return i + 1
        elif text.startswith(("${", "%{"), i):
            i = _directive_end(text, i)
        else:
            i += 1
    raise ValueError(f"unterminated string in {text!r}")


def _directive_end(text: str, at: int) -> int:
    """Index past the `}` closing the `${` or `%{` at `at`, skipping nested brackets and strings."""
    depth, i = 1, at + 2
    while i < len(text):
        char = text[i]
        if char == '"':
            i = _quoted_end(text, i)
            continue
        if char in "{[(":
            depth += 1
        elif char in "}])":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ValueError(f"unterminated interpolation in {text!r}")


def template_parts(text: str) -> list[tuple[bool, str]]:
    """`text` (a JSON-syntax string, i.e. a template) as (is_directive, source) parts."""
    parts: list[tuple[bool, str]] = []
    literal, i = [], 0
    while i < len(text):
        if text.startswith(("$${", "%%{"), i):  # escaped: literal `${` / `%{`, kept escaped
            literal.append(text[i:i + 3])
            i += 3
        elif text.startswith(("${", "%{"), i):
            if literal:
                parts.append((False, "".join(literal)))
                literal = []
            end = _directive_end(text, i)
            parts.append((True, text[i:end]))
            i = end
        else:
            literal.append(text[i])
            i += 1
    if literal:
        parts.append((False, "".join(literal)))
    return parts


def _escape(literal: str) -> str:
    out = []
    for char in literal:
        if char in '"\\':
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif char == "\t":
            out.append("\\t")
        elif ord(char) < 0x20:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return "".join(out)


def _sole_interpolation(parts: list[tuple[bool, str]]) -> str | None:
    """The expression of a template that is exactly one `${...}` (no strip markers), else None."""
    if len(parts) == 1 and parts[0][0] and parts[0][1].startswith("${"):
        inner = parts[0][1][2:-1]
        if not inner.startswith("~") and not inner.endswith("~"):
            return inner.strip()
    return None


def _as_json_document(text: str) -> Any | None:
    """The object or list `text` encodes, when `jsonencode` of it gives back `text` exactly:
    keys sorted, no spaces, and nothing Terraform's encoder writes otherwise (it escapes `<`,
    `>`, `&`, U+2028 and U+2029, and writes 1.0 as 1)."""
    if not text.startswith(("{", "[")) or any(char in text for char in "<>&\u2028\u2029"):
        return None
    try:
        document = json.loads(text)
    except ValueError:
        return None
    if not document or json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False) != text:
        return None
    try:
        _check_document(document)
    except ValueError:
        return None
    return document


def _check_document(value: Any) -> None:
    """Raise ValueError for a float, or a string that is not a well-formed template."""
    if isinstance(value, float):
        raise ValueError(value)
    if isinstance(value, str):
        template_parts(value)
    elif isinstance(value, list):
        for item in value:
            _check_document(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_document(key)
            _check_document(item)


def _heredoc(text: str, parts: list[tuple[bool, str]], level: int) -> str | None:
    """`text` as a heredoc, or None when one cannot say exactly the same."""
    body = text[:-1] if text.endswith("\n") else text
    marker = "EOT"
    while marker in (line.strip() for line in body.split("\n")):  # HCL ends a heredoc on an indented marker too
        marker += "X"
    heredoc = f"<<{marker}\n{body}\n{marker}"
    if text.endswith("\n"):
        return heredoc
    # A heredoc ends with a newline; chomp() removes the one the text does not have, and
    # nothing else only when the text ends in literal text that is not a line break.
    if parts[-1][0] or text.endswith("\r"):
        return None
    return f"chomp({heredoc}\n{INDENT * level})"


def _quoted(parts: list[tuple[bool, str]]) -> str:
    return '"' + "".join(source if directive else _escape(source) for directive, source in parts) + '"'


def literal(text: str) -> str:
    """A string the JSON syntax reads literally (a variable's description and default): `${`
    and `%{` are escaped, so HCL reads no template in it either."""
    return '"' + _escape(text).replace("${", "$${").replace("%{", "%%{") + '"'


def string(text: str, level: int = 0, *, in_document: bool = False) -> str:
    """A JSON-syntax string as an HCL expression. In a JSON document (`jsonencode({...})`),
    every string stays a string: the JSON syntax pasted an interpolation's value into a JSON
    string, so `"${var.port}"` there is "6443", never 6443, and is written `tostring(var.port)`."""
    parts = template_parts(text)
    sole = _sole_interpolation(parts)
    if in_document:
        return f"tostring({sole})" if sole is not None else _quoted(parts)
    if sole is not None:
        return sole
    document = _as_json_document(text)
    if document is not None:
        return f"jsonencode({expression(document, level, in_document=True)})"
    if any(not directive and "\n" in source.rstrip("\n") for directive, source in parts):
        heredoc = _heredoc(text, parts, level)
        if heredoc is not None:
            return heredoc
    return _quoted(parts)


# --------------------------------------------------------------------------- expressions


def key(name: str, *, as_literal: bool = False) -> str:
    """An object key: bare when it is an identifier, else a quoted template (or literal)."""
    if _IDENTIFIER.match(name) and name not in _KEYWORDS:
        return name
    return literal(name) if as_literal else _quoted(template_parts(name))


def expression(value: Any, level: int = 0, *, in_document: bool = False, as_literal: bool = False) -> str:
    """A JSON value (Terraform's JSON syntax) as an HCL expression at indentation `level`;
    `in_document`: inside `jsonencode`; `as_literal`: where the JSON syntax reads no templates."""
    nested = {"in_document": in_document, "as_literal": as_literal}
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if isinstance(value, str):
        return literal(value) if as_literal else string(value, level, in_document=in_document)
    if isinstance(value, list):
        items = [expression(item, level + 1, **nested) for item in value]
        inline = "[" + ", ".join(items) + "]"
        if not any(isinstance(item, (dict, list)) for item in value) and "\n" not in inline \
                and len(inline) <= _INLINE_LIST:
            return inline
        pad = INDENT * (level + 1)
        return "[\n" + "".join(f"{pad}{item},\n" for item in items) + INDENT * level + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        pad = INDENT * (level + 1)
        return "{\n" + "".join(f"{pad}{key(name, as_literal=as_literal)} = {expression(item, level + 1, **nested)}\n"
                               for name, item in value.items()) + INDENT * level + "}"
    raise TypeError(f"not a JSON value: {value!r}")


def _bare(value: Any) -> str:
    """A reference or type the JSON syntax writes as a string (`"aws_vpc.cluster"`, `"list(string)"`)."""
    if isinstance(value, list):
        return "[" + ", ".join(_bare(item) for item in value) + "]"
    if not isinstance(value, str):
        raise TypeError(f"expected a reference, got {value!r}")
    sole = _sole_interpolation(template_parts(value))
    return sole if sole is not None else value


# --------------------------------------------------------------------------- blocks


def body(items: Mapping[str, Any], level: int, path: tuple[str, ...], blocks: BlockPaths) -> list[str]:
    """The lines of a block body: meta-arguments, attributes, nested blocks, then lifecycle."""
    leading = tuple(name for name in _META_FIRST + _LEADING.get(path, ()) if name in items)
    rest = [name for name in items if name not in leading + _META_LAST]
    attributes = [name for name in rest if not _is_block(path, name, blocks)]
    # Tags last among the arguments, nested blocks after them, as the style guide lays a block out.
    attributes.sort(key=lambda name: name in _LAST_ARGUMENTS)
    order = [*leading, *attributes, *(name for name in rest if name not in attributes),
             *(name for name in _META_LAST if name in items)]
    lines: list[str] = []
    previous = None
    for name in order:
        value = items[name]
        nested = _is_block(path, name, blocks)
        group = "first" if name in _META_FIRST else "last" if name in _META_LAST else "block" if nested else "attr"
        if lines and (group != previous or group in ("block", "last")):
            lines.append("")
        previous = group
        if nested:
            for item in value if isinstance(value, list) else [value]:
                lines += block(name, (), item, level, path + (name,), blocks)
        elif name in _REFERENCES or name == "provider" or (path[:1] == ("variable",) and name == "type"):
            lines.append(f"{INDENT * level}{name} = {_bare(value)}")
        elif name in _LITERAL.get(path, ()):
            lines.append(f"{INDENT * level}{name} = {expression(value, level, as_literal=True)}")
        else:
            lines.append(f"{INDENT * level}{name} = {expression(value, level)}")
    return lines


def _is_block(path: tuple[str, ...], name: str, blocks: BlockPaths) -> bool:
    if path + (name,) in blocks:
        return True
    where = (path[0], len(path), *path[2:3]) if len(path) == 3 else (path[0], len(path))
    return name in _LANGUAGE_BLOCKS.get(where, ())


def block(kind: str, labels: Iterable[str], items: Mapping[str, Any], level: int, path: tuple[str, ...],
          blocks: BlockPaths) -> list[str]:
    """A block `kind "label" ... { ... }` as lines."""
    header = " ".join([kind, *(json.dumps(label) for label in labels)])
    inner = body(items, level + 1, path, blocks)
    if not inner:
        return [f"{INDENT * level}{header} {{}}"]
    return [f"{INDENT * level}{header} {{", *inner, f"{INDENT * level}}}"]


def document_blocks(document: Mapping[str, Any], blocks: BlockPaths,
                    order: Iterable[tuple[str, str, str]] = ()) -> dict[str, list[list[str]]]:
    """The top-level blocks of a JSON-syntax document, by kind, each as lines; resources and
    data sources together under "elements", in `order` ((kind, type, name)) where it names them."""
    out: dict[str, list[list[str]]] = {}
    rank = {address: index for index, address in enumerate(order)}
    elements: list[tuple[int, list[str]]] = []
    for kind, content in document.items():
        if kind == "terraform":
            out.setdefault(kind, []).append(block("terraform", (), content, 0, ("terraform",), blocks))
        elif kind == "locals":
            out.setdefault(kind, []).append(block("locals", (), content, 0, ("locals",), blocks))
        elif kind in ("variable", "output", "module", "provider"):
            for name, items in content.items():
                out.setdefault(kind, []).append(block(kind, (name,), items, 0, (kind,), blocks))
        elif kind in ("resource", "data"):
            for type_name, named in content.items():
                for name, items in named.items():
                    elements.append((rank.get((kind, type_name, name), len(rank)),
                                     block(kind, (type_name, name), items, 0, (kind, type_name), blocks)))
        elif kind == "check":  # after the resources and data sources it asserts on
            for name, items in content.items():
                elements.append((len(rank) + 1, block(kind, (name,), items, 0, (kind,), blocks)))
        else:
            raise ValueError(f"top-level {kind!r} blocks are not written (yet)")
    if elements:
        out["elements"] = [lines for _, lines in sorted(elements, key=lambda pair: pair[0])]
    return out


def join(blocks_: Iterable[list[str]]) -> str:
    """Top-level blocks as file text, a blank line between them."""
    return "\n\n".join("\n".join(lines) for lines in blocks_) + "\n"
