"""Reports for the terminal: the tables of ``surveys.results.reports`` as aligned plain text.

The writer knows the shape of a table (``surveys.documents.report_tables.Table``: title,
columns, rows, notes, form), never which report it belongs to, so every
table a report gains is printed without a change here.  Chinese characters
take two terminal columns, so they are counted as two when aligning.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from surveys.documents.report_tables import LIST, PAIRS, Table


def tables_text(tables: Iterable[Table], locale: str) -> str:
    """The tables one after another, a blank line between them; empty ones left out."""
    return "\n\n".join(block for block in (table_text(t, locale) for t in tables) if block)


def table_text(table: Table, locale: str) -> str:
    """One table: its title, then the rows as its form wants them, then its notes.

    A table without rows says its ``empty`` sentence instead, or is left
    out when it has none.
    """
    if not table.shown():
        return ""
    lines = [table.title] if table.title else []
    if not table.rows:
        lines += [table.empty] if table.empty else []
    elif table.form == PAIRS:
        colon = "：" if locale == "zh" else ": "
        lines += [f"{label}{colon}{_cell(value)}" for label, value, *_ in table.rows]
    elif table.form == LIST:
        lines += [f"  - {_cell(row[0])}" for row in table.rows]
    else:
        lines.append(format_table(table.grid()))
    lines += table.notes
    return "\n".join(lines)


def _cell(value: object) -> str:
    """A cell's text: empty for None."""
    return "" if value is None else str(value)


def format_table(rows: list[list]) -> str:
    """Align a table for the terminal (CJK characters count as two columns)."""
    texts = [[_cell(cell) for cell in row] for row in rows]
    if not texts:
        return ""
    columns = max(len(row) for row in texts)
    texts = [row + [""] * (columns - len(row)) for row in texts]
    widths = [max(_width(row[index]) for row in texts) for index in range(columns)]
    lines = [
        "  ".join(
            cell + " " * (width - _width(cell)) for cell, width in zip(row, widths, strict=True)
        )
        for row in texts
    ]
    return "\n".join(line.rstrip() for line in lines)


def _width(text: str) -> int:
    """Terminal columns a text takes: wide (CJK) characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)
