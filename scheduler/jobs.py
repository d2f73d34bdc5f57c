"""The scheduler's jobs, and the sync that decides which jobs should exist.

APScheduler keeps jobs in the project database as "module:function" plus
arguments, so every job here takes ids only and finds the running process's
``Runtime`` through ``ACTIVE`` (set by the role while it leads).  The
database rows (waves, campaigns, outbox) are the truth: ``plan`` runs every
``sync_seconds`` and adds, moves or removes jobs with stable ids
(``wave:<id>``, ``open:<id>``, ``close:<id>``, ``notices:<id>``,
``push:<id>``, ``warnings`` and ``warned:<id>``), so a wave HR adds from the
command line is picked up without talking to the scheduler.

Early warnings: ``warnings`` runs every ``warning_seconds`` (and at once after
a box is opened here) and checks every open campaign (completion, bursts) and,
once per process, each campaign whose box was opened in the last
``WARNING_DAYS`` days (the rules on results); new warnings are queued to
``hr_chats`` and ``warned:<id>`` sends them like result notices.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from scheduler.runtime import Runtime
from scheduler.waves import send_notices, send_wave
from storage.engine import session_scope
from storage.models import Campaign
from surveys.notification.lifecycle import (
    close_campaign,
    lifecycle_campaigns,
    note_opened,
    push_published,
)
from surveys.notification.outbox import WARNING, campaigns_with_notices, queue_warnings
from surveys.results.opening import after_opening
from surveys.results.warnings import check_campaign
from surveys.setup.reminders import unfinished_waves

log = logging.getLogger(__name__)

ACTIVE: Runtime | None = None
"""The runtime of this process while it leads; jobs read it (APScheduler stores only ids)."""

SYNC_JOB = "sync"
WARNINGS_JOB = "warnings"
WARNING_DAYS = 30
"""A campaign opened longer ago than this is not checked again when the scheduler starts."""


def runtime() -> Runtime:
    """The running role's runtime (a job can only run inside the role)."""
    if ACTIVE is None:
        raise RuntimeError("scheduler jobs run only inside the scheduler role")
    return ACTIVE


@contextmanager
def running(job_id: str) -> Iterator[Runtime]:
    """Mark a job as running, so the sync does not schedule it again meanwhile."""
    current = runtime()
    current.running.add(job_id)
    try:
        yield current
    finally:
        current.running.discard(job_id)


def sync_job() -> None:
    """Bring the job store in line with the database."""
    with running(SYNC_JOB) as current:
        plan(current, current.scheduler)


def wave_job(wave_id: str) -> None:
    """Send a reminder wave."""
    with running(f"wave:{wave_id}") as current:
        send_wave(current, wave_id)


def notices_job(campaign_id: str) -> None:
    """Send a campaign's result notices."""
    with running(f"notices:{campaign_id}") as current:
        send_notices(current, campaign_id)


def open_job(campaign_id: str) -> None:
    """Note that a campaign opened."""
    with running(f"open:{campaign_id}") as current, session_scope(current.engine) as session:
        campaign = session.get(Campaign, campaign_id)
        if campaign is not None:
            note_opened(session=session, campaign=campaign, now=current.clock())


def close_job(campaign_id: str) -> None:
    """Close a campaign at its deadline: open a key-file box, sign the ledger, compute results."""
    with running(f"close:{campaign_id}") as current:
        with session_scope(current.engine) as session:
            campaign = session.get(Campaign, campaign_id)
            if campaign is None:
                return
            detail = close_campaign(
                session=session, campaign=campaign, now=current.clock(),
                key_path=current.config.ledger_key, box_keys=current.config.box_keys,
            )  # fmt: skip
        if detail is None:
            return
        log.info("closed campaign %s: %s", campaign_id, detail)
        if "responses" in detail:
            keys = current.config.box_keys
            after_opening(engine=current.engine, campaign_id=campaign_id, key_folder=keys)
            check_warnings(current, [campaign_id])


def warnings_job() -> None:
    """Check the campaigns for early warnings, keep the new ones, queue them to HR chats."""
    with running(WARNINGS_JOB) as current:
        check_warnings(current)


def warned_job(campaign_id: str) -> None:
    """Send a campaign's queued early warnings to the HR chats."""
    with running(f"warned:{campaign_id}") as current:
        send_notices(current, campaign_id, purpose=WARNING)


def check_warnings(current: Runtime, campaign_ids: list[str] | None = None) -> int:
    """Check open campaigns, and recently opened boxes not yet checked here (or the campaigns
    given); queue what is new to the HR chats.  Returns the warnings kept anew."""
    now = current.clock()
    added = 0
    with session_scope(current.engine) as session:
        if campaign_ids is None:
            recent = now - timedelta(days=WARNING_DAYS)
            campaigns = session.exec(
                select(Campaign).where(
                    (col(Campaign.opens_at) <= now) & (col(Campaign.closes_at) > now)
                    | (col(Campaign.box_opened_at) >= recent)
                )
            ).all()
            campaigns = [
                c for c in campaigns if c.box_opened_at is None or c.id not in current.warned
            ]
        else:
            campaigns = [session.get(Campaign, campaign_id) for campaign_id in campaign_ids]
        for campaign in filter(None, campaigns):
            try:
                with session.begin_nested():  # one campaign's failure spoils no other's
                    added += check_campaign(session=session, campaign=campaign, now=now)
            except Exception as error:
                log.error("early warnings of campaign %s failed: %s", campaign.id, error)
                continue
            if campaign.box_opened_at is not None:
                current.warned.add(campaign.id)
        queue_warnings(session=session, chat_ids=current.config.hr_chats, now=now)
    current.next_warning_check = now + timedelta(seconds=current.config.warning_seconds)
    return added


def push_job(campaign_id: str) -> None:
    """Push a published campaign's summaries to the shared database."""
    with running(f"push:{campaign_id}") as current, session_scope(current.engine) as session:
        shared = current.shared_engine()
        campaign = session.get(Campaign, campaign_id)
        if shared is not None and campaign is not None:
            push_published(
                session=session, campaign=campaign, shared_engine=shared, now=current.clock()
            )


def desired_jobs(current: Runtime) -> dict[str, tuple[str, datetime, str | None]]:
    """Job id → (function, run time, id argument), from the database as it is now."""
    now = current.clock()
    wanted: dict[str, tuple[str, datetime, str | None]] = {}
    with session_scope(current.engine) as session:
        if current.can_send:
            for wave in unfinished_waves(session=session):
                wanted[f"wave:{wave.id}"] = ("wave_job", wave.send_at, wave.id)
            for campaign_id in campaigns_with_notices(session=session):
                zone = ZoneInfo(session.get(Campaign, campaign_id).timezone)
                at = current.config.quiet.next_allowed(now, zone)
                wanted[f"notices:{campaign_id}"] = ("notices_job", at, campaign_id)
            for campaign_id in campaigns_with_notices(session=session, purpose=WARNING):
                zone = ZoneInfo(session.get(Campaign, campaign_id).timezone)
                at = current.config.quiet.next_allowed(now, zone)
                wanted[f"warned:{campaign_id}"] = ("warned_job", at, campaign_id)
        wanted[WARNINGS_JOB] = ("warnings_job", current.next_warning_check or now, None)
        for campaign in lifecycle_campaigns(session=session):
            if campaign.opened_noted_at is None:
                wanted[f"open:{campaign.id}"] = ("open_job", campaign.opens_at, campaign.id)
            if campaign.closed_done_at is None:
                wanted[f"close:{campaign.id}"] = ("close_job", campaign.closes_at, campaign.id)
            if (
                campaign.published_at
                and not campaign.summaries_pushed_at
                and current.shared_engine()
            ):
                wanted[f"push:{campaign.id}"] = ("push_job", now, campaign.id)
    return wanted


def plan(current: Runtime, scheduler) -> None:
    """Add, move or remove jobs so the store matches ``desired_jobs`` (never a running one)."""
    wanted = desired_jobs(current)
    for job in scheduler.get_jobs():
        if job.id != SYNC_JOB and job.id not in wanted:
            scheduler.remove_job(job.id)
    for job_id, (function, at, argument) in wanted.items():
        if job_id in current.running:
            continue
        existing = scheduler.get_job(job_id)
        if existing is not None and (
            existing.next_run_time == at or job_id.startswith(("push:", "notices:", "warned:"))
        ):
            continue
        scheduler.add_job(
            f"scheduler.jobs:{function}",
            trigger="date",
            run_date=at,
            args=[] if argument is None else [argument],
            id=job_id,
            replace_existing=True,
            misfire_grace_time=None,
            coalesce=True,
            max_instances=1,
        )
