"""The scheduler role: wait for the lead, then run APScheduler with jobs in the project database.

Run it as its own process (``cadre scheduler run``) or inside ``cadre serve``
on a single machine; never inside each web worker.  Several processes may
run the role: exactly one leads (see ``scheduler.leader``) and the others
wait to take over.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC

import sqlalchemy as sa
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from scheduler import jobs
from scheduler.leader import leadership_for
from scheduler.runtime import Runtime
from storage.engine import make_engine

log = logging.getLogger(__name__)

JOBS_TABLE = "apscheduler_jobs"


def build_scheduler(store_engine: sa.Engine) -> BackgroundScheduler:
    """APScheduler with the SQLAlchemy job store in the project database.

    The store gets an engine of its own: APScheduler disposes of it at shutdown.
    """
    return BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=store_engine, tablename=JOBS_TABLE)},
        executors={"default": ThreadPoolExecutor(4)},
        timezone=UTC,
    )


def lead(current: Runtime, still_leading) -> None:
    """Run the jobs until the process stops or ``still_leading()`` turns false."""
    store_engine = make_engine(current.engine.url.render_as_string(hide_password=False))
    scheduler = build_scheduler(store_engine)
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
        # Not shutdown(wait=True): it holds APScheduler's job-store lock while it
        # waits, and a sync job asking for that lock would never finish.
        scheduler.shutdown(wait=False)
        wait_for_jobs(current)
        _join_loop(scheduler)
        store_engine.dispose()
        jobs.ACTIVE = None
        current.scheduler = None


def _join_loop(scheduler: BackgroundScheduler) -> None:
    """Wait for APScheduler's own thread to end: its last round may still open a connection."""
    thread = getattr(scheduler, "_thread", None)  # APScheduler 3 keeps its loop thread here
    if thread is not None:
        thread.join(timeout=10)


def wait_for_jobs(current: Runtime, timeout: float = 120.0) -> None:
    """Let running jobs finish (they stop sending at once) before another process may lead."""
    deadline = time.monotonic() + timeout
    while current.running and time.monotonic() < deadline:
        time.sleep(0.05)
    if current.running:
        log.warning("jobs still running after %s s: %s", timeout, sorted(current.running))


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
