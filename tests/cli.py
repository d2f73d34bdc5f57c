"""Helpers for driving the real ``cadre`` command in tests, and for reading QR codes back.

Commands run in-process through click's CliRunner against a SQLite file
in the test's own folder (or a database the test names), with English
messages and a fixed secret key, so a test sees exactly what an HR officer
would.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from click.testing import CliRunner, Result
from PIL import Image
from sqlmodel import Session

from cadre.cli import cli
from storage.engine import make_engine
from surveys.documents.qrcodes import PNG_BOX_SIZE
from surveys.setup.roster import RosterRows, write_workbook
from tests.factories import SECRET, small_roster_rows

BASE_URL = "https://kaohe.example.cn"
CLOSED_OPENS, CLOSED_DEADLINE = "2026-01-05 08:00", "2026-01-20 18:00"
# A moment inside that closed campaign's window, to submit ballots through the domain.
CLOSED_DURING = datetime(2026, 1, 10, 4, tzinfo=UTC)
# The commands read the real clock, so a campaign made with the defaults is open now,
# whatever day the tests run: it opened five days ago and closes in nine.
_THIS_HOUR = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
OPEN_SINCE, OPEN_UNTIL = _THIS_HOUR - timedelta(days=5), _THIS_HOUR + timedelta(days=9)
# A moment inside that open campaign's window, to submit ballots through the domain.
OPEN_DURING = OPEN_SINCE + timedelta(days=1)


def local(moment: datetime, zone: str = "Asia/Shanghai") -> str:
    """A moment as HR types it for the commands: local time in the campaign's zone."""
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


class CadreCli:
    """Runs ``cadre`` with a private data folder; asserts exit codes, never hides tracebacks."""

    def __init__(self, folder: Path, locale: str = "en", database_url: str | None = None):
        """``database_url`` (such as the ``database_url`` fixture) replaces the SQLite file."""
        self.folder = folder
        self.data_dir = folder / "data"
        self.database_url = database_url or f"sqlite:///{self.data_dir / 'cadre.db'}"
        self.env = {
            "CADRE_DATA_DIR": str(self.data_dir),
            "CADRE_LOCALE": locale,
            "CADRE_SECRET_KEY": SECRET,
            "CADRE_BASE_URL": BASE_URL,
            "CADRE_DATABASE_URL": database_url,
            "CADRE_TIMEZONE": None,
        }

    def __call__(self, *args: str, code: int = 0) -> Result:
        """Run one command and check its exit code (2 for user errors)."""
        result = CliRunner().invoke(cli, list(args), env=self.env)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        assert result.exit_code == code, f"exit {result.exit_code}: {result.output}"
        return result

    def import_roster(self, rows: RosterRows | None = None) -> str:
        """Write a roster workbook, import it with ``cadre roster import``; return its id."""
        path = self.folder / "roster.xlsx"
        rows = rows or small_roster_rows()
        write_workbook(
            path, {sheet: [row for _, row in rows.sheets[sheet]] for sheet in rows.sheets}
        )
        output = self("roster", "import", str(path)).output
        return re.search(r"\b([0-9a-f]{32})\b", output).group(1)

    def create_campaign(
        self,
        rows: RosterRows | None = None,
        *,
        name: str = "2026年度考核",
        opens: str = local(OPEN_SINCE),
        deadline: str = local(OPEN_UNTIL),
    ) -> str:
        """A campaign (with its invitations) made by the real commands; return its id."""
        roster_id = self.import_roster(rows)
        output = self(
            "campaign", "create", "--name", name, "--roster", roster_id,
            "--opens", opens, "--deadline", deadline,
        ).output  # fmt: skip
        return re.search(r"\b([0-9a-f]{32})\b", output).group(1)

    def create_closed_campaign(self) -> str:
        """A January campaign, long closed by the time tests run; return its id."""
        return self.create_campaign(
            name="2025年度考核", opens=CLOSED_OPENS, deadline=CLOSED_DEADLINE
        )

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session on the same database, for checking what the commands stored."""
        engine = make_engine(self.database_url)
        try:
            with Session(engine, expire_on_commit=False) as session:
                yield session
        finally:
            engine.dispose()


def png_matrix(data: bytes) -> list[list[bool]]:
    """Read the modules back from a PNG made by ``qr_png`` (dark = True)."""
    image = Image.open(io.BytesIO(data)).convert("L")
    size = image.width // PNG_BOX_SIZE
    half = PNG_BOX_SIZE // 2
    return [
        [
            image.getpixel((column * PNG_BOX_SIZE + half, row * PNG_BOX_SIZE + half)) < 128
            for column in range(size)
        ]
        for row in range(size)
    ]


def terminal_matrix(art: str) -> list[list[bool]]:
    """Read the modules back from ``qr_terminal`` art (light modules are the blocks)."""
    halves = {"█": (False, False), "▀": (False, True), "▄": (True, False), " ": (True, True)}
    matrix = []
    for line in art.splitlines():
        pairs = [halves[char] for char in line]
        matrix += [[top for top, _ in pairs], [bottom for _, bottom in pairs]]
    return matrix


def pdf_pages(data: bytes) -> int:
    """Page objects in a PDF (not the /Pages tree node)."""
    return len(re.findall(rb"/Type\s*/Page(?!s)", data))
