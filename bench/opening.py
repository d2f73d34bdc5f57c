"""Opening a large sealed ballot box, and computing its results: the close of a big campaign.

    .venv/bin/python bench/opening.py [--cadres 10000] [--responses 30] [--unit-size 10]
                                      [--database-url URL] [--seed 1]

Builds a campaign of ``--cadres`` cadres with ``--responses`` sealed ballots
each (one cadre per ballot, as a public rating or a single-cadre rater
casts it; the answers come from bench/results_scale.py's generator), each
sealed exactly as a submission seals it: HPKE to the campaign's key,
padded to its form's bound.  Building is timed apart.  Then it times, as
the scheduler does at the deadline:

- ``open``: decrypt every ballot (on every core), shuffle, write the
  responses and ledger leaves, sign the close checkpoint, delete the
  sealed rows, commit;
- ``scrub``: SQLite ``wal_checkpoint(TRUNCATE)`` + ``VACUUM`` (PostgreSQL:
  ``VACUUM`` of the sealed table) and the key file destroyed;
- ``results``: ``shown_results`` (scores, grades with the quota, ranks,
  disclosure), which the close job computes into the audit trail.

Each line gives seconds and the peak resident memory of this process and
of its worker processes.  The target of the issue: open and compute the
results of 300,000 sealed ballots in under 60 s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402
from sqlmodel import Session  # noqa: E402

from bench.results_scale import CLOSES, OPENS, response_rows  # noqa: E402
from storage.engine import make_engine  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import Cadre, Campaign, Roster, SealedBallot, new_id  # noqa: E402
from surveys.results.opening import after_opening, open_with_key_file  # noqa: E402
from surveys.results.outcomes import shown_results  # noqa: E402
from surveys.rules.questionnaire import GRADES, load_questionnaire  # noqa: E402
from surveys.sealing.ballot_box import padded_size, seal, section_bound  # noqa: E402
from surveys.setup.campaigns import KeyFileCustody, create_campaign  # noqa: E402

TARGET_SECONDS = 60.0
CHUNK = 5_000


def peak_mb() -> tuple[float, float]:
    """Peak resident memory (MB) of this process and of its largest finished child."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def build(engine: sa.Engine, folder: Path, cadres: int, per_cadre: int, unit_size: int,
          seed: int) -> str:  # fmt: skip
    """A roster of ``cadres`` and a campaign whose box holds ``per_cadre`` ballots each."""
    rng = random.Random(seed)
    questionnaire = load_questionnaire("annual").with_public_form(
        load_questionnaire("public-service")
    )
    longest_answer = max(len(option.key) for option in questionnaire.scale)
    longest_vote = max(len(grade) for grade in GRADES)
    with Session(engine) as session:
        roster = Roster(name="bench", imported_at=OPENS)
        session.add(roster)
        session.flush()
        cadre_rows = [
            {"id": new_id(), "roster_id": roster.id, "external_id": f"C{number:06d}",
             "name": f"干部{number}", "unit": f"单位{number // unit_size:05d}", "post": "处长"}
            for number in range(cadres)
        ]  # fmt: skip
        session.execute(sa.insert(Cadre), cadre_rows)
        campaign = create_campaign(
            session=session, name="bench", kind="annual", roster_id=roster.id,
            questionnaire=questionnaire, opens_at=OPENS, closes_at=CLOSES, now=OPENS,
            custody=KeyFileCustody(folder / "box-keys"),
        )  # fmt: skip
        session.commit()
        public, campaign_id = campaign.box_public_key, campaign.id
        pending: list[dict] = []
        for number, cadre in enumerate(cadre_rows):
            for row in response_rows(
                questionnaire, campaign_id, cadre["id"], number // unit_size, per_cadre, rng
            ):
                group = row["group"]
                keys = [item.key for item in questionnaire.items_for(group)]
                limit = questionnaire.comment.max_length if questionnaire.comments_for(group) else 0
                bound = section_bound(
                    cadre_id=cadre["id"], group=group, item_keys=keys,
                    longest_answer=longest_answer, longest_vote=longest_vote, comment_chars=limit,
                )  # fmt: skip
                section = {"c": cadre["id"], "g": group, "a": row["answers"], "v": row["vote"],
                           "m": row["comment"]}  # fmt: skip
                pending.append(
                    {
                        "id": new_id(),
                        "campaign_id": campaign_id,
                        "ciphertext": seal(
                            public_text=public,
                            campaign_id=campaign_id,
                            sections=[section],
                            padded_to=padded_size([bound]),
                        ),
                    }  # fmt: skip
                )
                if len(pending) >= CHUNK:
                    session.execute(sa.insert(SealedBallot), pending)
                    session.commit()
                    pending = []
        if pending:
            session.execute(sa.insert(SealedBallot), pending)
        session.commit()
    return campaign_id


def step(label: str, action):
    """Run ``action`` once and print its seconds and the peak memory so far."""
    start = time.perf_counter()
    value = action()
    seconds = time.perf_counter() - start
    own, children = peak_mb()
    print(f"  {label:<10} {seconds:8.2f} s   peak {own:6.0f} MB (workers {children:5.0f} MB)")
    return value, seconds


def run(url: str, folder: Path, cadres: int, per_cadre: int, unit_size: int, seed: int) -> None:
    engine = make_engine(url)
    upgrade(engine)
    total = cadres * per_cadre
    print(f"{cadres} cadres x {per_cadre} = {total} sealed ballots ({engine.url.drivername})")
    start = time.perf_counter()
    campaign_id = build(engine, folder, cadres, per_cadre, unit_size, seed)
    print(f"  {'build':<10} {time.perf_counter() - start:8.2f} s   (not counted)")
    with Session(engine, expire_on_commit=False) as session:
        campaign = session.get(Campaign, campaign_id)

        def open_and_commit():
            opening = open_with_key_file(
                session=session, campaign=campaign, key_folder=folder / "box-keys",
                ledger_key=folder / "ledger.pem", now=CLOSES,
            )  # fmt: skip
            session.commit()
            return opening

        opening, opened = step("open", open_and_commit)
        _, scrubbed = step(
            "scrub",
            lambda: after_opening(
                engine=engine, campaign_id=campaign_id, key_folder=folder / "box-keys"
            ),
        )
        results, computed = step("results", lambda: shown_results(session=session,
                                                                   campaign=campaign))  # fmt: skip
    engine.dispose()
    assert opening.ballots == total and opening.responses == total and len(results) == cadres
    counted = opened + computed
    verdict = "PASS" if counted < TARGET_SECONDS else "FAIL"
    print(
        f"  {verdict}  open + results of {total} ballots in {counted:.1f} s "
        f"(target < {TARGET_SECONDS:g} s); with the scrub {counted + scrubbed:.1f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cadres", type=int, default=10_000)
    parser.add_argument("--responses", type=int, default=30, help="sealed ballots per cadre")
    parser.add_argument("--unit-size", type=int, default=10)
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cadre-opening-") as name:
        folder = Path(name)
        url = options.database_url or f"sqlite:///{folder / 'bench.db'}"
        run(url, folder, options.cadres, options.responses, options.unit_size, options.seed)


if __name__ == "__main__":
    main()
