"""Reading and tidying the HCL cdktf writes, so that exported modules read like hand-written Terraform.

cdktf renders a stack as HCL (`SYNTH_HCL_OUTPUT=true`) with every reference
still wrapped as a template, `vpc_id = "${aws_vpc.cluster.id}"`, because its JSON
form needs that. Two operations on that text, both aware of HCL's strings,
templates and heredocs, never of what a value means:
- `blocks()` splits it into its top-level blocks (`resource "aws_vpc" "cluster"
  {...}`), so the export can sort them into the standard files;
- `unwrap()` turns a string that is one interpolation and nothing else
  (`"${x}"`) into the bare expression (`x`), which Terraform reads the same way
  (a template of a single interpolation yields the value itself, of its type).
Formatting is left to `terraform fmt`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_HEREDOC = re.compile(r"<<-?([A-Za-z_][A-Za-z0-9_]*)\n")


@dataclass(frozen=True)
class Block:
    kind: str  # resource, data, variable, output, locals, terraform, provider, module, moved
    labels: tuple[str, ...]
    text: str  # the whole block, header to closing brace


def _string_end(text: str, at: int) -> int:
    """Index just past the quoted string (template) that starts at `text[at] == '"'`."""
    i = at + 1
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == '"':
            return i + 1
        if text.startswith("${", i) or text.startswith("%{", i):
            i = _expression_end(text, i + 2)
            continue
        i += 1
    raise ValueError(f"unterminated string at {at}")


def _expression_end(text: str, at: int) -> int:
    """Index just past the `}` that closes the interpolation whose content starts at `at`."""
    depth, i = 1, at
    while i < len(text):
        char = text[i]
        if char == '"':
            i = _string_end(text, i)
            continue
        if char in "{[(":
            depth += 1
        elif char in "}])":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ValueError(f"unterminated interpolation at {at}")


def _skip(text: str, i: int) -> int:
    """Past a string or heredoc starting at `i`, else `i + 1`."""
    if text[i] == '"':
        return _string_end(text, i)
    heredoc = _HEREDOC.match(text, i)
    if heredoc:
        end = re.compile(rf"^\s*{heredoc.group(1)}$", re.MULTILINE).search(text, heredoc.end())
        if end is None:
            raise ValueError(f"unterminated heredoc at {i}")
        return end.end()
    return i + 1


def blocks(text: str) -> list[Block]:
    """The top-level blocks of an HCL document, in order."""
    found, i = [], 0
    header = re.compile(r'\s*([a-z_]+)((?:\s+"[^"]*")*)\s*\{')
    while i < len(text):
        match = header.match(text, i)
        if match is None:
            if text[i:].strip():
                raise ValueError(f"unexpected text at {i}: {text[i:i + 40]!r}")
            break
        depth, j = 1, match.end()
        while depth:
            char = text[j]
            if char in '"<':
                j = _skip(text, j)
                continue
            depth += {"{": 1, "}": -1}.get(char, 0)
            j += 1
        labels = tuple(re.findall(r'"([^"]*)"', match.group(2)))
        found.append(Block(match.group(1), labels, text[match.start():j].strip()))
        i = j
    return found


def unwrap(text: str) -> str:
    """`"${expr}"` -> `expr` wherever a string is exactly one interpolation (not inside a heredoc)."""
    out, i = [], 0
    while i < len(text):
        char = text[i]
        if char == "<" and _HEREDOC.match(text, i):
            end = _skip(text, i)
            out.append(text[i:end])
            i = end
        elif char == '"':
            end = _string_end(text, i)
            literal = text[i:end]
            if literal.startswith('"${') and _expression_end(text, i + 3) == end - 1:
                out.append(unwrap(literal[3:-2]))  # its own strings may hold more of them
            else:
                out.append(literal)
            i = end
        else:
            out.append(char)
            i += 1
    return "".join(out)
