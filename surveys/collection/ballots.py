"""Ballots: what a rater sees, checking their answers, and storing them once.

The web form, the public QR form and (later) the bot all go through
``open_ballot`` / ``submit_ballot`` and ``open_public`` / ``submit_public``,
so validation and the one-time rule exist in exactly one place.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import defer
from sqlmodel import Session, select

from storage.models import Cadre, Campaign, Invitation, SealedBallot
from surveys.rules.messages import N_
from surveys.rules.questionnaire import GRADES, Dimension, Questionnaire
from surveys.sealing.ballot_box import padded_size, seal, section_bound
from surveys.setup.campaigns import campaign_state, snapshot
from surveys.setup.channels import find_channel
from surveys.setup.invitations import assigned_cadres, find_invitation

KEPT_CONTROLS = frozenset("\n\t")


class BallotUnavailable(Exception):
    """The form cannot be shown or submitted: 'unknown', 'used', 'not_open' or 'closed'."""

    def __init__(self, reason: str, campaign: Campaign | None = None):
        self.reason = reason
        self.campaign = campaign
        super().__init__(reason)


class BallotInvalid(ValueError):
    """Answers that fail validation; ``problems`` maps (cadre id, field) to a message id."""

    def __init__(self, problems: dict[tuple[str, str], str]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in the answers")


@dataclass(frozen=True)
class CadreSection:
    """One cadre on a form, with the questions the rater's group answers."""

    cadre: Cadre
    group: str
    dimensions: list[Dimension]
    votes: bool
    comments: bool


@dataclass(frozen=True)
class BallotForm:
    """Everything a form needs to render: the campaign, its questionnaire, the cadres."""

    campaign: Campaign
    questionnaire: Questionnaire
    sections: list[CadreSection]
    channel_name: str | None = None
    invitation_id: str | None = None


@dataclass
class CadreAnswers:
    """A rater's raw answers about one cadre, as they came from a form or chat."""

    items: dict[str, str] = field(default_factory=dict)
    vote: str | None = None
    comment: str | None = None


def _section(questionnaire: Questionnaire, cadre: Cadre, group: str) -> CadreSection:
    return CadreSection(
        cadre=cadre,
        group=group,
        dimensions=questionnaire.dimensions_for(group),
        votes=questionnaire.votes_for(group),
        comments=questionnaire.comments_for(group),
    )


def _campaign(session: Session, campaign_id: str) -> Campaign | None:
    """The campaign without its questionnaire column, which ``snapshot`` keeps parsed per
    process: decoding that JSON on every form shown and every ballot cost more than the rest."""
    return session.get(Campaign, campaign_id, options=[defer(Campaign.questionnaire)])


def _usable(invitation: Invitation | None, session: Session, now: datetime) -> Campaign:
    """Return the invitation's campaign if it can take answers now, else raise."""
    if invitation is None:
        raise BallotUnavailable("unknown")
    campaign = _campaign(session, invitation.campaign_id)
    if invitation.status != "pending":
        raise BallotUnavailable("used", campaign)
    state = campaign_state(campaign, now)
    if state != "open":
        raise BallotUnavailable(state, campaign)
    return campaign


def open_ballot(*, session: Session, token: str, now: datetime) -> BallotForm:
    """The form behind a token, or BallotUnavailable saying why not."""
    return _open(session, find_invitation(session=session, token=token), now)


def open_invitation(*, session: Session, invitation_id: str, now: datetime) -> BallotForm:
    """The form of an invitation the caller already holds (the bot's bound chat)."""
    return _open(session, session.get(Invitation, invitation_id), now)


def _open(session: Session, invitation: Invitation | None, now: datetime) -> BallotForm:
    campaign = _usable(invitation, session, now)
    questionnaire = snapshot(campaign)
    sections = [
        _section(questionnaire, cadre, group)
        for cadre, group in assigned_cadres(
            session=session, invitation=invitation, campaign=campaign
        )
    ]
    if not sections:  # nothing to rate: never let such a token be consumed
        raise BallotUnavailable("unknown")
    return BallotForm(
        campaign=campaign,
        questionnaire=questionnaire,
        sections=sections,
        invitation_id=invitation.id,
    )


def check_answers(form: BallotForm, answers: Mapping[str, CadreAnswers]) -> dict:
    """Return every problem with the answers, keyed by (cadre id, field); empty if fine."""
    problems: dict[tuple[str, str], str] = {}
    scale = {option.key for option in form.questionnaire.scale}
    for section in form.sections:
        given = answers.get(section.cadre.id, CadreAnswers())
        for dimension in section.dimensions:
            for item in dimension.items:
                value = given.items.get(item.key) or ""
                if not value and item.required:
                    problems[(section.cadre.id, item.key)] = N_("Please answer this question.")
                elif value and value not in scale:
                    problems[(section.cadre.id, item.key)] = N_("This answer is not on the scale.")
        if section.votes:
            if not given.vote and form.questionnaire.vote.required:
                problems[(section.cadre.id, "vote")] = N_("Please choose an overall grade.")
            elif given.vote and given.vote not in GRADES:
                problems[(section.cadre.id, "vote")] = N_("This grade is not one of the choices.")
        limit = form.questionnaire.comment.max_length if section.comments else 0
        if given.comment and len(given.comment.strip()) > limit:
            problems[(section.cadre.id, "comment")] = N_("The comment is too long.")
    return problems


def clean_comment(text: str | None) -> str | None:
    """A comment as stored: trimmed, without control characters or lone surrogates.

    They carry nothing a reader needs, break spreadsheets, and would make a
    sealed ballot's length depend on how they are escaped.
    """
    kept = "".join(
        char
        for char in (text or "")
        if char in KEPT_CONTROLS or unicodedata.category(char) not in ("Cc", "Cs")
    )
    return kept.strip() or None


def sealed_ballot(form: BallotForm, answers: Mapping[str, CadreAnswers]) -> SealedBallot:
    """The form's answers as one sealed row: a section per cadre, padded, encrypted.

    The padding makes every ballot of the same form the same length, so
    the size of a sealed row says nothing about the answers or the comment.
    """
    questionnaire = form.questionnaire
    longest_answer = max(len(option.key) for option in questionnaire.scale)
    longest_vote = max(len(grade) for grade in GRADES)
    sections, bounds = [], []
    for section in form.sections:
        given = answers.get(section.cadre.id, CadreAnswers())
        keys = [item.key for dimension in section.dimensions for item in dimension.items]
        limit = questionnaire.comment.max_length if section.comments else 0
        sections.append(
            {
                "c": section.cadre.id,
                "g": section.group,
                "a": {key: value for key, value in given.items.items() if key in keys and value},
                "v": given.vote if section.votes else None,
                "m": clean_comment(given.comment) if section.comments else None,
            }
        )
        bounds.append(
            section_bound(
                cadre_id=section.cadre.id,
                group=section.group,
                item_keys=keys,
                longest_answer=longest_answer,
                longest_vote=longest_vote,
                comment_chars=limit,
            )  # fmt: skip
        )
    campaign = form.campaign
    if not campaign.box_public_key:
        raise BallotUnavailable("closed", campaign)  # a campaign from before the box
    ciphertext = seal(
        public_text=campaign.box_public_key,
        campaign_id=campaign.id,
        sections=sections,
        padded_to=padded_size(bounds),
    )
    return SealedBallot(campaign_id=campaign.id, ciphertext=ciphertext)


def submit_ballot(
    *, session: Session, token: str, answers: Mapping[str, CadreAnswers], now: datetime
) -> int:
    """Validate and store a rater's answers, consuming the token; return cadres answered.

    The token is consumed by a conditional UPDATE in the same transaction
    that stores the sealed ballot, so two concurrent submissions can never
    both be accepted and an accepted ballot is never lost.  Nothing else is
    written and nothing is read that grows with the roster: the ballot is
    opened with all the others when the box opens (``surveys.results.opening``).
    """
    return _submit(session, open_ballot(session=session, token=token, now=now), answers, now)


def submit_form(
    *, session: Session, form: BallotForm, answers: Mapping[str, CadreAnswers], now: datetime
) -> int:
    """Like ``submit_ballot``, for a form the caller opened in this same transaction (the web
    form opens it to read the posted fields; opening it again would double the request's work).
    """
    return _submit(session, form, answers, now)


def submit_invitation(
    *, session: Session, invitation_id: str, answers: Mapping[str, CadreAnswers], now: datetime
) -> int:
    """Like ``submit_ballot``, for an invitation the caller already holds (the bot)."""
    form = open_invitation(session=session, invitation_id=invitation_id, now=now)
    return _submit(session, form, answers, now)


def _submit(
    session: Session, form: BallotForm, answers: Mapping[str, CadreAnswers], now: datetime
) -> int:
    problems = check_answers(form, answers)
    if problems:
        raise BallotInvalid(problems)
    # Seal before the first write: on SQLite that write takes the database's write lock,
    # held until the commit, so nothing slow may happen after it.
    sealed = sealed_ballot(form, answers)
    consumed = session.execute(
        sa.update(Invitation)
        .where(Invitation.id == form.invitation_id, Invitation.status == "pending")
        .values(status="completed")
    )
    if consumed.rowcount != 1:
        raise BallotUnavailable("used", form.campaign)
    store_sealed(session, sealed)
    return len(form.sections)


def store_sealed(session: Session, sealed: SealedBallot) -> None:
    """Insert a sealed row with one Core statement: it runs under SQLite's write lock, where
    the ORM's flush bookkeeping would make every other submission wait longer."""
    session.execute(
        sa.insert(SealedBallot.__table__).values(
            id=sealed.id, campaign_id=sealed.campaign_id, ciphertext=sealed.ciphertext
        )
    )


def open_public(*, session: Session, slug: str, now: datetime) -> BallotForm:
    """The public service form of a channel, or BallotUnavailable saying why not."""
    channel = find_channel(session=session, slug=slug)
    if channel is None or not channel.cadre_ids:
        raise BallotUnavailable("unknown")
    campaign = _campaign(session, channel.campaign_id)
    state = campaign_state(campaign, now)
    if state != "open":
        raise BallotUnavailable(state, campaign)
    questionnaire = snapshot(campaign)
    cadres = session.exec(
        select(Cadre)
        .where(Cadre.id.in_(channel.cadre_ids))  # type: ignore
        .order_by(Cadre.external_id)
    ).all()
    sections = [_section(questionnaire, cadre, "public") for cadre in cadres]
    return BallotForm(
        campaign=campaign, questionnaire=questionnaire, sections=sections, channel_name=channel.name
    )


def submit_public(
    *, session: Session, slug: str, cadre_id: str, answers: CadreAnswers, now: datetime
) -> None:
    """Store one service recipient's rating of one cadre of the channel.

    A missing choice of cadre is reported together with any problem in the
    answers (every cadre of a channel gets the same public items), so the
    person fixes everything in one go.
    """
    form = open_public(session=session, slug=slug, now=now)
    chosen = [section for section in form.sections if section.cadre.id == cadre_id]
    problems: dict[tuple[str, str], str] = {}
    if not chosen:
        problems[("", "cadre")] = N_("Please choose who served you.")
    single = BallotForm(
        campaign=form.campaign,
        questionnaire=form.questionnaire,
        sections=chosen or form.sections[:1],
    )
    problems |= check_answers(single, {single.sections[0].cadre.id: answers})
    if problems:
        raise BallotInvalid(problems)
    store_sealed(session, sealed_ballot(single, {cadre_id: answers}))
