"""QR cards for every named rater: how long the links and the printable sheet take, by size.

    .venv/bin/python bench/qrcards.py [--sizes 50,1000,10000] [--cards 2000] [--seed 1]

For each roster size, on a fresh SQLite file: the roster and campaign of
``bench/ballots.py`` (about 30 raters per cadre, each rater rating 3 to 8
cadres; built untimed, in bulk from 1,000 cadres), then, timed:

1. ``named_links``: every named rater's link rebuilt from the server key, as
   ``cadre invitations export`` and ``qr`` do;
2. ``write_cards_pdf``: the A4 sheet of cut-out cards (eight a page), each
   with the rater's name, the count of cadres and a QR code, fonts subset
   and embedded, as ``cadre invitations qr --out cards.pdf`` writes it.

``--cards`` caps the cards printed per size (every link is still built): at
10,000 cadres the sheet for all 55,000 raters would take most of an hour,
and a sample shows the cost per card as well.  It prints raters, cards
printed, pages, seconds for each step, milliseconds per card (links and
sheet apart) and the PDF's size; the last line compares the cost per card
at the largest size with the smallest (1.0 = flat).  Figures, not pass/fail.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlmodel import Session  # noqa: E402

from bench.ballots import SECRET, build_world  # noqa: E402
from storage.engine import make_engine  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import Campaign  # noqa: E402
from surveys.documents.qrcodes import CARDS_PER_PAGE, Card, write_cards_pdf  # noqa: E402
from surveys.setup.invitations import named_links  # noqa: E402


def measure(cadres: int, seed: int, folder: Path, limit: int | None) -> dict:
    """Build one campaign of ``cadres`` cadres, then time its links and its card sheet."""
    url = f"sqlite:///{folder / f'cards-{cadres}.db'}"
    engine = make_engine(url)
    upgrade(engine)
    started = time.perf_counter()
    world = build_world(
        engine,
        cadres=cadres,
        ballots=1,
        bulk=cadres >= 1000,
        rng=random.Random(seed),
        box_keys=folder / "keys",
    )
    built = time.perf_counter() - started
    with Session(engine) as session:
        campaign = session.get(Campaign, world.campaign_ids[0])
        started = time.perf_counter()
        links = named_links(
            session=session, campaign=campaign, secret_key=SECRET, base_url="https://cadre.example"
        )
        linked = time.perf_counter() - started
    cards = [
        Card(
            title=f"{link.rater_name} ({link.rater_id})",
            subtitle=f"待评干部：{link.cadres} 人",
            url=link.url,
            footer=f"{campaign.name}  截止 2026-12-31",
        )
        for link in links[:limit]
    ]
    pdf = folder / f"cards-{cadres}.pdf"
    started = time.perf_counter()
    write_cards_pdf(pdf, cards)
    printed = time.perf_counter() - started
    engine.dispose()
    return {
        "cadres": cadres,
        "raters": len(links),
        "cards": len(cards),
        "pages": -(-len(cards) // CARDS_PER_PAGE),
        "build": built,
        "links": linked,
        "pdf": printed,
        "ms_per_link": linked * 1000 / len(links),
        "ms_per_card": printed * 1000 / len(cards),
        "mb": pdf.stat().st_size / 1e6,
    }


def main() -> None:
    """Measure every size and print one table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="50,1000,10000")
    parser.add_argument("--cards", type=int, default=None, help="cards printed per size")
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    sizes = [int(size) for size in options.sizes.split(",")]
    rows = []
    with tempfile.TemporaryDirectory(prefix="cadre-bench-cards-") as folder:
        for cadres in sizes:
            rows.append(measure(cadres, options.seed, Path(folder), options.cards))
            row = rows[-1]
            print(
                f"built {row['cadres']} cadres / {row['raters']} raters in {row['build']:.1f} s",
                flush=True,
            )
    print(
        "| cadres | raters | links s | ms per link | cards | pages | PDF s | ms per card | PDF MB |"
    )
    print(
        "|-------:|-------:|--------:|------------:|------:|------:|------:|------------:|-------:|"
    )
    for row in rows:
        print(
            f"| {row['cadres']:,} | {row['raters']:,} | {row['links']:.2f} "
            f"| {row['ms_per_link']:.3f} | {row['cards']:,} | {row['pages']:,} "
            f"| {row['pdf']:.2f} | {row['ms_per_card']:.2f} | {row['mb']:.1f} |"
        )
    if len(rows) > 1:
        largest, smallest = rows[-1], rows[0]
        for what in ("link", "card"):
            growth = largest[f"ms_per_{what}"] / smallest[f"ms_per_{what}"]
            print(
                f"cost per {what} at {largest['cadres']:,} cadres / at {smallest['cadres']:,}: "
                f"{growth:.2f}"
            )


if __name__ == "__main__":
    main()
