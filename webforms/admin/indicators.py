"""The HR console's performance indicators (实绩): template, upload with preview, confirm, list.

The same steps as ``cadre indicators template|import|list``, through the
same use cases of ``surveys.setup.indicators``: the file is read by
``read_indicators`` and checked by ``check_indicators`` (every bad row with
its number and reason), and nothing is stored until HR confirms.  As with
the roster (``webforms.admin.roster``), the uploaded bytes are held on the
server (``webforms.admin.held_files``) and the confirm step imports exactly
those bytes through ``import_indicators``, which checks them again and
refuses a campaign whose results are published or whose questionnaire has
no performance section, as the command does.

The list shows what ``cadre indicators list`` prints: each cadre's
indicators with their attainment and indicator score (HR's own figures,
never ballots), and once the box is opened how the performance dimension
was made, from the disclosure-filtered results only (``shown_performance``).
"""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from flask import flash, redirect, request, send_file, url_for
from flask_babel import gettext

from storage.models import Campaign
from surveys.results.outcomes import shown_results
from surveys.results.performance_parts import shown_performance
from surveys.results.reports import performance_sentence
from surveys.rules.performance import Attainment, Indicator, indicator_score
from surveys.rules.scoring import rounded
from surveys.setup.accounts import WRITERS
from surveys.setup.campaigns import CampaignError, campaign_cadres, campaign_state, snapshot
from surveys.setup.indicators import (
    COLUMNS,
    IndicatorError,
    Rows,
    cadres_by_id,
    check_indicators,
    import_indicators,
    importable,
    read_indicators,
    stored_indicators,
    write_template,
)
from surveys.setup.roster import RowProblem
from webforms.admin import held_files
from webforms.admin.accounts import admin_page, bp, state_labels
from webforms.admin.hr_auth import login_required, roles_required
from webforms.admin.reports import campaign_message, campaign_or_404
from webforms.admin.roster import XLSX, present, problem_rows
from webforms.clock import current_time
from webforms.db import get_session
from webforms.i18n import current_locale

# A campaign of a few thousand cadres with ten indicators each is a few MB of CSV.
MAX_UPLOAD_BYTES = 8 * 1024 * 1024
PREVIEW_ROWS = 200
SUFFIXES = (".xlsx", ".csv")


def allow_indicator_uploads(state) -> None:
    """Let indicator uploads be larger than answers (as ``roster.allow_roster_uploads``)."""
    state.app.before_request_funcs.setdefault(None, []).insert(0, raise_upload_limit)


def raise_upload_limit() -> None:
    """The indicator preview alone may receive up to ``MAX_UPLOAD_BYTES``."""
    if request.endpoint == "admin.indicators_preview":
        request.max_content_length = MAX_UPLOAD_BYTES


bp.record_once(allow_indicator_uploads)


def held_kind(campaign: Campaign) -> str:
    """One held indicator upload per campaign and session."""
    return f"indicators:{campaign.id}"


def campaign_frame(campaign: Campaign) -> dict:
    """What the campaign heading and its navigation need."""
    return {
        "campaign": campaign,
        "state": campaign_state(campaign, current_time()),
        "states": state_labels(),
    }


def figure(value: float | None) -> str:
    """A figure as the command shows it: two decimals, or a dash when there is none."""
    return "-" if value is None else f"{rounded(value):.2f}"


@dataclass(frozen=True)
class CadreIndicators:
    """One cadre's stored indicators as the list shows them, with the indicator score."""

    heading: str
    rows: list[list[str]]


def attainment_row(reached: Attainment) -> list[str]:
    """One indicator: name, target, actual, unit, weight, direction, attainment, counted."""
    indicator = reached.indicator
    direction = (
        gettext("higher is better")
        if indicator.direction == "higher"
        else gettext("lower is better")
    )
    ratio = figure(reached.ratio * 100) if reached.ratio != float("inf") else "∞"
    return [
        indicator.name,
        f"{indicator.target:g}",
        f"{indicator.actual:g}",
        indicator.unit,
        f"{indicator.weight:g}",
        direction,
        f"{ratio}%",
        f"{figure(reached.counted * 100)}%",
    ]


def stored_lists(campaign: Campaign) -> list[CadreIndicators]:
    """The campaign's stored indicators per cadre, attainment counted with the template's cap."""
    session = get_session()
    settings = snapshot(campaign).performance
    cap = settings.cap if settings else 1.0
    cadres = cadres_by_id(session=session, campaign=campaign)
    by_cadre: dict[str, list] = {}
    for row in stored_indicators(session=session, campaign=campaign):
        by_cadre.setdefault(row.cadre_id, []).append(row)
    lists = []
    for cadre_id, rows in by_cadre.items():
        cadre = cadres[cadre_id]
        indicators = [
            Indicator(r.name, r.target, r.actual, r.weight, r.direction, r.unit) for r in rows
        ]
        score, attained = indicator_score(indicators, cap)
        heading = gettext(
            "%(id)s %(name)s: indicator score %(score)s",
            id=cadre.external_id,
            name=cadre.name,
            score=figure(score),
        )
        lists.append(CadreIndicators(heading, [attainment_row(r) for r in attained]))
    return lists


def performance_lines(campaign: Campaign) -> list[tuple[str, str]]:
    """Once the box is opened: (cadre, how its performance dimension was made), from the
    disclosure-filtered results only."""
    if campaign.box_opened_at is None:
        return []
    questionnaire = snapshot(campaign)
    titles = {d.key: d.title.get(current_locale()) for d in questionnaire.dimensions}
    lines = []
    for result in shown_results(session=get_session(), campaign=campaign):
        part = shown_performance(result)
        if part is not None:
            cadre = f"{result.cadre.external_id} {result.cadre.name}"
            lines.append(
                (
                    cadre,
                    performance_sentence(
                        part, titles.get(part.dimension, part.dimension), current_locale()
                    ),
                )
            )
    return lines


def refusal(campaign: Campaign) -> str | None:
    """Why this campaign takes no import (published, no performance section), or None."""
    try:
        importable(campaign)
    except CampaignError as error:
        return campaign_message(error)
    return None


def column_headings() -> list[str]:
    """The list's column headings (the indicator's name first)."""
    return [
        gettext("Indicator"),
        gettext("Target"),
        gettext("Actual"),
        gettext("Unit"),
        gettext("Weight"),
        gettext("Direction"),
        gettext("Attainment"),
        gettext("Counted"),
    ]


def indicators_page(campaign: Campaign, status: int = 200, error: str | None = None):
    """The upload form (writers), the stored indicators and the performance parts."""
    return admin_page(
        "admin/indicators.html",
        status,
        error=error,
        refused=refusal(campaign),
        lists=stored_lists(campaign),
        headings=column_headings(),
        parts=performance_lines(campaign),
        **campaign_frame(campaign),
    )


@bp.get("/campaigns/<campaign_id>/indicators", endpoint="indicators")
@login_required
def indicators_view(campaign_id: str):
    """Every role may read the stored indicators; writers may upload."""
    return indicators_page(campaign_or_404(campaign_id))


@bp.get("/campaigns/<campaign_id>/indicators/template.xlsx", endpoint="indicators_template")
@login_required
def indicators_template(campaign_id: str):
    """The indicator workbook with its header row and one example row
    (``cadre indicators template``)."""
    campaign_or_404(campaign_id)
    buffer = BytesIO()
    write_template(buffer)  # openpyxl saves to a path or a file object alike
    buffer.seek(0)
    return send_file(buffer, mimetype=XLSX, as_attachment=True, download_name="indicators.xlsx")


class UploadProblem(ValueError):
    """An upload that is not an indicator file at all; the message is already translated."""


def uploaded_file() -> tuple[str, bytes]:
    """The upload as (name to hold it under, bytes): one .xlsx or .csv file, else refused."""
    upload = request.files.get("indicators")
    if not present(upload):
        raise UploadProblem(gettext("Choose an indicator file: an .xlsx workbook or a .csv file."))
    suffix = Path(upload.filename or "").suffix.lower()
    if suffix not in SUFFIXES:
        raise UploadProblem(
            gettext(
                "%(file)s is not an .xlsx workbook or a .csv file. Save the indicators as "
                ".xlsx or as UTF-8 CSV.",
                file=upload.filename,
            )
        )
    return f"indicators{suffix}", upload.read()


def held_file(folder: Path) -> Path:
    """The one indicator file of a holding (a missing one reads as "not an indicator file")."""
    for suffix in SUFFIXES:
        if (folder / f"indicators{suffix}").is_file():
            return folder / f"indicators{suffix}"
    return folder / "indicators"


@dataclass(frozen=True)
class IndicatorPreview:
    """What an upload would store: its rows, every problem, and which rows are bad."""

    rows: Rows
    problems: list[RowProblem]

    @property
    def importable(self) -> bool:
        return not self.problems

    @property
    def bad_rows(self) -> set[int]:
        return {problem.row for problem in self.problems if problem.row}


def preview_file(campaign: Campaign, path: Path) -> IndicatorPreview:
    """Read and check a held file with the command's reader and checks; nothing is stored."""
    try:
        rows = read_indicators(path)
    except IndicatorError as error:
        return IndicatorPreview([], error.problems)
    cadre_ids = {
        cadre.external_id for cadre in campaign_cadres(session=get_session(), campaign=campaign)
    }
    return IndicatorPreview(rows, check_indicators(rows, cadre_ids))


def problems_summary(problems: list[RowProblem]) -> str:
    """The alert above the problems table: nothing was stored, and how many to fix."""
    return gettext(
        "The indicators were not imported: %(count)s problem(s) to fix. Nothing was stored.",
        count=len(problems),
    )


@bp.post("/campaigns/<campaign_id>/indicators/preview", endpoint="indicators_preview")
@roles_required(*WRITERS)
def indicators_preview(campaign_id: str):
    """Read an uploaded indicator file, hold it on the server and show what would be stored."""
    campaign = campaign_or_404(campaign_id)
    refused = refusal(campaign)
    if refused:
        return indicators_page(campaign, 409, refused)
    try:
        name, data = uploaded_file()
    except UploadProblem as problem:
        return indicators_page(campaign, 400, str(problem))
    held_id = held_files.hold(held_kind(campaign), {name: data})
    preview = preview_file(
        campaign, held_file(held_files.held_folder(held_kind(campaign), held_id))
    )
    if not preview.importable:  # nothing to confirm: the bytes need not wait on the disk
        held_files.release(held_kind(campaign))
    bad = preview.bad_rows
    return admin_page(
        "admin/indicators_preview.html",
        200 if preview.importable else 422,
        error=None if preview.importable else problems_summary(preview.problems),
        preview=preview,
        held_id=held_id,
        file_name=request.files["indicators"].filename,
        columns=COLUMNS,
        rows=[
            {"number": number, "cells": [row.get(c, "") for c in COLUMNS], "bad": number in bad}
            for number, row in preview.rows[:PREVIEW_ROWS]
        ],
        more=max(0, len(preview.rows) - PREVIEW_ROWS),
        cadres=len({row["cadre_id"] for _, row in preview.rows}),
        problems=problem_rows(preview.problems),
        **campaign_frame(campaign),
    )


@bp.post("/campaigns/<campaign_id>/indicators/confirm", endpoint="indicators_confirm")
@roles_required(*WRITERS)
def indicators_confirm(campaign_id: str):
    """Import exactly the held upload that was previewed, replacing the campaign's earlier one."""
    campaign = campaign_or_404(campaign_id)
    kind = held_kind(campaign)
    folder = held_files.held_folder(kind, request.form.get("upload", ""))
    if folder is None:
        return indicators_page(
            campaign,
            410,
            gettext(
                "This preview has expired or was already imported. Please upload the file again."
            ),
        )
    db = get_session()
    try:
        rows = read_indicators(held_file(folder))
        done = import_indicators(session=db, campaign=campaign, rows=rows, now=current_time())
    except CampaignError as error:  # published since the preview
        db.rollback()
        return indicators_page(campaign, 409, campaign_message(error))
    except IndicatorError as error:
        db.rollback()
        return indicators_page(campaign, 422, problems_summary(error.problems))
    db.commit()
    held_files.release(kind)
    flash(
        gettext(
            "Imported %(stored)s indicators for %(cadres)s cadres.",
            stored=done.stored,
            cadres=done.cadres,
        )
    )
    if done.replaced:
        flash(
            gettext("They replace the %(count)s indicators imported before.", count=done.replaced)
        )
    return redirect(url_for("admin.indicators", campaign_id=campaign.id), code=303)
