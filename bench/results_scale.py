"""Results of a large campaign: what computing them costs as the campaign grows.

    .venv/bin/python bench/results_scale.py [--cadres 10000] [--responses 30]
                                            [--sizes 50,1000,10000] [--unit-size 10]
                                            [--database-url URL] [--no-pdf] [--seed 1]

Builds a campaign of ``--cadres`` cadres (``--unit-size`` to a unit) on the
built-in annual questionnaire with the public form merged in, and
``--responses`` stored responses per cadre, written straight into the
``response`` table in bulk (random but valid answers, votes, a few comments,
form links on the subordinates' ballots of each unit, some small groups so
that the anonymity rule folds and withholds).  Then it times, one after the
other on the same database:

- ``shown_results``: scores, grades with the quota, ranks, disclosure;
- ``campaign_overview``: the above again, plus comments, visible ballots,
  quality checks, leniency-adjusted composites and reliability;
- the results workbook (``write_results_workbook``) from that overview;
- the overview PDF (``write_overview_pdf``), unless ``--no-pdf``.

Each line gives seconds, seconds per 1,000 responses (flat when the cost is
linear) and the process's peak resident memory so far (``ru_maxrss``: it only
grows, so a step's figure includes the steps before it).  Building the
database is timed apart and not part of the results.

With ``--sizes`` each size runs in a fresh child process, so the peak memory
of one size is not the high-water mark of a larger one.  The database is a
temporary SQLite file unless ``--database-url`` names one (PostgreSQL, say:
the migrations bring it up to date; each run adds a roster and a campaign and
leaves them behind).
Figures, not pass/fail, except the target of the issue, shown from 300,000
responses on: the overview (which includes ``shown_results``) and the
workbook, what ``cadre results --xlsx`` does, well under 30 s.
"""

from __future__ import annotations

import argparse
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402
from sqlmodel import Session  # noqa: E402

from storage.engine import make_engine  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import Cadre, Campaign, Response, Roster, new_id  # noqa: E402
from surveys.results.outcomes import shown_results  # noqa: E402
from surveys.results.report_pdf import write_overview_pdf  # noqa: E402
from surveys.results.reports import campaign_overview, write_results_workbook  # noqa: E402
from surveys.rules.questionnaire import GRADES, Questionnaire, load_questionnaire  # noqa: E402
from surveys.setup.campaigns import KeyFileCustody, create_campaign  # noqa: E402

OPENS = datetime(2026, 11, 20, tzinfo=UTC)
CLOSES = datetime(2026, 12, 1, tzinfo=UTC)
CHUNK = 20_000
TARGET_SECONDS = 30.0
COMMENTS = ["工作认真负责", "希望加强沟通", "Clear and fair", "服务态度好", "Needs more delegation"]


def peak_mb() -> float:
    """The process's peak resident memory so far, in MB (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def group_sizes(rng: random.Random, responses: int) -> dict[str, int]:
    """How many responses each group gives one cadre: mostly subordinates and peers, a few
    superiors (sometimes fewer than k, to be folded) and some of the public."""
    superior = rng.randint(1, 4)
    public = rng.choice([0, 1, 2, 4, 6, 8])
    peer = rng.randint(4, 10)
    subordinate = max(0, responses - superior - public - peer)
    sizes = {"superior": superior, "peer": peer, "subordinate": subordinate, "public": public}
    while sum(sizes.values()) > responses:  # a small --responses: trim the largest group
        largest = max(sizes, key=sizes.get)
        sizes[largest] -= 1
    return sizes


def answer(rng: random.Random, scale: list[str], level: float) -> str | None:
    """One answer leaning to the cadre's level (0 best); now and then a skipped item."""
    if rng.random() < 0.03:
        return None
    spread = level * (len(scale) - 1) + rng.gauss(0, 0.7)
    return scale[min(len(scale) - 1, max(0, round(spread)))]


def response_rows(
    questionnaire: Questionnaire,
    campaign_id: str,
    cadre_id: str,
    unit: int,
    responses: int,
    rng: random.Random,
):
    """The rows of one cadre's responses, ready for a bulk insert."""
    scale = [option.key for option in questionnaire.scale]
    level = rng.betavariate(2, 5)
    for group, count in group_sizes(rng, responses).items():
        items = [item.key for item in questionnaire.items_for(group)]
        for number in range(count):
            answers = {}
            straight = rng.random() < 0.02
            first = answer(rng, scale, level) or scale[0]
            for item in items:
                given = first if straight else answer(rng, scale, level)
                if given is not None:
                    answers[item] = given
            vote = None
            if questionnaire.votes_for(group):
                vote = GRADES[min(len(GRADES) - 1, max(0, round(level * 3 + rng.gauss(0, 0.6))))]
            comment = rng.choice(COMMENTS) if rng.random() < 0.1 else None
            link = f"u{unit:05d}s{number:03d}".ljust(32, "0") if group == "subordinate" else None
            yield {
                "id": new_id(),
                "campaign_id": campaign_id,
                "cadre_id": cadre_id,
                "group": group,
                "answers": answers,
                "vote": vote,
                "comment": comment,
                "ballot_id": link,
            }


def build(engine: sa.Engine, cadres: int, responses: int, unit_size: int, seed: int) -> str:
    """A roster of ``cadres``, a campaign on the annual form, its responses; the campaign id."""
    rng = random.Random(seed)
    questionnaire = load_questionnaire("annual").with_public_form(
        load_questionnaire("public-service")
    )
    with Session(engine) as session:
        roster = Roster(name="bench", imported_at=OPENS)
        session.add(roster)
        session.flush()
        rows = [
            {
                "id": new_id(),
                "roster_id": roster.id,
                "external_id": f"C{number:06d}",
                "name": f"干部{number}",
                "unit": f"单位{number // unit_size:05d}",
                "post": "处长",
            }
            for number in range(cadres)
        ]
        session.execute(sa.insert(Cadre), rows)
        campaign = create_campaign(
            session=session,
            name="bench",
            kind="annual",
            roster_id=roster.id,
            questionnaire=questionnaire,
            opens_at=OPENS,
            closes_at=CLOSES,
            now=OPENS,
            custody=KeyFileCustody(Path(tempfile.mkdtemp(prefix="bench-box-keys-"))),
        )
        campaign.box_opened_at = CLOSES  # the responses go straight in, as an opening writes them
        pending = []
        for number, cadre in enumerate(rows):
            pending += response_rows(
                questionnaire, campaign.id, cadre["id"], number // unit_size, responses, rng
            )
            if len(pending) >= CHUNK:
                session.execute(sa.insert(Response), pending)
                pending = []
        if pending:
            session.execute(sa.insert(Response), pending)
        session.commit()
        return campaign.id


def step(label: str, responses: int, action):
    """Run ``action`` once; print seconds, seconds per 1,000 responses and peak memory."""
    start = time.perf_counter()
    value = action()
    seconds = time.perf_counter() - start
    per = seconds / responses * 1000 if responses else 0.0
    print(f"  {label:<20} {seconds:8.2f} s  {per:7.4f} s/1k resp  {peak_mb():7.0f} MB peak")
    return value, seconds


def run(url: str, cadres: int, responses: int, unit_size: int, seed: int, pdf: bool) -> None:
    """Build one campaign and time the results on it."""
    engine = make_engine(url)
    upgrade(engine)
    total = cadres * responses
    print(f"{cadres} cadres x {responses} responses = {total} responses ({engine.url.drivername})")
    start = time.perf_counter()
    campaign_id = build(engine, cadres, responses, unit_size, seed)
    seconds = time.perf_counter() - start
    print(f"  {'build (not counted)':<20} {seconds:8.2f} s  {'':18}  {peak_mb():7.0f} MB peak")
    spent = 0.0
    with Session(engine) as session:
        campaign = session.get(Campaign, campaign_id)
        results, seconds = step(
            "shown_results", total, lambda: shown_results(session=session, campaign=campaign)
        )
        spent += seconds
        del results
        overview, seconds = step(
            "campaign_overview",
            total,
            lambda: campaign_overview(
                session=session, campaign=campaign, shuffler=random.Random(seed)
            ),
        )
        spent += seconds
        target = seconds  # what `cadre results --xlsx` does: the overview, then the workbook
        _, seconds = step(
            "results workbook",
            total,
            lambda: write_results_workbook(BytesIO(), overview, "zh"),
        )
        spent += seconds
        target += seconds
        if pdf:
            _, seconds = step(
                "overview PDF", total, lambda: write_overview_pdf(BytesIO(), overview, "zh")
            )
            spent += seconds
    engine.dispose()
    verdict = "PASS" if target < TARGET_SECONDS else "FAIL"
    print(f"  {'all of the above':<20} {spent:8.2f} s  {spent / total * 1000:7.4f} s/1k resp")
    if total >= 300_000:
        print(
            f"  {verdict}  overview + workbook of {total} responses in {target:.1f} s "
            f"(target < {TARGET_SECONDS:g} s)"
        )


def main() -> None:
    """One size in this process, or each of ``--sizes`` in a child process of its own."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--cadres", type=int, default=10_000)
    parser.add_argument("--responses", type=int, default=30, help="per cadre")
    parser.add_argument("--sizes", help="comma-separated cadre counts, e.g. 50,1000,10000")
    parser.add_argument("--unit-size", type=int, default=10, help="cadres per unit")
    parser.add_argument("--database-url", help="an empty database instead of a temporary file")
    parser.add_argument("--no-pdf", action="store_true", help="skip the overview PDF")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.sizes:
        for size in (int(text) for text in args.sizes.split(",")):
            command = [sys.executable, __file__, "--cadres", str(size)]
            command += ["--responses", str(args.responses), "--unit-size", str(args.unit_size)]
            command += ["--seed", str(args.seed)] + (["--no-pdf"] if args.no_pdf else [])
            command += ["--database-url", args.database_url] if args.database_url else []
            subprocess.run(command, check=True)
            print()
        return
    pdf = not args.no_pdf
    if args.database_url:
        run(args.database_url, args.cadres, args.responses, args.unit_size, args.seed, pdf)
        return
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        run(url, args.cadres, args.responses, args.unit_size, args.seed, pdf)


if __name__ == "__main__":
    main()
