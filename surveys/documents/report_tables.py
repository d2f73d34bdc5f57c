"""A report's table: title, columns, rows, notes, and what its parts are.

``surveys.results.reports`` describes each report once as a list of these; the
writers (``surveys.documents.report_text``, ``surveys.documents.report_xlsx``,
``surveys.results.report_pdf``, the HR pages) render any table, knowing its shape
and never which report it belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass, field

GRID, PAIRS, LIST = "grid", "pairs", "list"


@dataclass(frozen=True)
class Table:
    """One titled table of a report, in the reader's language: what every writer renders.

    Each report is described once, as a list of tables (``overview_tables``,
    ``cadre_tables``); the text, workbook, PDF and HTML writers loop over
    them and none lists a report's columns itself, so a new column or table
    reaches every output at once.  The fields say what the content is; how
    it looks is each writer's business:

    - ``form``: ``GRID`` (a header and rows), ``PAIRS`` (label and value per
      row: key figures, facts) or ``LIST`` (one sentence per row);
    - ``empty``: said instead of the rows when there are none; without it an
      empty table is left out (the workbook still writes its header);
    - ``notes``: sentences that belong under the table;
    - ``printed``: False for the long tables only the workbook carries;
    - ``sheet``: the workbook sheet the table goes on (default: its title);
    - ``chart``: the chart drawn above it, where a writer draws charts;
    - ``cadre_column``: the column of cadre ids (the web links them);
    - ``prose``: the last column holds sentences.

    A table reads as its grid (header row, then rows), as a sheet holds it.
    """

    key: str
    title: str
    columns: list[str]
    rows: list[list]
    notes: list[str] = field(default_factory=list)
    form: str = GRID
    empty: str | None = None
    printed: bool = True
    sheet: str | None = None
    chart: str | None = None
    cadre_column: int | None = None
    prose: bool = False

    def grid(self) -> list[list]:
        """The header row (when there are columns) and the rows, as a sheet holds them."""
        return ([list(self.columns)] if self.columns else []) + list(self.rows)

    def shown(self) -> bool:
        """Whether the table has anything to say: rows, or the sentence for none."""
        return bool(self.rows) or self.empty is not None

    def __iter__(self):
        """Rows of the grid, header first: a table reads like the sheet it becomes."""
        return iter(self.grid())

    def __getitem__(self, index):
        """A row of the grid (0: the header, when there are columns)."""
        return self.grid()[index]

    def __len__(self) -> int:
        """Rows in the grid, the header included."""
        return len(self.grid())
