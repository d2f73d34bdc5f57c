"""The organisation department's forms, filled in from an opened campaign's shown results.

Three forms, each described once as an ``OfficialForm`` grid
(``surveys.documents.official_form_writers`` writes it as ``.xlsx`` and PDF):

- **年度考核登记表** (``registration``), one per cadre: the customary
  registration form that goes into the personnel file;
- **考核结果备案表** (``filing``), one per unit and, with more than one unit, one
  for the whole campaign: counts per grade, the Excellent share against the
  quota, the signature and stamp boxes;
- **优秀等次人员名单** (``excellent``): the roster of the cadres graded Excellent.

Layouts followed.  The registration form follows the 公务员年度考核登记表
printed with 《公务员考核规定》 and its local versions (the same boxes for 事业单位
staff): the particulars (姓名, 单位及职务, 考核年度), then the boxes that the
supervising leader (主管领导评语和考核等次建议), the agency head or
assessment committee (机关负责人或者考核委员会意见, signature and stamp) and the
cadre (本人意见) fill in by hand and sign and date, the 等次 box, a box for
the situation when no grade is given (未确定等次的情况说明) and 备注.  The
particulars our roster does not hold (性别, 出生年月, 政治面貌, 学历, 任现职时间)
and the cadre's own summary (个人总结) are not printed: the product knows
nothing of them and a form filled in partly by machine is worse than one
left to the hand.  In their place the form carries what the product adds:
the 民主测评 result as shown (votes counted, composite, rank in the unit, the
dimensions 德能勤绩廉, the vote shares).  The filing form follows the local
考核结果备案表 / 年度考核备案登记表 that units hand in with the roll: the unit,
the year, the number assessed and the number and share at each grade (and
those whose grade is not yet fixed), the Excellent quota, the unit's
stamp, the filing department's opinion and stamp, who filled it in and
when.  The Excellent roster is the usual 名单: 序号, 姓名, 单位, 职务, 综合得分, 备注.
These are customary, not gazetted, layouts: local departments print their
own variants.

Disclosure.  Every figure comes from ``shown_results`` (``surveys.results.outcomes``),
after the box is opened (before, ``BoxSealed``): the grade as shown (after an
appeal, withheld with the composite), the composite and dimensions as
shown, the vote shares only where ``ShownResult.vote_shares`` has them, the
count of votes that the reports show; a withheld figure prints as the
reports print it, "—".  A cadre with no grade (under investigation, or too
few responses to show one) is 暂不确定等次, and the rule's own sentence says
why.  The counts per grade are the grades the ranking shows, counted.
Grade names are the campaign's (优秀/称职/基本称职/不称职, or 优秀/合格/基本合格/不合格
for institution staff).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from sqlmodel import Session

from storage.models import Campaign
from surveys.documents.official_form_writers import (
    BLANK,
    CENTER,
    LABEL,
    FormCell,
    FormRow,
    OfficialForm,
)
from surveys.results.outcomes import ShownResult, shown_results
from surveys.results.rulebook import explain
from surveys.rules.grading import quota_places
from surveys.rules.messages import N_, translate
from surveys.rules.questionnaire import GRADES, Questionnaire, grade_labels
from surveys.rules.scoring import rounded
from surveys.setup.campaigns import CampaignError, snapshot

REGISTRATION, FILING, EXCELLENT = "registration", "filing", "excellent"
FORMS = (REGISTRATION, FILING, EXCELLENT)
WITHHELD = "—"  # a figure not shown, as the reports print it
KIND_LABELS = {"annual": N_("Annual"), "term": N_("End of term"), "special": N_("Special")}
REGISTRATION_TITLES = {
    "annual": N_("Annual assessment registration form"),
    "term": N_("Term assessment registration form"),
    "special": N_("Assessment registration form"),
}
NO_GRADE = N_("Grade not yet determined")
UNKNOWN_FORM = N_("no form named %(form)s; use one of %(forms)s")
NO_CADRE = N_("no cadre with id %(cadre)s in this campaign")
CADRE_ONLY_REGISTRATION = N_("only the registration form is made per cadre")
SCOPES = {
    "unit": N_("per unit"),
    "agency": N_("across the agency"),
    "campaign": N_("across the agency"),
    "tier": N_("per tier of post"),
}
ROUNDINGS = {"down": N_("rounded down"), "nearest": N_("rounded to the nearest"),
             "up": N_("rounded up")}  # fmt: skip
SIGNED = N_("Signature:            Date:")
STAMPED = N_("(Stamp)    Signature:            Date:")
STAMP_ONLY = N_("(Stamp)            Date:")
WITHHELD_NOTE = N_(
    "The democratic assessment shows only figures resting on at least %(k)s raters; "
    "a figure not shown is printed as “—”."
)
# Column widths in millimetres, 180 in all (A4 between 15 mm margins).
REGISTRATION_WIDTHS = (27.0, 33.0, 27.0, 33.0, 27.0, 33.0)
FILING_WIDTHS = (32.0, 25.0, 24.0, 24.0, 25.0, 25.0, 25.0)
EXCELLENT_WIDTHS = (14.0, 28.0, 52.0, 40.0, 24.0, 22.0)
DIMENSIONS_PER_ROW = 5


def _label(text: str, span: int = 1) -> FormCell:
    return FormCell(text, span, LABEL)


def _value(value: object, span: int = 1, align: str | None = None) -> FormCell:
    return FormCell(value, span, align=align)


def _blank(text: str = "", span: int = 1) -> FormCell:
    return FormCell(text, span, BLANK)


def figure(value: float | None) -> str:
    """A shown figure with two decimals, or the dash of a withheld one."""
    return WITHHELD if value is None else f"{rounded(value):.2f}"


def share_text(share: float | None) -> str:
    """A share as a percentage with one decimal, or the dash."""
    return WITHHELD if share is None else f"{rounded(share * 100, 1):.1f}"


def period(campaign: Campaign, locale: str) -> str:
    """The days the campaign ran, in its own time zone."""
    zone = ZoneInfo(campaign.timezone)
    start, end = (
        moment.astimezone(zone).date() for moment in (campaign.opens_at, campaign.closes_at)
    )
    return translate(N_("%(start)s to %(end)s"), {"start": start, "end": end}, locale=locale)


def kind_label(campaign: Campaign, locale: str) -> str:
    """The kind of assessment (年度考核, 任期考核, 专项考核) in words."""
    label = KIND_LABELS.get(campaign.kind)
    return translate(label, locale=locale) if label else campaign.kind


def grade_text(result: ShownResult, questionnaire: Questionnaire, locale: str) -> str:
    """The grade as shown, by the campaign's grade names; 暂不确定等次 without one."""
    grade = result.decision.grade
    if grade is None:
        return translate(NO_GRADE, locale=locale)
    return translate(grade_labels(questionnaire.grading)[grade], locale=locale)


# --- 年度考核登记表 ----------------------------------------------------------------------


def registration_form(
    campaign: Campaign, questionnaire: Questionnaire, result: ShownResult, locale: str
) -> OfficialForm:
    """One cadre's registration form: particulars, the shown assessment, boxes to sign."""
    _ = lambda message, **values: translate(message, values or None, locale=locale)  # noqa: E731
    cadre = result.cadre
    standing = result.standing
    rank = (
        f"{standing.unit_rank}/{standing.unit_ranked}"
        if standing is not None and standing.unit_rank is not None
        else WITHHELD
    )
    rows = [
        FormRow((_label(_(N_("Name"))), _value(cadre.name),
                 _label(_(N_("Unit"))), _value(cadre.unit, 3))),
        FormRow((_label(_(N_("Post"))), _value(cadre.post, 3),
                 _label(_(N_("Kind of assessment"))), _value(kind_label(campaign, locale)))),
        FormRow((_label(_(N_("Assessment"))), _value(campaign.name, 3),
                 _label(_(N_("Period"))), _value(period(campaign, locale)))),
        FormRow((_label(_(N_("Democratic assessment")), 6),)),
        FormRow((_label(_(N_("Ballots counted"))),
                 _value(result.score.responses_total, align=CENTER),
                 _label(_(N_("Composite"))), _value(figure(result.shown.composite), align=CENTER),
                 _label(_(N_("Rank in the unit"))), _value(rank, align=CENTER))),
    ]  # fmt: skip
    rows += dimension_rows(questionnaire, result, locale)
    rows += vote_rows(questionnaire, result, locale)
    explanation = ""
    if result.decision.grade is None or result.revised:
        explanation = explain(result.decision, locale, questionnaire)
    rows += [
        FormRow((_label(_(N_("Grade"))), _value(grade_text(result, questionnaire, locale), 5))),
        FormRow((_label(_(N_("Why no grade or a changed grade"))), _value(explanation, 5)), 2),
        FormRow((_label(_(N_("Supervising leader’s comments and proposed grade"))),
                 _blank(_(SIGNED), 5)), 6),
        FormRow((_label(_(N_("Opinion of the agency head or the assessment committee"))),
                 _blank(_(STAMPED), 5)), 5),
        FormRow((_label(_(N_("Cadre’s own opinion"))), _blank(_(SIGNED), 5)), 3),
        FormRow((_label(_(N_("Remarks"))), _blank("", 5)), 2),
    ]  # fmt: skip
    title = REGISTRATION_TITLES.get(campaign.kind, REGISTRATION_TITLES["special"])
    return OfficialForm(
        key=REGISTRATION,
        title=_(title),
        subtitle=_(N_("(%(campaign)s)"), campaign=campaign.name),
        widths=REGISTRATION_WIDTHS,
        rows=tuple(rows),
        sheet=f"{cadre.external_id} {cadre.name}",
        notes=(_(WITHHELD_NOTE, k=result.k),),
    )


def dimension_rows(questionnaire: Questionnaire, result: ShownResult, locale: str) -> list[FormRow]:
    """The dimensions (德能勤绩廉), five to a row: title over the shown score or the dash."""
    scores = result.shown.dimension_scores
    dimensions = list(questionnaire.dimensions)
    rows = []
    for start in range(0, len(dimensions), DIMENSIONS_PER_ROW):
        chunk = dimensions[start : start + DIMENSIONS_PER_ROW]
        filler = DIMENSIONS_PER_ROW - len(chunk)
        titles = [_label(d.title.get(locale)) for d in chunk]
        values = [_value(figure(scores.get(d.key)), align=CENTER) for d in chunk]
        if filler:
            titles.append(_label("", filler))
            values.append(_value("", filler))
        head = translate(N_("Dimension"), locale=locale)
        rows += [
            FormRow((_label(head), *titles)),
            FormRow((_label(translate(N_("Score"), locale=locale)), *values)),
        ]
    return rows


def vote_rows(questionnaire: Questionnaire, result: ShownResult, locale: str) -> list[FormRow]:
    """Each grade's share of the votes, where shown; the last grade takes two columns."""
    names = grade_labels(questionnaire.grading)
    shares = result.vote_shares
    spans = [1] * (len(GRADES) - 1) + [2]
    return [
        FormRow(
            (
                _label(translate(N_("Vote"), locale=locale)),
                *(
                    _label(translate(names[grade], locale=locale), span)
                    for grade, span in zip(GRADES, spans, strict=True)
                ),
            )
        ),
        FormRow(
            (
                _label(translate(N_("Share of votes (%)"), locale=locale)),
                *(
                    _value(share_text(shares.get(grade) if shares else None), span, CENTER)
                    for grade, span in zip(GRADES, spans, strict=True)
                ),
            )
        ),
    ]


# --- 考核结果备案表 ----------------------------------------------------------------------


def graded_in_pool(results: Iterable[ShownResult]) -> int:
    """The cadres who count toward the Excellent places: graded, their composite shown."""
    return sum(1 for r in results if r.decision.grade is not None and r.shown.composite is not None)


def filing_form(
    campaign: Campaign,
    questionnaire: Questionnaire,
    results: list[ShownResult],
    unit: str | None,
    locale: str,
) -> OfficialForm:
    """The filing form of one unit (``unit``), or of the whole campaign (None)."""
    _ = lambda message, **values: translate(message, values or None, locale=locale)  # noqa: E731
    names = grade_labels(questionnaire.grading)
    counts = Counter(result.decision.grade for result in results)
    total = len(results)
    columns = [*GRADES, None]
    heads = [_(names[grade]) for grade in GRADES] + [_(NO_GRADE)]
    quota = questionnaire.grading.quota
    excellent = counts.get(GRADES[0], 0)
    places = WITHHELD
    if quota is not None:
        pooled = (
            quota.scope == "unit" if unit is not None else quota.scope in ("agency", "campaign")
        )
        if pooled:
            places = quota_places(quota.share, graded_in_pool(results), quota.rounding)
    unit_name = unit if unit is not None else _(N_("All units"))
    rows = [
        FormRow((_label(_(N_("Unit"))), _value(unit_name, 3),
                 _label(_(N_("Assessment"))), _value(campaign.name, 2))),
        FormRow((_label(_(N_("Kind of assessment"))), _value(kind_label(campaign, locale), 3),
                 _label(_(N_("Period"))), _value(period(campaign, locale), 2))),
        FormRow((_label(_(N_("Grade"))), _label(_(N_("Assessed"))),
                 *(_label(head) for head in heads)), 2),
        FormRow((_label(_(N_("People"))), _value(total, align=CENTER),
                 *(_value(counts.get(grade, 0), align=CENTER) for grade in columns))),
        FormRow((_label(_(N_("Share (%)"))), _value(share_text(1.0 if total else None),
                                                      align=CENTER),
                 *(_value(share_text(counts.get(grade, 0) / total if total else None),
                          align=CENTER) for grade in columns))),
        FormRow((_label(_(N_("Excellent quota (%)"))),
                 _value(share_text(float(quota.share)) if quota else WITHHELD, 2, CENTER),
                 _label(_(N_("Excellent share (%)"))),
                 _value(share_text(excellent / total if total else None), align=CENTER),
                 _label(_(N_("Excellent places"))), _value(places, align=CENTER))),
        FormRow((_label(_(N_("Opinion of the unit"))), _blank(_(STAMP_ONLY), 6)), 4),
        FormRow((_label(_(N_("Opinion of the filing department"))), _blank(_(STAMP_ONLY), 6)), 4),
        FormRow((_label(_(N_("Filled in by"))), _blank("", 2), _label(_(N_("Telephone"))),
                 _blank(""), _label(_(N_("Date filled in"))), _blank(""))),
    ]  # fmt: skip
    notes = []
    if quota is not None:
        notes.append(
            _(
                N_("Excellent quota: %(share)s%% of those graded, %(scope)s, %(rounding)s."),
                share=share_text(float(quota.share)),
                scope=_(SCOPES[quota.scope]),
                rounding=_(ROUNDINGS[quota.rounding]),
            )
        )
    notes.append(
        _(
            N_(
                "Grades as shown after the rules and any appeal; “%(none)s” counts cadres under "
                "investigation and those with too few responses for a grade."
            ),
            none=_(NO_GRADE),
        )
    )
    return OfficialForm(
        key=FILING,
        title=_(N_("Assessment results filing form")),
        subtitle=_(N_("(%(campaign)s)"), campaign=campaign.name),
        widths=FILING_WIDTHS,
        rows=tuple(rows),
        sheet=unit_name,
        notes=tuple(notes),
    )


# --- 优秀等次人员名单 --------------------------------------------------------------------


def excellent_results(results: list[ShownResult]) -> list[ShownResult]:
    """The cadres graded Excellent as shown: unit by unit (roster order), best first in each."""
    units = {unit: place for place, unit in enumerate(dict.fromkeys(r.cadre.unit for r in results))}

    def order(result: ShownResult) -> tuple:
        rank = result.standing.unit_rank if result.standing else None
        return (units[result.cadre.unit], rank is None, rank or 0)

    return sorted((r for r in results if r.decision.grade == GRADES[0]), key=order)


def excellent_form(campaign: Campaign, results: list[ShownResult], locale: str) -> OfficialForm:
    """The Excellent roster: number, name, unit, post, composite as shown, remarks."""
    _ = lambda message, **values: translate(message, values or None, locale=locale)  # noqa: E731
    chosen = excellent_results(results)
    rows = [
        FormRow(tuple(_label(_(head)) for head in (
            N_("No."), N_("Name"), N_("Unit"), N_("Post"), N_("Composite"), N_("Remarks")
        )))
    ]  # fmt: skip
    for number, result in enumerate(chosen, start=1):
        remark = _(N_("Revised on appeal")) if result.revised else ""
        rows.append(
            FormRow(
                (
                    _value(number, align=CENTER),
                    _value(result.cadre.name),
                    _value(result.cadre.unit),
                    _value(result.cadre.post),
                    _value(figure(result.shown.composite), align=CENTER),
                    _value(remark),
                )
            )
        )
    if not chosen:
        rows.append(FormRow((_value(_(N_("(none)")), 6, CENTER),)))
    rows.append(
        FormRow((_label(_(N_("Unit (stamp)"))), _blank("", 2),
                 _label(_(N_("Date filled in"))), _blank("", 2)), 2)
    )  # fmt: skip
    return OfficialForm(
        key=EXCELLENT,
        title=_(N_("Roster of cadres graded Excellent")),
        subtitle=_(N_("(%(campaign)s)"), campaign=campaign.name),
        widths=EXCELLENT_WIDTHS,
        rows=tuple(rows),
        sheet=_(N_("Excellent")),
        header_rows=1,
        notes=(_(N_("In all: %(count)s"), count=len(chosen)),),
    )


# --- the use case ------------------------------------------------------------------------


def official_forms(
    *,
    session: Session,
    campaign: Campaign,
    form: str,
    locale: str,
    cadre_id: str | None = None,
) -> list[OfficialForm]:
    """The forms of one kind, filled in from the campaign's shown results.

    ``registration``: one per cadre (only ``cadre_id``, a roster id, when
    given); ``filing``: one per unit, and one for all units when there are
    several; ``excellent``: the one roster.  Refused before the box is
    opened (``BoxSealed``, from ``shown_results``), for an unknown form or
    cadre, and for ``cadre_id`` with another form (``CampaignError``).
    """
    if form not in FORMS:
        raise CampaignError(UNKNOWN_FORM, {"form": form, "forms": ", ".join(FORMS)})
    if cadre_id is not None and form != REGISTRATION:
        raise CampaignError(CADRE_ONLY_REGISTRATION)
    results = shown_results(session=session, campaign=campaign)
    questionnaire = snapshot(campaign)
    if form == REGISTRATION:
        if cadre_id is not None:
            results = [r for r in results if r.cadre.external_id == cadre_id]
            if not results:
                raise CampaignError(NO_CADRE, {"cadre": cadre_id})
        return [registration_form(campaign, questionnaire, r, locale) for r in results]
    if form == FILING:
        units = list(dict.fromkeys(result.cadre.unit for result in results))
        forms = [
            filing_form(
                campaign, questionnaire, [r for r in results if r.cadre.unit == unit], unit, locale
            )
            for unit in units
        ]
        if len(units) > 1:
            forms.append(filing_form(campaign, questionnaire, results, None, locale))
        return forms
    return [excellent_form(campaign, results, locale)]


def forms_title(campaign: Campaign, form: str, locale: str) -> str:
    """The title of a file of forms (the PDF's metadata): the campaign and the form."""
    names = {
        REGISTRATION: N_("Assessment registration forms"),
        FILING: N_("Assessment results filing form"),
        EXCELLENT: N_("Roster of cadres graded Excellent"),
    }
    return f"{campaign.name} · {translate(names[form], locale=locale)}"
