"""The HR console's roster pages: upload a roster, preview it with its problems, confirm.

Nothing is stored by the upload itself.  The file is read and checked by
``surveys.setup.roster.preview_roster`` (the same checks as ``cadre roster
import``) and shown: every row, the bad ones marked, and a table of
problems with sheet, row number and reason.  The uploaded bytes are held
on the server (``webforms.admin.held_files``, a random id remembered in the
signed session, one hour) and the confirm step imports exactly those bytes:
the browser never sends rows back, so it cannot change what was checked.

The views sit on the admin blueprint, so the sign-in guard, the CSRF check
and the route enumeration of ``tests/webforms/test_admin_auth.py`` cover them.
"""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from flask import flash, redirect, request, send_file, url_for
from flask_babel import gettext
from werkzeug.datastructures import FileStorage

from surveys.setup.accounts import WRITERS
from surveys.setup.roster import (
    SHEETS,
    RosterError,
    RosterPreview,
    RowProblem,
    import_roster,
    list_rosters,
    preview_roster,
    reused_ids,
)
from surveys.setup.roster_template import write_template
from webforms.admin import held_files
from webforms.admin.accounts import admin_page, bp
from webforms.admin.hr_auth import login_required, roles_required
from webforms.clock import current_time
from webforms.db import get_session
from webforms.i18n import current_locale

HELD_KIND = "roster"
WORKBOOK = "roster.xlsx"
NAME_FILE = "name.txt"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A roster of several thousand raters is a few hundred KB; the forms' 256 KB limit is for answers.
MAX_UPLOAD_BYTES = 8 * 1024 * 1024
# The preview shows this many rows per sheet; problems are always listed in full.
PREVIEW_ROWS = 200
MAX_ROSTER_NAME = 200


def allow_roster_uploads(state) -> None:
    """Let roster uploads be larger than answers, before anything reads the form.

    The CSRF check and the NUL check read the form in their own request
    hooks, under the app's 256 KB limit for answers; this hook runs first,
    so a roster of a few thousand raters is not refused as "too long".
    """
    state.app.before_request_funcs.setdefault(None, []).insert(0, raise_upload_limit)


def raise_upload_limit() -> None:
    """The roster preview alone may receive up to ``MAX_UPLOAD_BYTES``."""
    if request.endpoint == "admin.roster_preview":
        request.max_content_length = MAX_UPLOAD_BYTES


bp.record_once(allow_roster_uploads)


class UploadProblem(ValueError):
    """An upload that is not a roster file at all; the message is already translated."""


def roster_page(status: int = 200, error: str | None = None, **values):
    """The roster page: the upload form and the rosters stored so far."""
    return admin_page(
        "admin/setup_roster.html",
        status,
        error=error,
        rosters=list_rosters(session=get_session()),
        **values,
    )


@bp.get("/roster", endpoint="roster")
@login_required
def roster():
    """Upload form and stored rosters; every role may look, writers may upload."""
    return roster_page()


@bp.get("/roster/template.xlsx", endpoint="roster_template")
@login_required
def roster_template():
    """The roster workbook with its sheets, headers, example rows and drop-downs, in the
    reader's language (``cadre roster template``)."""
    buffer = BytesIO()
    write_template(buffer, current_locale())
    buffer.seek(0)
    return send_file(buffer, mimetype=XLSX, as_attachment=True, download_name="roster.xlsx")


@bp.post("/roster/preview", endpoint="roster_preview")
@roles_required(*WRITERS)
def roster_preview():
    """Read an uploaded roster, hold it on the server and show what would be stored."""
    try:
        files = uploaded_files()
    except UploadProblem as problem:
        return roster_page(400, str(problem))
    name = roster_name(request.form.get("name", ""), request.files.get("workbook"))
    held_id = held_files.hold(HELD_KIND, {**files, NAME_FILE: name.encode()})
    return preview_page(preview_held(held_id), held_id, name)


def preview_page(
    preview: RosterPreview,
    held_id: str,
    name: str,
    status: int | None = None,
    error: str | None = None,
    confirmed: frozenset[str] = frozenset(),
):
    """What an upload would store, its problems, and the cadre ids to confirm as renamed."""
    if status is None:
        status = 200 if preview.importable else 422
    if error is None and not preview.importable:
        error = problems_summary(preview.problems)
    return admin_page(
        "admin/setup_roster_preview.html",
        status,
        preview=preview,
        held_id=held_id,
        name=name,
        sheets=preview_sheets(preview),
        problems=problem_rows(preview.problems),
        renames=renames(preview),
        confirmed=confirmed,
        error=error,
    )


def renames(preview: RosterPreview) -> list[dict]:
    """Cadre ids an earlier roster gave to someone of another name: (id, earlier, new name).

    ``surveys.setup.roster.reused_ids`` decides which ids clash, as for
    ``cadre roster import``; the page only asks HR to confirm each one
    (``--renamed ID``), and the import refuses any that is not confirmed.
    """
    if not preview.importable:
        return []
    return [
        {
            "id": problem.values["id"],
            "known": problem.values["known"],
            "name": problem.values["name"],
        }
        for problem in reused_ids(session=get_session(), rows=preview.rows)
    ]


@bp.post("/roster/confirm", endpoint="roster_confirm")
@roles_required(*WRITERS)
def roster_confirm():
    """Import exactly the held upload that was previewed; nothing the browser sends but its id."""
    folder = held_files.held_folder(HELD_KIND, request.form.get("upload", ""))
    if folder is None:
        return roster_page(
            410,
            gettext(
                "This preview has expired or was already imported. Please upload the file again."
            ),
        )
    preview = preview_roster(roster_source(folder))
    if not preview.importable:
        return roster_page(422, problems_summary(preview.problems))
    db = get_session()
    name = (folder / NAME_FILE).read_text(encoding="utf-8")
    renamed = frozenset(request.form.getlist("renamed"))
    try:
        stored = import_roster(
            session=db, rows=preview.rows, name=name, now=current_time(), renamed=renamed
        )
    except RosterError:  # an id named someone else before and HR did not confirm the rename
        db.rollback()
        return preview_page(
            preview,
            folder.name,
            name,
            422,
            gettext(
                "The roster was not imported: confirm each cadre id below that names the same "
                "person under a new name, or give the person a new id. Nothing was stored."
            ),
            confirmed=renamed,
        )
    db.commit()
    held_files.release(HELD_KIND)
    counts = {sheet: len(rows) for sheet, rows in preview.rows.sheets.items()}
    flash(
        gettext(
            "Imported roster %(name)s: %(cadres)s cadres, %(raters)s raters, "
            "%(assignments)s assignments.",
            name=stored.name,
            **counts,
        )
    )
    return redirect(url_for("admin.new_campaign", roster=stored.id), code=303)


# --- reading the upload -------------------------------------------------------------------------


def uploaded_files() -> dict[str, bytes]:
    """The upload as files to hold: one .xlsx workbook, or the three CSV files.

    Anything else (no file, a .xls or .pdf, a CSV missing) is refused
    before it is kept anywhere.
    """
    workbook = request.files.get("workbook")
    if present(workbook):
        if Path(workbook.filename or "").suffix.lower() != ".xlsx":
            raise UploadProblem(
                gettext(
                    "%(file)s is not an .xlsx workbook. Save the roster as .xlsx "
                    "(Excel 2007 or later) or upload the three CSV files.",
                    file=workbook.filename,
                )
            )
        return {WORKBOOK: workbook.read()}
    files = {sheet: request.files.get(sheet) for sheet in SHEETS}
    if not any(present(upload) for upload in files.values()):
        raise UploadProblem(
            gettext("Choose a roster file: one .xlsx workbook, or the three CSV files.")
        )
    held = {}
    for sheet, upload in files.items():
        if not present(upload):
            raise UploadProblem(gettext("The CSV file for %(sheet)s is missing.", sheet=sheet))
        if Path(upload.filename or "").suffix.lower() != ".csv":
            raise UploadProblem(gettext("%(file)s is not a .csv file.", file=upload.filename))
        held[f"{sheet}.csv"] = upload.read()
    return held


def present(upload: FileStorage | None) -> bool:
    """Whether a file field carries a chosen file (browsers send an empty part otherwise)."""
    return upload is not None and bool(upload.filename)


def roster_name(typed: str, workbook: FileStorage | None) -> str:
    """The roster's name: what HR typed, else the workbook's file name, else the date."""
    name = typed.strip()
    if not name and present(workbook):
        name = Path(workbook.filename).stem
    if not name:
        name = gettext("Roster of %(day)s", day=f"{current_time():%Y-%m-%d}")
    return name[:MAX_ROSTER_NAME]


def roster_source(folder: Path) -> Path:
    """What ``read_roster`` reads in a holding: the workbook, or the folder of CSV files."""
    workbook = folder / WORKBOOK
    return workbook if workbook.is_file() else folder


def preview_held(held_id: str) -> RosterPreview:
    """Read and check the holding just made."""
    folder = held_files.held_folder(HELD_KIND, held_id)
    return preview_roster(roster_source(folder))


# --- what the preview shows ---------------------------------------------------------------------


def problem_text(problem: RowProblem) -> str:
    """A problem's reason in the reader's language."""
    return gettext(problem.message, **problem.values)


def problem_rows(problems: list[RowProblem]) -> list[list[str]]:
    """The problems table: sheet, row (blank for the whole sheet or file) and reason."""
    rows = [[gettext("Sheet"), gettext("Row"), gettext("Problem")]]
    rows += [
        [problem.sheet, str(problem.row) if problem.row else "", problem_text(problem)]
        for problem in problems
    ]
    return rows


def problems_summary(problems: list[RowProblem]) -> str:
    """The alert above the table: nothing was stored, and how many problems to fix."""
    return gettext(
        "The roster was not imported: %(count)s problem(s) to fix. Nothing was stored.",
        count=len(problems),
    )


def preview_sheets(preview: RosterPreview) -> list[dict]:
    """Each sheet's header, first rows (bad ones marked) and row count, for the preview."""
    if preview.rows is None:
        return []
    sheets = []
    for sheet, columns in SHEETS.items():
        rows = preview.rows.sheets.get(sheet, [])
        bad = preview.bad_rows(sheet)
        sheets.append(
            {
                "name": sheet,
                "columns": columns,
                "count": len(rows),
                "rows": [
                    {
                        "number": number,
                        "cells": [row.get(c, "") for c in columns],
                        "bad": number in bad,
                    }
                    for number, row in rows[:PREVIEW_ROWS]
                ],
                "more": max(0, len(rows) - PREVIEW_ROWS),
            }
        )
    return sheets
