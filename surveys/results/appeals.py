"""Appeals: a cadre contests a published result; HR upholds or revises it, in writing.

An appeal may be filed only after publication and within the campaign's
``appeal_days``; each cadre has one open appeal per campaign at a time.
Where the rules name the grades that may be contested (the review window's
``grades``: 公务员法 第九十五条 only 不称职, the 事业单位 rules only 基本合格 and
不合格), a cadre whose published grade is another may not appeal.
Every step goes to the audit trail with who and when.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from storage.models import Appeal, Cadre, Campaign
from storage.queries import by_id_or_prefix
from surveys.results.outcomes import shown_results
from surveys.rules.messages import N_
from surveys.rules.questionnaire import GRADES, Citation, Questionnaire
from surveys.sealing.audit import record_event
from surveys.setup.campaigns import CampaignError, snapshot

MAX_REASON = 2000
NOT_CONTESTABLE = N_(
    "Your published grade is %(grade)s; only results graded %(grades)s may be contested "
    "(%(source)s)."
)
"""Values are keys and the source: render with ``surveys.results.outcomes.describe``."""
CONTESTABLE_ONLY = N_("Only results graded %(grades)s may be contested (%(source)s).")


def contestable_grades(questionnaire: Questionnaire) -> tuple[list[str] | None, Citation | None]:
    """The grades that may be contested and the rule's citation; None: every grade may be.

    The review window (复核) says it: the appeal (申诉) follows a review, so it
    can contest no other grades.  An appeal window's own list counts when the
    review window gives none.
    """
    for window in (questionnaire.windows.review, questionnaire.windows.appeal):
        if window is not None and window.grades is not None:
            return list(window.grades), window.citation
    return None, None


def contest_values(questionnaire: Questionnaire) -> dict[str, str]:
    """The contestable grades (keys, for ``describe``) and the rule's source, for messages."""
    grades, citation = contestable_grades(questionnaire)
    source = "" if citation is None else f"{citation.source} {citation.article or ''}".strip()
    return {"grades": ", ".join(grades or []), "source": source or "—"}


def published_grade(*, session: Session, campaign: Campaign, cadre: Cadre) -> str | None:
    """The cadre's grade as published: the shown grade (a revised one after an appeal)."""
    for result in shown_results(session=session, campaign=campaign):
        if result.cadre.id == cadre.id:
            return result.decision.grade
    return None


def may_contest(grade: str | None, questionnaire: Questionnaire) -> bool:
    """Whether a published grade may be contested under the campaign's rules.

    A cadre shown no grade (under investigation, too few raters, no
    responses) may appeal: the result is not known to lie outside the list,
    and an appeal is how such a cadre asks why no grade was given.
    """
    grades, _citation = contestable_grades(questionnaire)
    return grades is None or grade is None or grade in grades


def appeal_deadline(campaign: Campaign) -> date | None:
    """The last day (campaign time zone) an appeal may be filed, once results are published."""
    if campaign.published_at is None:
        return None
    published = campaign.published_at.astimezone(ZoneInfo(campaign.timezone)).date()
    return published + timedelta(days=campaign.appeal_days)


def file_appeal(
    *, session: Session, campaign: Campaign, cadre: Cadre, reason: str, actor: str, now: datetime
) -> Appeal:
    """Record a cadre's appeal, or raise CampaignError saying why it cannot be filed."""
    reason = (reason or "").strip()
    if not reason:
        raise CampaignError(N_("Please give the reason for the appeal."))
    if len(reason) > MAX_REASON:
        raise CampaignError(
            N_("The reason is too long: at most %(limit)s characters."), {"limit": MAX_REASON}
        )
    deadline = appeal_deadline(campaign)
    if deadline is None:
        raise CampaignError(N_("Results are not published yet, so there is nothing to appeal."))
    if now.astimezone(ZoneInfo(campaign.timezone)).date() > deadline:
        raise CampaignError(
            N_("The appeal period ended on %(day)s."), {"day": deadline.isoformat()}
        )
    questionnaire = snapshot(campaign)
    if contestable_grades(questionnaire)[0] is not None:
        grade = published_grade(session=session, campaign=campaign, cadre=cadre)
        if not may_contest(grade, questionnaire):
            values = {"grade": grade} | contest_values(questionnaire)
            raise CampaignError(NOT_CONTESTABLE, values)
    if open_appeal(session=session, campaign_id=campaign.id, cadre_id=cadre.id) is not None:
        raise CampaignError(N_("An appeal of yours is already waiting for HR's decision."))
    appeal = Appeal(campaign_id=campaign.id, cadre_id=cadre.id, filed_at=now, reason=reason)
    session.add(appeal)
    record_event(
        session=session,
        actor=actor,
        action="appeal_filed",
        now=now,
        campaign_id=campaign.id,
        cadre_id=cadre.id,
        detail={"appeal_id": appeal.id},
    )
    session.flush()
    return appeal


def open_appeal(*, session: Session, campaign_id: str, cadre_id: str) -> Appeal | None:
    """The cadre's appeal still waiting for a decision, if any."""
    return session.exec(
        select(Appeal).where(
            Appeal.campaign_id == campaign_id, Appeal.cadre_id == cadre_id, Appeal.status == "open"
        )
    ).first()


def decide_appeal(
    *,
    session: Session,
    appeal: Appeal,
    outcome: str,
    decision: str,
    actor: str,
    now: datetime,
    revised_grade: str | None = None,
) -> Appeal:
    """Uphold the result or revise the grade, with a written reason; decided once."""
    if appeal.status != "open":
        raise CampaignError(N_("This appeal was already decided."))
    decision = (decision or "").strip()
    if not decision:
        raise CampaignError(N_("Please write the reason for the decision."))
    if outcome == "revised" and revised_grade not in GRADES:
        raise CampaignError(
            N_("Choose the revised grade: excellent, competent, basically_competent, incompetent.")
        )
    if outcome not in ("upheld", "revised"):
        raise CampaignError(N_("The decision must be to uphold or to revise."))
    appeal.status = outcome
    appeal.decision = decision[:MAX_REASON]
    appeal.decided_by = actor
    appeal.decided_at = now
    appeal.revised_grade = revised_grade if outcome == "revised" else None
    session.add(appeal)
    record_event(
        session=session,
        actor=actor,
        action=f"appeal_{outcome}",
        now=now,
        campaign_id=appeal.campaign_id,
        cadre_id=appeal.cadre_id,
        detail={"appeal_id": appeal.id, "revised_grade": appeal.revised_grade},
    )
    session.flush()
    return appeal


def campaign_appeals(*, session: Session, campaign_id: str) -> list[Appeal]:
    """A campaign's appeals, oldest first."""
    return list(
        session.exec(
            select(Appeal).where(Appeal.campaign_id == campaign_id).order_by(col(Appeal.filed_at))
        ).all()
    )


def find_appeal(*, session: Session, appeal_id: str) -> Appeal:
    """An appeal by id or unique prefix, or a CampaignError."""
    appeal = by_id_or_prefix(session, Appeal, appeal_id)
    if appeal is not None:
        return appeal
    raise CampaignError(N_("no appeal with id %(id)s"), {"id": appeal_id})
