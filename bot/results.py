"""/results: a cadre's published results, with a chart, or when they are due."""

from __future__ import annotations

from bot.conversation import Conversation
from bot.router import Router
from surveys.chats import chat_cadres
from surveys.messages import N_
from surveys.publication import CadreOutcome, cadre_outcomes, dimension_titles, results_due
from surveys.questionnaire import GROUP_LABELS
from surveys.results import rounded

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
    conversation.say("\n".join(result_lines(conversation, outcome)))


def result_lines(conversation: Conversation, outcome: CadreOutcome) -> list[str]:
    """Composite, dimensions and the rater groups the threshold lets us show."""
    _ = conversation._
    score = outcome.result.score
    titles = dimension_titles(outcome.campaign, conversation.locale)
    lines = [
        f"{outcome.campaign.name} · {outcome.cadre.name}",
        _(N_("Composite score: %(score)s"), score=figure(score.composite)),
        "",
        _(N_("Dimensions:")),
    ]
    lines += [
        f"  {titles.get(key, key)}: {figure(value)}"
        for key, value in score.dimension_scores.items()
    ]
    return lines


def figure(value: float | None) -> str:
    """A score as shown: two decimals, or a dash when there is none."""
    return "—" if value is None else f"{rounded(value):.2f}"


__all__ = ["GROUP_LABELS"]
