"""The campaign's rules in words, each with its citation: for the CLI, the console and reports.

One place turns the grading rules, the barring situations and the periods
into sentences, so the CLI, the console and the reports say the same thing
and never restate a rule by hand.  A citation reads "source article": the
source names a regulation in 《》 (or a local rule, which says it is local,
or the product's own default, which says so); a citation nobody has yet
checked against the text says so.  The rule listing (``rule_lines``) adds
the quoted words of a checked source and the page they were read on.
Where a template changed a preset's number, a line says so.
"""

from __future__ import annotations

from surveys.results.outcomes import describe, grade_label
from surveys.rules.grading import GradeDecision, GradeStep
from surveys.rules.messages import N_, translate
from surveys.rules.presets import preset_data, preset_overrides
from surveys.rules.questionnaire import Citation, Questionnaire, grade_labels
from surveys.setup.campaigns import KIND_LABELS

CITED = N_("%(source)s %(article)s")
UNCHECKED = N_("%(citation)s (not yet checked against the gazetted text)")
LOCAL = N_("%(citation)s (a local rule, not a national one)")
DEFAULT = N_("%(citation)s (the product's default, not a regulation)")
QUOTED = N_("%(rule)s: “%(quote)s” (%(url)s)")
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
FLAG_NO_GRADE = N_("%(flag)s: no grade (comments only)")
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
QUOTA_ROUNDED = N_("%(quota)s, %(rounding)s")
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
CONTESTABLE_LINE = N_("Only results graded %(grades)s may be contested (复核, 申诉)")
DAY_UNITS = {"working": N_("working days"), "calendar": N_("days")}
OVERRIDE_LINE = N_("The template sets %(path)s to %(template)s (the preset: %(preset)s)")
QUOTA_WARNING = N_(
    "Quota pool %(pool)s has %(cadres)s cadres: at %(quota)s%%, %(rounding)s, it can never "
    "award Excellent"
)
AGENCY = N_("the agency")
FEEDS_LINE = N_(
    "Composite: %(rest)s%% ratings + %(share)s%% the mean of the person's shown "
    "%(source)s composites of the %(years)s year(s) before"
)
PRODUCT_DEFAULT = N_("the product's default, not a cited rule")


def citation_text(citation: Citation | None, locale: str) -> str:
    """A citation as people read it: source and article, whether it is local or ours,
    and whether anybody checked it against the text."""
    if citation is None:
        return translate(UNCITED, locale=locale)
    values = {"source": citation.source, "article": citation.article or ""}
    text = translate(CITED, values, locale=locale).strip()
    if citation.basis == "default":
        return translate(DEFAULT, {"citation": text}, locale=locale)
    if citation.basis == "local":
        text = translate(LOCAL, {"citation": text}, locale=locale)
    return text if citation.checked else translate(UNCHECKED, {"citation": text}, locale=locale)


def quoted(line: str, citation: Citation | None, locale: str) -> str:
    """A rule's line with the words of its source and the page they were read on, if any."""
    if citation is None or citation.quote is None:
        return line
    values = {"rule": line, "quote": citation.quote, "url": citation.url or "—"}
    return translate(QUOTED, values, locale=locale)


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


def rule_lines(questionnaire: Questionnaire, locale: str, quotes: bool = True) -> list[str]:
    """Every rule of a questionnaire in words with its citation, in the order they apply.

    The order is ``surveys.rules.grading``'s: bands, vote rules that require,
    vetoes, vote rules that cap, barring situations, the quota; then the
    诫勉 note, the periods after publication, and what the template overrode.
    With ``quotes`` a rule whose citation quotes its source ends with the
    quoted words and the page they were read on (the CLI's rule listing).
    """
    words = Words(questionnaire, locale, quotes)
    grading = questionnaire.grading
    lines = [_preset_line(questionnaire, locale)]
    lines += [words.band(grade, minimum) for grade, minimum in grading.bands.items()]
    lines += [words.vote(rule) for rule in grading.votes if rule.effect == "requires"]
    lines += [words.veto(veto) for veto in grading.vetoes]
    lines += [words.vote(rule) for rule in grading.votes if rule.effect == "caps"]
    lines += [words.flag(flag) for flag in grading.flags]
    lines += [words.quota(grading.quota)] if grading.quota is not None else []
    lines += [words.admonition(grading.admonition)] if grading.admonition is not None else []
    lines += [words.feeds(questionnaire.feeds)] if questionnaire.feeds is not None else []
    for name in WINDOW_LINES:
        window = getattr(questionnaire.windows, name)
        lines += [words.window(name, window)] if window is not None else []
        lines += [words.contestable(window)] if window is not None and window.grades else []
    lines += [words.override(override) for override in preset_overrides(questionnaire)]
    return lines


class Words:
    """One rule at a time in the reader's language, with the rules' grade names."""

    def __init__(self, questionnaire: Questionnaire, locale: str, quotes: bool = False):
        self.questionnaire = questionnaire
        self.locale = locale
        self.quotes = quotes
        self.names = grade_labels(questionnaire.grading)

    def cited(self, text: str, citation: Citation | None) -> str:
        """The rule's sentence with its citation, and the quoted source when asked for."""
        line = cited(text, citation, self.locale)
        return quoted(line, citation, self.locale) if self.quotes else line

    def _(self, message: str, **values) -> str:
        return translate(message, values, locale=self.locale)

    def grade(self, key: str) -> str:
        """A grade's name as these rules call it (合格 for institution staff)."""
        return grade_label(key, self.locale, self.names)

    def band(self, grade: str, minimum: float) -> str:
        text = self._(BAND_LINE, grade=self.grade(grade), minimum=minimum)
        return self.cited(text, self.questionnaire.grading.bands_citation)

    def vote(self, rule) -> str:
        """ "At least" or "more than" said outright."""
        message = VOTE_LINES[(rule.effect, rule.comparison)]
        text = self._(message, grade=self.grade(rule.grade), threshold=_percent(rule.share))
        return self.cited(text, rule.citation)

    def veto(self, veto) -> str:
        values = {
            "item": veto.item,
            "answers": ", ".join(veto.answers),
            "threshold": _percent(veto.share),
            "result": veto.caps_at,
        }
        text = describe(VETO_LINE, values, self.locale, self.questionnaire)
        return self.cited(text, veto.citation)

    def flag(self, flag) -> str:
        label = flag.label.get(self.locale)
        if flag.effect == "no_grade":
            text = self._(FLAG_NO_GRADE, flag=label)
        else:
            text = self._(FLAG_CAPS_LINE, flag=label, result=self.grade(flag.caps_at))
        return self.cited(text, flag.citation)

    def quota(self, quota) -> str:
        text = self._(QUOTA_LINES[quota.scope], quota=_percent(quota.share))
        text = self._(QUOTA_ROUNDED, quota=text, rounding=self._(ROUNDING[quota.rounding]))
        return self.cited(text, quota.citation)

    def admonition(self, rule) -> str:
        joiner = "、" if self.locale == "zh" else ", "
        grades = joiner.join(self.grade(key) for key in rule.grades)
        message = ADMONITION_LINES[rule.comparison]
        text = self._(message, grades=grades, threshold=_percent(rule.share))
        return self.cited(text, rule.citation)

    def feeds(self, feeds) -> str:
        """Earlier results feeding the composite (``surveys.rules.feeding``): a product
        default, which the line says instead of a citation."""
        rule = self._(
            FEEDS_LINE,
            rest=_percent(1 - feeds.share),
            share=_percent(feeds.share),
            source=translate(KIND_LABELS[feeds.source], locale=self.locale),
            years=feeds.years,
        )
        values = {"rule": rule, "citation": self._(PRODUCT_DEFAULT)}
        return translate(WITH_CITATION, values, locale=self.locale)

    def window(self, name: str, window) -> str:
        unit = self._(DAY_UNITS[window.counting])
        text = self._(WINDOW_LINES[name], days=window.days, unit=unit)
        return self.cited(text, window.citation)

    def contestable(self, window) -> str:
        """The grades a cadre may contest, with the window's citation."""
        joiner = "、" if self.locale == "zh" else ", "
        grades = joiner.join(self.grade(grade) for grade in window.grades)
        # Cited without the quote: the window's quoted words give its days, not this list.
        return cited(self._(CONTESTABLE_LINE, grades=grades), window.citation, self.locale)

    def override(self, override) -> str:
        values = {
            "path": override.path,
            "template": _plain(override.template),
            "preset": _plain(override.preset),
        }
        return self._(OVERRIDE_LINE, **values)


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
