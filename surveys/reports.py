"""Result tables in the user's language: for the terminal and as an .xlsx workbook.

Both views are built from the same rows (``summary_table``, ``detail_table``)
so the terminal and the workbook always show the same numbers.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import openpyxl
from openpyxl.styles import Font

from storage.models import Campaign
from surveys.campaigns import snapshot
from surveys.messages import translate
from surveys.questionnaire import GRADE_LABELS, GRADES, GROUP_LABELS, RATER_GROUPS
from surveys.results import CadreResult, rounded


def summary_table(campaign: Campaign, results: list[CadreResult], locale: str) -> list[list]:
    """Header plus one row per cadre: counts, group scores, composite, vote shares."""
    _ = lambda message: translate(message, locale=locale)  # noqa: E731
    groups = [group for group in RATER_GROUPS if group in snapshot(campaign).group_weights]
    header = [_("Cadre id"), _("Name"), _("Unit"), _("Post")]
    header += [_("Responses: %(group)s") % {"group": _(GROUP_LABELS[g])} for g in groups]
    header += [_("Score: %(group)s") % {"group": _(GROUP_LABELS[g])} for g in groups]
    header += [_("Composite")] + [_(GRADE_LABELS[grade]) for grade in GRADES]
    rows = [header]
    for result in results:
        score = result.score
        row = [result.cadre.external_id, result.cadre.name, result.cadre.unit, result.cadre.post]
        row += [score.responses.get(group, 0) for group in groups]
        row += [rounded(score.group_scores.get(group)) for group in groups]
        row += [rounded(score.composite)]
        row += [_percent(score.vote_shares.get(grade)) for grade in GRADES]
        rows.append(row)
    return rows


def _percent(share: float | None) -> str:
    return "" if share is None else f"{rounded(share * 100, 1)}%"


def detail_table(campaign: Campaign, results: list[CadreResult], locale: str) -> list[list]:
    """Header plus one row per cadre, group and item: item, dimension and their means."""
    _ = lambda message: translate(message, locale=locale)  # noqa: E731
    questionnaire = snapshot(campaign)
    header = [
        _("Cadre id"),
        _("Name"),
        _("Group"),
        _("Dimension"),
        _("Dimension mean"),
        _("Item"),
        _("Item mean"),
    ]
    rows = [header]
    for result in results:
        score = result.score
        for group in RATER_GROUPS:
            if group not in score.item_means:
                continue
            for dimension in questionnaire.dimensions:
                for item in dimension.items:
                    if item.key not in score.item_means[group]:
                        continue
                    rows.append(
                        [
                            result.cadre.external_id,
                            result.cadre.name,
                            _(GROUP_LABELS[group]),
                            dimension.title.get(locale),
                            rounded(score.dimension_means[group][dimension.key]),
                            item.text.get(locale),
                            rounded(score.item_means[group][item.key]),
                        ]
                    )
    return rows


def write_results_workbook(
    path: Path, campaign: Campaign, results: list[CadreResult], locale: str
) -> None:
    """Write the summary and the details as two sheets of one workbook."""
    _ = lambda message: translate(message, locale=locale)  # noqa: E731
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in (
        (_("Summary"), summary_table(campaign, results, locale)),
        (_("Details"), detail_table(campaign, results, locale)),
    ):
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
    workbook.save(path)


def format_table(rows: list[list]) -> str:
    """Align a table for the terminal (CJK characters count as two columns)."""
    texts = [["" if cell is None else str(cell) for cell in row] for row in rows]
    widths = [max(_width(row[index]) for row in texts) for index in range(len(texts[0]))]
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
