"""Markdown tables in the reports and READMEs the project writes."""
from __future__ import annotations


def cell(text: str) -> str:
    """`text` as one table cell: a `|` would end the cell and a newline the row; an empty cell reads `-`."""
    return text.replace("|", "\\|").replace("\n", " ") or "-"
