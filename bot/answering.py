"""Answering in the chat: one cadre and one question at a time, then a review.

The position and the answers so far are a draft row in the database, so a
restart of the bot resumes at the same question.  Submitting goes through
``surveys.collection.ballots.submit_invitation``: the same validation and one-time
rule as the web form.  The draft is deleted in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.actions import Button
from bot.conversation import Conversation, buttons
from bot.router import Router
from surveys.collection.ballots import (
    BallotForm,
    BallotInvalid,
    BallotUnavailable,
    CadreAnswers,
    open_invitation,
    submit_invitation,
)
from surveys.collection.chats import (
    chat_invitation,
    delete_draft,
    latest_draft,
    load_draft,
    save_draft,
)
from surveys.rules.messages import N_
from surveys.rules.questionnaire import GRADE_LABELS, GRADES, Dimension, Item
from surveys.setup.campaigns import local_time

router = Router()

UNAVAILABLE = {
    "unknown": N_("This evaluation is not linked to this chat."),
    "used": N_("This evaluation has already been submitted. Thank you!"),
    "closed": N_("This evaluation has closed."),
    "not_open": N_("This evaluation is not open yet; it opens at %(time)s."),
}


@dataclass(frozen=True)
class Step:
    """One thing to answer: an item, the overall-grade vote or the comment of a cadre."""

    section: int
    kind: str
    dimension: Dimension | None = None
    item: Item | None = None

    @property
    def field(self) -> str:
        """The answer's name as ``check_answers`` reports problems."""
        return self.item.key if self.item else self.kind


def steps_of(form: BallotForm) -> list[Step]:
    """Every step of a form, cadre by cadre, in the order of the web form."""
    steps = []
    for index, section in enumerate(form.sections):
        for dimension in section.dimensions:
            steps += [Step(index, "item", dimension, item) for item in dimension.items]
        if section.votes:
            steps.append(Step(index, "vote"))
        if section.comments:
            steps.append(Step(index, "comment"))
    return steps


def answers_of(stored: dict) -> dict[str, CadreAnswers]:
    """The draft's JSON as the answers ``submit_invitation`` takes."""
    return {
        cadre_id: CadreAnswers(
            items=dict(given.get("items", {})),
            vote=given.get("vote"),
            comment=given.get("comment"),
        )
        for cadre_id, given in stored.items()
    }


def record(stored: dict, form: BallotForm, step: Step, value: str | None) -> dict:
    """The draft's answers with one step's value set (or cleared by ``None``)."""
    cadre_id = form.sections[step.section].cadre.id
    given = dict(stored.get(cadre_id, {}))
    if step.kind == "item":
        items = dict(given.get("items", {}))
        items.pop(step.item.key, None)
        if value is not None:
            items[step.item.key] = value
        given["items"] = items
    else:
        given[step.kind] = value
    return {**stored, cadre_id: given}


def current_value(stored: dict, form: BallotForm, step: Step) -> str | None:
    """What the rater answered at a step so far."""
    given = stored.get(form.sections[step.section].cadre.id, {})
    if step.kind == "item":
        return given.get("items", {}).get(step.item.key)
    return given.get(step.kind)


def answered(stored: dict, form: BallotForm, steps: list[Step]) -> int:
    """How many steps have an answer."""
    return sum(1 for step in steps if current_value(stored, form, step))


class Unusable(Exception):
    """The invitation cannot be answered in this chat now (the reply is already made)."""


def load_form(conversation: Conversation, invitation_id: str) -> BallotForm:
    """The form behind a bound invitation; explains and raises Unusable otherwise."""
    _ = conversation._
    if (
        chat_invitation(
            session=conversation.session, chat_id=conversation.chat_id, invitation_id=invitation_id
        )
        is None
    ):
        unknown = UNAVAILABLE["unknown"]
        conversation.acknowledge()
        conversation.show(_(unknown))
        raise Unusable
    try:
        return open_invitation(
            session=conversation.session, invitation_id=invitation_id, now=conversation.now
        )
    except BallotUnavailable as error:
        if error.reason in ("used", "closed"):
            delete_draft(session=conversation.session, invitation_id=invitation_id)
        opens = local_time(error.campaign, error.campaign.opens_at) if error.campaign else ""
        conversation.acknowledge()
        conversation.show(_(UNAVAILABLE[error.reason], time=opens))
        raise Unusable from error


def save(conversation: Conversation, invitation_id: str, position: int, stored: dict) -> None:
    """Persist the draft after every answer."""
    save_draft(
        session=conversation.session,
        invitation_id=invitation_id,
        chat_id=conversation.chat_id,
        position=position,
        answers=stored,
        now=conversation.now,
        secret_key=conversation.config.secret_key,
    )


@router.button("go")
def begin(conversation: Conversation) -> None:
    """Start answering in the chat, or resume at the saved question."""
    invitation_id = (conversation.button_data() or [""])[0]
    try:
        form = load_form(conversation, invitation_id)
    except Unusable:
        return
    draft = load_draft(
        session=conversation.session,
        invitation_id=invitation_id,
        secret_key=conversation.config.secret_key,
    )
    position, stored = (draft.position, draft.answers) if draft else (0, {})
    save(conversation, invitation_id, position, stored)
    conversation.acknowledge()
    show_step(conversation, form, invitation_id, position, stored)


def pressed_step(conversation: Conversation) -> tuple[BallotForm, str, int, dict] | None:
    """Form, invitation, position and answers for a button of the current step only."""
    data = conversation.button_data()
    if len(data) < 2 or not data[1].isdigit():
        conversation.acknowledge()
        return None
    invitation_id, position = data[0], int(data[1])
    try:
        form = load_form(conversation, invitation_id)
    except Unusable:
        return None
    draft = load_draft(
        session=conversation.session,
        invitation_id=invitation_id,
        secret_key=conversation.config.secret_key,
    )
    if draft is None or draft.position != position:
        conversation.acknowledge(conversation._(N_("That question was already answered.")))
        if draft is not None:
            show_step(conversation, form, invitation_id, draft.position, draft.answers)
        return None
    return form, invitation_id, position, draft.answers


@router.button("ans")
def choose(conversation: Conversation) -> None:
    """Take the pressed answer and move to the next step."""
    found = pressed_step(conversation)
    if found is None:
        return
    form, invitation_id, position, stored = found
    steps = steps_of(form)
    choice = conversation.button_data()[2:3]
    options = choices(form, steps[position]) if position < len(steps) else []
    if not choice or not choice[0].isdigit() or int(choice[0]) >= len(options):
        conversation.acknowledge()
        return
    stored = record(stored, form, steps[position], options[int(choice[0])])
    advance(conversation, form, invitation_id, next_position(form, steps, position, stored), stored)


@router.button("skip")
def skip(conversation: Conversation) -> None:
    """Leave the step unanswered for now (the review lists what is missing)."""
    found = pressed_step(conversation)
    if found is not None:
        form, invitation_id, position, stored = found
        advance(conversation, form, invitation_id, position + 1, stored)


@router.button("back")
def back(conversation: Conversation) -> None:
    """Go back one step to change an answer."""
    found = pressed_step(conversation)
    if found is not None:
        form, invitation_id, position, stored = found
        advance(conversation, form, invitation_id, max(position - 1, 0), stored)


@router.button("sub")
def submit(conversation: Conversation) -> None:
    """Submit the answers through the same rule as the web form."""
    found = pressed_step(conversation)
    if found is None:
        return
    form, invitation_id, _position, stored = found
    try:
        count = submit_invitation(
            session=conversation.session,
            invitation_id=invitation_id,
            answers=answers_of(stored),
            now=conversation.now,
        )
    except BallotInvalid as error:
        return send_back(conversation, form, invitation_id, stored, error)
    except BallotUnavailable as error:
        delete_draft(session=conversation.session, invitation_id=invitation_id)
        conversation.acknowledge()
        conversation.show(conversation._(UNAVAILABLE[error.reason], time=""))
        return
    delete_draft(session=conversation.session, invitation_id=invitation_id)
    conversation.acknowledge()
    conversation.show(
        conversation._(
            N_("Thank you! Your answers about %(count)s cadres are stored anonymously."),
            count=count,
        )
    )


def send_back(
    conversation: Conversation,
    form: BallotForm,
    invitation_id: str,
    stored: dict,
    error: BallotInvalid,
) -> None:
    """Return to the first step with a problem, saying what is wrong."""
    steps = steps_of(form)
    position = next(
        index
        for index, step in enumerate(steps)
        if (form.sections[step.section].cadre.id, step.field) in error.problems
    )
    step = steps[position]
    problem = error.problems[(form.sections[step.section].cadre.id, step.field)]
    save(conversation, invitation_id, position, stored)
    conversation.acknowledge(conversation._(problem))
    show_step(conversation, form, invitation_id, position, stored, notice=conversation._(problem))


@router.text
def typed_comment(conversation: Conversation) -> bool:
    """Take free text as the comment when the chat's current step is a comment."""
    draft = latest_draft(
        session=conversation.session,
        chat_id=conversation.chat_id,
        secret_key=conversation.config.secret_key,
    )
    if draft is None or (conversation.incoming.text or "").startswith("/"):
        return False
    try:
        form = open_invitation(
            session=conversation.session, invitation_id=draft.invitation_id, now=conversation.now
        )
    except BallotUnavailable:
        return False
    steps = steps_of(form)
    if draft.position >= len(steps) or steps[draft.position].kind != "comment":
        return False
    text = (conversation.incoming.text or "").strip()
    limit = form.questionnaire.comment.max_length
    if len(text) > limit:
        conversation.say(
            conversation._(
                N_("That comment is too long: at most %(limit)s characters."), limit=limit
            )
        )
        return True
    stored = record(draft.answers, form, steps[draft.position], text or None)
    advance(conversation, form, draft.invitation_id, draft.position + 1, stored)
    return True


def next_position(form: BallotForm, steps: list[Step], position: int, stored: dict) -> int:
    """Where to go after an answer: the next step if it is still open, else the next gap.

    A rater sent back to fix one question returns to the review instead of
    paging through everything they already answered.
    """
    following = position + 1
    if following >= len(steps) or current_value(stored, form, steps[following]) is None:
        return following
    for index in range(following, len(steps)):
        step = steps[index]
        if step.kind != "comment" and current_value(stored, form, step) is None:
            return index
    return len(steps)


def advance(
    conversation: Conversation, form: BallotForm, invitation_id: str, position: int, stored: dict
) -> None:
    """Save the draft at a new position and show that step (or the review)."""
    save(conversation, invitation_id, position, stored)
    conversation.acknowledge()
    show_step(conversation, form, invitation_id, position, stored)


def choices(form: BallotForm, step: Step) -> list[str]:
    """The answers a step offers as buttons (``choice_label`` words them)."""
    if step.kind == "item":
        return [option.key for option in form.questionnaire.scale]
    if step.kind == "vote":
        return list(GRADES)
    return []


def choice_label(conversation: Conversation, form: BallotForm, step: Step, value: str) -> str:
    """How an answer reads in the chat's language."""
    if step.kind == "item":
        for option in form.questionnaire.scale:
            if option.key == value:
                return option.label.get(conversation.locale)
        return value
    if step.kind == "vote":
        return conversation._(GRADE_LABELS.get(value, value))
    return value


def show_step(
    conversation: Conversation,
    form: BallotForm,
    invitation_id: str,
    position: int,
    stored: dict,
    *,
    notice: str | None = None,
) -> None:
    """Show one question with its answer buttons, or the review at the end."""
    steps = steps_of(form)
    if position >= len(steps):
        return show_review(conversation, form, invitation_id, len(steps), stored)
    step = steps[position]
    lines = question_lines(conversation, form, steps, position, stored)
    text = "\n".join(filter(None, [notice, *lines]))
    chosen = current_value(stored, form, step)
    rows = [
        [
            Button(
                mark(chosen == value) + choice_label(conversation, form, step, value),
                data=f"ans:{invitation_id}:{position}:{index}",
            )
        ]
        for index, value in enumerate(choices(form, step))
    ]
    navigation = [Button(conversation._(N_("« Back")), data=f"back:{invitation_id}:{position}")]
    navigation.append(Button(conversation._(N_("Skip »")), data=f"skip:{invitation_id}:{position}"))
    conversation.show(text, buttons(*rows, navigation if position else navigation[1:]))


def mark(selected: bool) -> str:
    """A tick before the answer already chosen."""
    return "✓ " if selected else ""


def question_lines(
    conversation: Conversation, form: BallotForm, steps: list[Step], position: int, stored: dict
) -> list[str]:
    """The progress line, the cadre and the question of one step."""
    _ = conversation._
    step = steps[position]
    section = form.sections[step.section]
    own = [s for s in steps if s.section == step.section]
    cadre = section.cadre
    lines = [
        _(
            N_("Cadre %(cadre)s of %(cadres)s · question %(question)s of %(questions)s"),
            cadre=step.section + 1,
            cadres=len(form.sections),
            question=own.index(step) + 1,
            questions=len(own),
        ),
        _(
            N_("Answered %(done)s of %(total)s"),
            done=answered(stored, form, steps),
            total=len(steps),
        ),
        "",
        f"{cadre.name} · {cadre.unit} · {cadre.post}",
    ]
    if step.kind == "item":
        lines += [
            f"【{step.dimension.title.get(conversation.locale)}】",
            step.item.text.get(conversation.locale),
        ]
    elif step.kind == "vote":
        lines.append(_(N_("Overall grade for this cadre:")))
    else:
        lines.append(form.questionnaire.comment.prompt.get(conversation.locale))
        lines.append(_(N_("Type your comment as a message, or press Skip.")))
    return lines


def show_review(
    conversation: Conversation, form: BallotForm, invitation_id: str, position: int, stored: dict
) -> None:
    """Everything answered, cadre by cadre, with Submit and Back."""
    _ = conversation._
    steps = steps_of(form)
    lines = [_(N_("Please review your answers before submitting:")), ""]
    for index, section in enumerate(form.sections):
        own = [step for step in steps if step.section == index]
        done = sum(1 for step in own if current_value(stored, form, step))
        lines.append(
            _(
                N_("%(number)s. %(name)s: %(done)s of %(total)s answered"),
                number=index + 1,
                name=section.cadre.name,
                done=done,
                total=len(own),
            )
        )
        vote = stored.get(section.cadre.id, {}).get("vote")
        if vote:
            lines.append("   " + _(N_("Overall grade: %(grade)s"), grade=_(GRADE_LABELS[vote])))
    lines += ["", _(N_("Once submitted, answers cannot be changed."))]
    conversation.show(
        "\n".join(lines),
        buttons(
            [Button(_(N_("Submit")), data=f"sub:{invitation_id}:{position}")],
            [Button(_(N_("« Back")), data=f"back:{invitation_id}:{position}")],
        ),
    )
