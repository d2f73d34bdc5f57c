"""A campaign's early warnings: gathered from shown figures, kept once, put into words.

What each rule reads (the rules themselves are ``surveys.rules.warnings``):

- **results** (a drop since the last comparable campaign, Incompetent votes,
  integrity) only once the ballot box is opened and only from
  ``shown_results``: the composite, the dimension scores and the vote shares
  as every report shows them, so a warning can tell nothing a report hides
  (a withheld figure fires nothing).  "The last comparable campaign" is the
  latest of ``comparable_campaigns`` in which the cadre (same roster id) has
  shown figures, the figures there as shown there;
- **completion** from the named raters' progress (``campaign_progress``),
  while the campaign is open and within the set hours of its deadline;
- **bursts** from the public windows' hourly tallies (``channel_flags``).

``record_warnings`` keeps each warning once (``EarlyWarning.fingerprint`` is
unique), so a check run again, or by two processes at once, adds nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from storage.models import Campaign, EarlyWarning, new_id
from surveys.collection.progress import campaign_progress
from surveys.results.outcomes import ShownResult, shown_results
from surveys.results.suggestions import EarlierResults
from surveys.rules.messages import translate
from surveys.rules.questionnaire import Questionnaire
from surveys.rules.warnings import (
    CAMPAIGN_SUBJECT,
    INTEGRITY,
    MESSAGES,
    RULE_LABELS,
    EarlyWarningFinding,
    Subject,
    WarningSettings,
    completion_low,
    composite_drop,
    dimension_drops,
    incompetent_share,
    integrity_low,
    window_burst,
)
from surveys.setup.campaigns import campaign_state, local_time, snapshot
from surveys.setup.channels import channel_flags


def campaign_warnings(
    *,
    session: Session,
    campaign: Campaign,
    now: datetime,
    settings: WarningSettings | None = None,
) -> list[EarlyWarningFinding]:
    """Every warning that fires for the campaign now (``settings``: the template's unless
    given).  Before the box is opened only completion and bursts can fire."""
    questionnaire = snapshot(campaign)
    settings = settings or questionnaire.warnings
    found = completion_warnings(session=session, campaign=campaign, now=now, settings=settings)
    found += burst_warnings(session=session, campaign=campaign, now=now, settings=settings)
    if campaign.box_opened_at is not None:
        found += result_warnings(session=session, campaign=campaign, settings=settings)
    return found


def completion_warnings(
    *, session: Session, campaign: Campaign, now: datetime, settings: WarningSettings
) -> list[EarlyWarningFinding]:
    """Completion of the named raters' assessments below target near the deadline."""
    if settings.completion_target is None or campaign_state(campaign, now) != "open":
        return []
    progress = campaign_progress(session=session, campaign=campaign)
    return completion_low(
        Subject("campaign", CAMPAIGN_SUBJECT, campaign.name),
        sum(cadre.completed for cadre in progress),
        sum(cadre.assigned for cadre in progress),
        campaign.closes_at,
        now,
        settings.completion_target,
        settings.completion_hours,
    )


def burst_warnings(
    *, session: Session, campaign: Campaign, now: datetime, settings: WarningSettings
) -> list[EarlyWarningFinding]:
    """Each episode of busy hours at a public window, as ``cadre channels status`` flags it."""
    if settings.burst_minimum is None:
        return []
    found = []
    for flag in channel_flags(
        session=session, campaign=campaign, now=now, minimum=settings.burst_minimum
    ):
        found += window_burst(
            Subject("window", flag.channel.id, flag.channel.name),
            flag.accepted + flag.refused,
            flag.values["start"],
            flag.values["end"],
            flag.start.astimezone(UTC).strftime("%Y%m%dT%H"),
            settings.burst_minimum,
        )
    return found


def integrity_dimension(questionnaire: Questionnaire, settings: WarningSettings) -> str | None:
    """The dimension the integrity rule reads: the set one, else 廉 when there is one."""
    if settings.integrity_dimension is not None:
        return settings.integrity_dimension
    return INTEGRITY if any(d.key == INTEGRITY for d in questionnaire.dimensions) else None


def result_warnings(
    *,
    session: Session,
    campaign: Campaign,
    settings: WarningSettings,
    results: list[ShownResult] | None = None,
) -> list[EarlyWarningFinding]:
    """The rules on results, from the shown figures only (the box must be opened)."""
    if results is None:
        results = shown_results(session=session, campaign=campaign)
    questionnaire = snapshot(campaign)
    integrity = integrity_dimension(questionnaire, settings)
    history = EarlierResults(session=session, campaign=campaign)

    def previous_of(result: ShownResult) -> tuple[Campaign, ShownResult] | None:
        return history.latest(
            result.cadre.external_id,
            lambda before: (
                before.shown.composite is not None or bool(before.shown.dimension_scores)
            ),
        )

    found: list[EarlyWarningFinding] = []
    for result in results:
        cadre = result.cadre
        subject = Subject("cadre", cadre.external_id, cadre.name)
        shown = result.shown
        if result.vote_shares:  # withheld below k votes or when split: then nothing fires
            found += incompetent_share(
                subject,
                result.score.votes.get("incompetent", 0),
                result.votes_cast,
                settings.incompetent_share,
            )
        found += integrity_low(
            subject, shown.dimension_scores, integrity, settings.integrity_minimum
        )
        if shown.composite is None and not shown.dimension_scores:
            continue
        previous = previous_of(result)
        if previous is None:
            continue
        other, before = previous
        name = f"{other.name} ({local_time(other, other.closes_at)})"
        found += composite_drop(
            subject, shown.composite, before.shown.composite, name, settings.composite_drop
        )
        found += dimension_drops(
            subject,
            shown.dimension_scores,
            before.shown.dimension_scores,
            name,
            settings.dimension_drop,
        )
    return found


def finding_detail(finding: EarlyWarningFinding) -> dict:
    """What ``EarlyWarning.detail`` keeps of a finding: all the dashboard and the bot show."""
    return {
        "key": finding.key,
        "subject_kind": finding.subject.kind,
        "subject_name": finding.subject.name,
        "detail": finding.detail,
        "figures": finding.figures,
        "threshold": finding.threshold,
        "values": finding.values,
    }


def record_warnings(
    *, session: Session, campaign: Campaign, findings: list[EarlyWarningFinding], now: datetime
) -> int:
    """Keep the findings not kept before (by fingerprint); returns how many are new.

    An insert that skips a fingerprint already there, so two checks at once
    still keep each warning once.
    """
    rows = [
        {
            "id": new_id(),
            "campaign_id": campaign.id,
            "rule": finding.rule,
            "subject": finding.subject.key,
            "fingerprint": finding.fingerprint(campaign.id),
            "detail": finding_detail(finding),
            "first_seen_at": now,
            "sent_at": None,
        }
        for finding in findings
    ]
    if not rows:
        return 0
    known = set(
        session.exec(
            select(EarlyWarning.fingerprint).where(
                col(EarlyWarning.fingerprint).in_([row["fingerprint"] for row in rows])
            )
        )
    )
    rows = [row for row in rows if row["fingerprint"] not in known]
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(dialect)
    if insert is None:
        session.execute(sa.insert(EarlyWarning), rows)
        return len(rows)
    added = 0
    for row in rows:  # RETURNING tells what was added: drivers count skipped rows differently
        statement = insert(EarlyWarning).values(**row)
        statement = statement.on_conflict_do_nothing(index_elements=["fingerprint"])
        added += len(session.execute(statement.returning(EarlyWarning.id)).all())
    return added


def check_campaign(
    *,
    session: Session,
    campaign: Campaign,
    now: datetime,
    settings: WarningSettings | None = None,
) -> int:
    """Find the campaign's warnings and keep the new ones; returns how many are new."""
    findings = campaign_warnings(session=session, campaign=campaign, now=now, settings=settings)
    return record_warnings(session=session, campaign=campaign, findings=findings, now=now)


def stored_warnings(*, session: Session, campaign_id: str | None = None) -> list[EarlyWarning]:
    """Kept warnings, newest first (one campaign's when ``campaign_id`` is given)."""
    query = select(EarlyWarning)
    if campaign_id is not None:
        query = query.where(EarlyWarning.campaign_id == campaign_id)
    rows = session.exec(query).all()
    return sorted(rows, key=lambda row: (row.first_seen_at, row.id), reverse=True)


def rule_label(rule: str, locale: str) -> str:
    """A rule's name in the reader's language."""
    return translate(RULE_LABELS[rule], locale=locale) if rule in RULE_LABELS else rule


def describe_warning(
    rule: str, values: dict, locale: str, questionnaire: Questionnaire | None = None
) -> str:
    """A warning's sentence with its figures and threshold, dimension keys as titles."""
    readable = dict(values)
    if questionnaire is not None and "dimension" in readable:
        titles = {d.key: d.title.get(locale) for d in questionnaire.dimensions}
        readable["dimension"] = titles.get(readable["dimension"], readable["dimension"])
    return translate(MESSAGES[rule], readable, locale=locale)


def subject_text(detail: dict, subject: str) -> str:
    """Who or what a kept warning is about: the cadre's name and roster id, the window's
    name, or the campaign's name."""
    name = detail.get("subject_name", "")
    if detail.get("subject_kind") == "cadre":
        return f"{name} ({subject})"
    return name
