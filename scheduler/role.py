"""The scheduler role: wait for the lead, then run APScheduler with jobs in the project database.

Run it as its own process (``cadre scheduler run``) or inside ``cadre serve``
on a single machine; never inside each web worker.  Several processes may
run the role: exactly one leads (see ``scheduler.leader``) and the others
wait to take over.
"""

from __future__ import annotations

import logging
from datetime import UTC

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from scheduler import jobs
from scheduler.leader import leadership_for
from scheduler.runtime import Runtime

log = logging.getLogger(__name__)

JOBS_TABLE = "apscheduler_jobs"


def build_scheduler(current: Runtime) -> BackgroundScheduler:
    """APScheduler with the SQLAlchemy job store in the project database."""
    return BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=current.engine, tablename=JOBS_TABLE)},
        executors={"default": ThreadPoolExecutor(4)},
        timezone=UTC,
    )


def lead(current: Runtime, still_leading) -> None:
    """Run the jobs until the process stops or ``still_leading()`` turns false."""
    scheduler = build_scheduler(current)
    current.scheduler = scheduler
    current.halt.clear()
    jobs.ACTIVE = current
    scheduler.start()
    try:
        scheduler.add_job(
            "scheduler.jobs:sync_job",
            trigger="interval",
            seconds=current.config.sync_seconds,
            id=jobs.SYNC_JOB,
            replace_existing=True,
            next_run_time=current.clock(),
            coalesce=True,
            max_instances=1,
        )
        while not current.stop.wait(min(current.config.failover_seconds, 2.0)):
            if not still_leading():
                log.warning("lost the lead; stopping jobs")
                break
    finally:
        current.halt.set()
        scheduler.shutdown(wait=True)
        jobs.ACTIVE = None
        current.scheduler = None


def run_role(current: Runtime) -> None:
    """Wait to lead, lead while allowed, and wait again; return once ``current.stop`` is set."""
    leadership = leadership_for(current.engine)
    try:
        while not current.stop.is_set():
            if leadership.acquire():
                log.info("this process leads the scheduler role")
                lead(current, leadership.held)
                leadership.release()
            else:
                current.stop.wait(current.config.failover_seconds)
    finally:
        leadership.release()
