"""The campaign's rules in words, each with its citation: for the CLI, the console and reports.

One place turns the grading rules, the barring situations and the periods
into sentences, so the CLI, the console and the reports say the same thing
and never restate a rule by hand.  A citation reads "《source》article", and
says when nobody has yet checked it against the gazetted text; where a
template changed a preset's number, the line says so.
"""

from __future__ import annotations

from surveys.grading import GradeDecision, GradeStep
from surveys.messages import N_, translate
from surveys.outcomes import describe, grade_label
from surveys.presets import preset_data, preset_overrides
from surveys.questionnaire import Citation, Questionnaire, grade_labels

CITED = N_("%(source)s %(article)s")
UNCHECKED = N_("%(citation)s (not yet checked against the gazetted text)")
UNCITED = N_("no source cited")
WITH_CITATION = N_("%(rule)s [%(citation)s]")
PRESET_LINE = N_("Rules preset: %(title)s (%(key)s)")
NO_PRESET = N_("No rules preset: the template's own rules")
BAND_LINE = N_("%(grade)s from a composite of %(minimum)s")
VOTE_LINES = {
    ("requires", "at_least"): N_("%(grade)s needs at least %(threshold)s%% of votes for it"),
    ("requires", "more_than"): N_("%(grade)s needs more than %(threshold)s%% of votes for it"),
    ("caps", "at_least"): N_("At least %(threshold)s%% of votes for %(grade)s: at best %(grade)s"),
    ("caps", "more_than"): N_(
        "More than %(threshold)s%% of votes for %(grade)s: at best %(grade)s"
    ),
}
VETO_LINE = N_("Item %(item)s answered %(answers)s by %(threshold)s%% or more: at best %(result)s")
FLAG_NO_GRADE = N_("%(flag)s: no grade until the case is closed")
FLAG_CAPS_LINE = N_("%(flag)s: at best %(result)s")
ADMONITION_LINES = {
    "below": N_("Votes for %(grades)s below %(threshold)s%%: an admonition talk (诫勉)"),
    "at_most": N_("Votes for %(grades)s at most %(threshold)s%%: an admonition talk (诫勉)"),
}
QUOTA_LINES = {
    "unit": N_("Excellent for at most %(quota)s%% of the cadres graded in each unit"),
    "agency": N_("Excellent for at most %(quota)s%% of the cadres graded in the agency"),
    "campaign": N_("Excellent for at most %(quota)s%% of the cadres graded in the agency"),
    "tier": N_("Excellent for at most %(quota)s%% of the cadres graded in each tier of post"),
}
ROUNDING = {
    "down": N_("places rounded down"),
    "nearest": N_("places rounded to the nearest"),
    "up": N_("places rounded up"),
}
WINDOW_LINES = {
    "publicity": N_("Publicity of proposed Excellent cadres: %(days)s %(unit)s"),
    "review": N_("Review (复核) may be requested within %(days)s %(unit)s of the result"),
    "appeal": N_("Appeal (申诉) within %(days)s %(unit)s of the review decision"),
}
DAY_UNITS = {"working": N_("working days"), "calendar": N_("days")}
OVERRIDE_LINE = N_("The template sets %(path)s to %(template)s (the preset: %(preset)s)")
QUOTA_WARNING = N_(
    "Quota pool %(pool)s has %(cadres)s cadres: at %(quota)s%%, %(rounding)s, it can never "
    "award Excellent"
)
AGENCY = N_("the agency")


def citation_text(citation: Citation | None, locale: str) -> str:
    """A citation as people read it, saying so when nobody checked it against the gazette."""
    if citation is None:
        return translate(UNCITED, locale=locale)
    values = {"source": f"《{citation.source}》", "article": citation.article or ""}
    text = translate(CITED, values, locale=locale).strip()
    return text if citation.checked else translate(UNCHECKED, {"citation": text}, locale=locale)


def cited(rule: str, citation: Citation | None, locale: str) -> str:
    """A rule's sentence followed by its citation in brackets."""
    values = {"rule": rule, "citation": citation_text(citation, locale)}
    return translate(WITH_CITATION, values, locale=locale)


def explain(decision: GradeDecision | GradeStep, locale: str, questionnaire: Questionnaire) -> str:
    """Why a grade (or a note): the rule's sentence, and its citation when it has one."""
    text = describe(decision.message, decision.values, locale, questionnaire)
    citation = decision.citation
    return text if citation is None else cited(text, citation, locale)


def _percent(share) -> str:
    """A share as a percentage, without a trailing .0 (20, 33.3, 50)."""
    value = round(float(share) * 100, 1)
    return f"{value:g}"


def rule_lines(questionnaire: Questionnaire, locale: str) -> list[str]:
    """Every rule of a questionnaire in words with its citation, in the order they apply."""
    grading = questionnaire.grading
    names = grade_labels(grading)

    def grade(key: str) -> str:
        return grade_label(key, locale, names)

    def _(message: str, **values) -> str:
        return translate(message, values, locale=locale)

    lines = [_preset_line(questionnaire, locale)]
    for key, minimum in grading.bands.items():
        lines.append(
            cited(_(BAND_LINE, grade=grade(key), minimum=minimum), grading.bands_citation, locale)
        )
    for rule in sorted(grading.votes, key=lambda rule: rule.effect != "requires"):
        text = _(
            VOTE_LINES[(rule.effect, rule.comparison)],
            grade=grade(rule.grade),
            threshold=_percent(rule.share),
        )
        lines.append(cited(text, rule.citation, locale))
    for veto in grading.vetoes:
        text = describe(
            VETO_LINE,
            {
                "item": veto.item,
                "answers": ", ".join(veto.answers),
                "threshold": _percent(veto.share),
                "result": veto.caps_at,
            },
            locale,
            questionnaire,
        )
        lines.append(cited(text, veto.citation, locale))
    for flag in grading.flags:
        label = flag.label.get(locale)
        if flag.effect == "no_grade":
            text = _(FLAG_NO_GRADE, flag=label)
        else:
            text = _(FLAG_CAPS_LINE, flag=label, result=grade(flag.caps_at))
        lines.append(cited(text, flag.citation, locale))
    if grading.quota is not None:
        quota = grading.quota
        text = _(QUOTA_LINES[quota.scope], quota=_percent(quota.share))
        lines.append(cited(f"{text}, {_(ROUNDING[quota.rounding])}", quota.citation, locale))
    if grading.admonition is not None:
        rule = grading.admonition
        joiner = "、" if locale == "zh" else ", "
        text = _(
            ADMONITION_LINES[rule.comparison],
            grades=joiner.join(grade(key) for key in rule.grades),
            threshold=_percent(rule.share),
        )
        lines.append(cited(text, rule.citation, locale))
    for name, message in WINDOW_LINES.items():
        window = getattr(questionnaire.windows, name)
        if window is not None:
            text = _(message, days=window.days, unit=_(DAY_UNITS[window.counting]))
            lines.append(cited(text, window.citation, locale))
    for override in preset_overrides(questionnaire):
        lines.append(
            _(
                OVERRIDE_LINE,
                path=override.path,
                template=_plain(override.template),
                preset=_plain(override.preset),
            )
        )
    return lines


def _plain(value) -> str:
    """An override's value, short: rules lists by their count, None as a dash."""
    if value is None:
        return "—"
    if isinstance(value, list | dict):
        return f"{type(value).__name__}({len(value)})"
    return str(value)


def _preset_line(questionnaire: Questionnaire, locale: str) -> str:
    """Which preset the rules come from, by its title in the reader's language."""
    if questionnaire.preset is None:
        return translate(NO_PRESET, locale=locale)
    title = preset_data(questionnaire.preset).get("title", {})
    text = title.get("en" if locale.startswith("en") else "zh", questionnaire.preset)
    values = {"title": text, "key": questionnaire.preset}
    return translate(PRESET_LINE, values, locale=locale)


def quota_warning_lines(questionnaire: Questionnaire, warnings, locale: str) -> list[str]:
    """The pre-launch quota warnings in words."""
    quota = questionnaire.grading.quota
    lines = []
    for warning in warnings:
        pool = warning.pool or translate(AGENCY, locale=locale)
        values = {
            "pool": pool,
            "cadres": warning.cadres,
            "quota": _percent(quota.share),
            "rounding": translate(ROUNDING[quota.rounding], locale=locale),
        }
        lines.append(translate(QUOTA_WARNING, values, locale=locale))
    return lines
