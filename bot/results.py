"""/results: a cadre's published results, with a chart, or when they are due."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.conversation import Conversation
from bot.router import Router
from surveys.collection.chats import chat_cadres
from surveys.notification.publication import CadreOutcome, cadre_outcomes, results_due
from surveys.results.appeals import CONTESTABLE_ONLY, appeal_deadline, contest_values, may_contest
from surveys.results.outcomes import campaign_grade_label, describe, group_label, radar_chart
from surveys.results.reports import CadreReport, cadre_report, dimension_titles, theme_name
from surveys.rules.messages import N_
from surveys.rules.scoring import rounded
from surveys.setup.campaigns import snapshot

router = Router()


@router.command("results")
def results(conversation: Conversation) -> None:
    """Every campaign of every cadre bound to this chat."""
    _ = conversation._
    cadres = chat_cadres(session=conversation.session, chat_id=conversation.chat_id)
    if not cadres:
        conversation.say(_(N_("This chat is not linked to a cadre. Open the link HR gave you.")))
        return
    shown = False
    for cadre in cadres:
        for outcome in cadre_outcomes(
            session=conversation.session, cadre=cadre, now=conversation.now
        ):
            show_outcome(conversation, outcome)
            shown = True
    if not shown:
        conversation.say(_(N_("No assessment of yours has started yet.")))


def show_outcome(conversation: Conversation, outcome: CadreOutcome) -> None:
    """Published figures with a chart, or the date they are due."""
    _ = conversation._
    if not outcome.published:
        conversation.say(
            _(
                N_("Results of %(campaign)s are not published yet; they are due on %(day)s."),
                campaign=outcome.campaign.name,
                day=results_due(outcome.campaign).isoformat(),
            )
        )
        return
    lines = result_lines(conversation, outcome)
    lines += development_lines(conversation, outcome)
    deadline = appeal_deadline(outcome.campaign)
    today = conversation.now.astimezone(ZoneInfo(outcome.campaign.timezone)).date()
    questionnaire = snapshot(outcome.campaign)
    if deadline is not None and today <= deadline:
        if may_contest(outcome.result.decision.grade, questionnaire):
            appeal = N_("You may appeal until %(day)s: send /appeal and your reason.")
            lines += ["", _(appeal, day=deadline.isoformat())]
        else:  # the rules let only some grades be contested: say which, not how to appeal
            values = contest_values(questionnaire)
            lines += ["", describe(CONTESTABLE_ONLY, values, conversation.locale, questionnaire)]
    conversation.say("\n".join(lines))
    chart = dimension_chart(conversation, outcome)
    if chart is not None:
        conversation.photo(chart, f"{outcome.campaign.name} · {outcome.cadre.name}")


def result_lines(conversation: Conversation, outcome: CadreOutcome) -> list[str]:
    """Composite, grade and why, dimensions, and the rater groups the threshold lets us show."""
    _, locale = conversation._, conversation.locale
    questionnaire = snapshot(outcome.campaign)
    shown, decision = outcome.result.shown, outcome.result.decision
    titles = {d.key: d.title.get(locale) for d in questionnaire.dimensions}
    lines = [
        f"{outcome.campaign.name} · {outcome.cadre.name}",
        _(N_("Composite score: %(score)s"), score=figure(shown.composite)),
        _(
            N_("Grade: %(grade)s"),
            grade=campaign_grade_label(decision.grade, locale, questionnaire),
        ),
        "  " + describe(decision.message, decision.values, locale, questionnaire),
        "",
        _(N_("Dimensions:")),
    ]
    colon = "：" if locale == "zh" else ": "
    lines += [
        f"  {titles.get(key, key)}{colon}{figure(value)}"
        for key, value in shown.dimension_scores.items()
    ]
    if shown.groups:
        lines += ["", _(N_("Rater groups:"))]
        lines += [
            "  "
            + _(
                N_("%(group)s: %(score)s (%(count)s responses)"),
                group=group_label(group, locale),
                score=figure(score),
                count=shown.counts[group],
            )
            for group, score in shown.groups.items()
        ]
    if shown.hidden:
        lines += [
            "",
            _(N_("Groups with too few responses are not shown, to keep raters anonymous.")),
        ]
    return lines


def development_lines(conversation: Conversation, outcome: CadreOutcome) -> list[str]:
    """The cadre's development suggestions and comment themes, as the cadre's report has
    them (``surveys.results.reports.cadre_report``): shown figures only, and themes only
    of the comments the report lists (at least the comment threshold), k comments each."""
    report = cadre_report(
        session=conversation.session,
        campaign=outcome.campaign,
        cadre_id=outcome.cadre.external_id,
    )
    return suggestion_lines(conversation, report) + theme_lines(conversation, report)


def suggestion_lines(conversation: Conversation, report: CadreReport) -> list[str]:
    """Weak spots against the unit and the cadre's previous campaign, and training topics."""
    _, locale = conversation._, conversation.locale
    suggestion = report.suggestion
    if suggestion is None or not (suggestion.against_unit or suggestion.against_history):
        return []
    titles = dimension_titles(report.questionnaire, locale)
    lines = ["", _(N_("Development suggestions")) + ("：" if locale == "zh" else ":")]
    lines += [
        "  "
        + _(
            N_("%(dimension)s (%(gap)s below the unit average)"),
            dimension=titles.get(spot.dimension, spot.dimension),
            gap=rounded(rounded(spot.reference) - rounded(spot.score)),
        )
        for spot in suggestion.against_unit
    ]
    if suggestion.previous is not None:
        lines += [
            "  "
            + _(
                N_("%(dimension)s (%(gap)s below %(campaign)s)"),
                dimension=titles.get(spot.dimension, spot.dimension),
                gap=rounded(rounded(spot.reference) - rounded(spot.score)),
                campaign=suggestion.previous.name,
            )
            for spot in suggestion.against_history
        ]
    if suggestion.topics:
        joiner = "、" if locale == "zh" else "; "
        topics = joiner.join(topic.get(locale) for topic in suggestion.topics)
        lines.append(_(N_("Suggested training: %(topics)s"), topics=topics))
    return lines


def theme_lines(conversation: Conversation, report: CadreReport) -> list[str]:
    """The themes of the comments the report lists, with counts (no comment is quoted)."""
    _, locale = conversation._, conversation.locale
    themes = report.themes
    if themes is None or not themes.themes:
        return []
    lines = ["", _(N_("Comment themes (%(count)s comments):"), count=themes.comments)]
    lines += [
        "  " + _(N_("%(theme)s: %(count)s"), theme=theme_name(theme, locale), count=theme.count)
        for theme in themes.themes
    ]
    return lines


def dimension_chart(conversation: Conversation, outcome: CadreOutcome) -> bytes | None:
    """The radar chart the HR report and the PDF show (none with fewer than three dimensions)."""
    return radar_chart(snapshot(outcome.campaign), outcome.result, conversation.locale)


def figure(value: float | None) -> str:
    """A score as shown: two decimals, or a dash when there is none."""
    return "—" if value is None else f"{rounded(value):.2f}"
