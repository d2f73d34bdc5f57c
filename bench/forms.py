"""What a rater's phone pays for the largest demo form: bytes on the wire and server time.

    .venv/bin/python bench/forms.py [--runs 50]

Prints the form's size raw, gzip and brotli (ratios against the raw page),
and the server time to render it and to store a full submission, as ratios
against ``/healthz`` measured in the same run on the same machine.  Figures,
not pass/fail: compare them across changes.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlmodel import Session  # noqa: E402

from storage.engine import make_engine  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from surveys.demo import load_demo  # noqa: E402
from surveys.setup.invitations import named_links  # noqa: E402
from webforms import create_app  # noqa: E402

SECRET = "bench-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"


def demo_app(folder: Path):
    """A migrated SQLite file with the demo loaded, and the app serving it."""
    url = f"sqlite:///{folder / 'bench.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine, expire_on_commit=False) as session:
        demo = load_demo(
            session=session, now=datetime.now(UTC), secret_key=SECRET, timezone="Asia/Shanghai",
            box_keys=folder / "box-keys",
        )  # fmt: skip
        session.commit()
        links = named_links(
            session=session, campaign=demo.campaign, secret_key=SECRET, base_url="http://b"
        )
    engine.dispose()
    app = create_app({"SECRET_KEY": SECRET, "DATABASE_URL": url, "BASE_URL": "http://b"})
    return app, sorted(links, key=lambda link: -link.cadres)


def timed(action, runs: int) -> float:
    """Median seconds of ``action()`` over ``runs`` calls."""
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def full_answers(page: str) -> dict[str, str]:
    """Pick the first option of every radio group on the page, with its CSRF token."""
    data = {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)}
    for name in dict.fromkeys(re.findall(r'type="radio" name="([^"]+)"', page)):
        data[name] = re.search(rf'name="{re.escape(name)}" value="([^"]+)"', page).group(1)
    return data


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=50)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as folder:
        app, links = demo_app(Path(folder))
        client = app.test_client()
        client.get("/r/" + links[0].url.rsplit("/", 1)[1])  # the link puts its token in the session
        path = "/r/"
        sizes = {
            encoding: len(client.get(path, headers={"Accept-Encoding": encoding}).data)
            for encoding in ("identity", "gzip", "br")
        }
        print(f"form for {links[0].cadres} cadres:")
        for encoding, size in sizes.items():
            print(f"  {encoding:8} {size:7d} bytes  ratio {size / sizes['identity']:.3f}")
        baseline = timed(lambda: client.get("/healthz"), runs)
        render = timed(lambda: client.get(path), runs)
        phones = []  # one browser per rater: each holds its own token in its session
        for link in links[:runs]:
            phone = app.test_client()
            page = phone.get("/r/" + link.url.rsplit("/", 1)[1], follow_redirects=True)
            phones.append((phone, full_answers(page.get_data(as_text=True))))
        statuses = []

        def submit_next() -> None:
            phone, answers = phones.pop()
            statuses.append(phone.post("/r/", data=answers).status_code)

        submit = timed(submit_next, len(phones))
        assert set(statuses) == {303}, f"submissions failed: {statuses}"
        print(f"server time (median, baseline /healthz = {baseline * 1000:.2f} ms):")
        print(f"  render form   {render * 1000:7.2f} ms  ratio {render / baseline:6.1f}")
        print(f"  submit ballot {submit * 1000:7.2f} ms  ratio {submit / baseline:6.1f}")


if __name__ == "__main__":
    main()
