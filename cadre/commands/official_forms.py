"""``cadre results forms``: the organisation department's forms as ``.xlsx`` or PDF.

The forms (年度考核登记表 per cadre, 考核结果备案表, 优秀等次人员名单) are filled in by
``surveys.results.official_forms`` from the shown results only, after the box is
opened; the file's extension chooses the writer.
"""

from __future__ import annotations

from pathlib import Path

import click

from cadre.cli import Context, fail, pass_context
from cadre.commands.results import results_group
from surveys.documents.official_form_writers import write_forms_pdf, write_forms_xlsx
from surveys.results.official_forms import FORMS, forms_title, official_forms
from surveys.setup.campaigns import get_campaign

WRITERS = (".xlsx", ".pdf")


@results_group.command("forms")
@click.argument("campaign_id")
@click.option(
    "--form",
    "form",
    type=click.Choice(FORMS),
    required=True,
    help="registration (年度考核登记表, per cadre), filing (考核结果备案表) or excellent "
    "(优秀等次人员名单).",
)
@click.option("--cadre", "cadre_id", help="Only this cadre's registration form (roster id).")
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The file to write: FILE.xlsx or FILE.pdf.",
)
@pass_context
def forms_command(
    ctx: Context, campaign_id: str, form: str, cadre_id: str | None, out: Path
) -> None:
    """Write the official forms, filled in from the opened campaign, to FILE.xlsx or FILE.pdf."""
    suffix = out.suffix.lower()
    if suffix not in WRITERS:
        raise fail(ctx, "Write the forms to a .xlsx or .pdf file, not %(path)s.", path=out)
    with ctx.session() as session:
        campaign = get_campaign(session=session, campaign_id=campaign_id)
        forms = official_forms(
            session=session, campaign=campaign, form=form, locale=ctx.locale, cadre_id=cadre_id
        )
        title = forms_title(campaign, form, ctx.locale)
    try:
        if suffix == ".pdf":
            write_forms_pdf(out, forms, title)
        else:
            write_forms_xlsx(out, forms)
    except OSError as error:
        raise fail(
            ctx, "Cannot write %(path)s: %(error)s", path=out, error=error.strerror
        ) from None
    click.echo(ctx._("Wrote %(count)s forms to %(path)s", count=len(forms), path=out), err=True)


def register(cli: click.Group) -> None:
    """``cadre results forms`` hangs under ``cadre results``, registered there."""
