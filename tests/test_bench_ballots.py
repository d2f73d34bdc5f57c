"""The ballots benchmark at a tiny size: it runs, and counts what it posts exactly once.

No timings are asserted: the figures depend on the machine.  This only keeps
the harness (roster, invitations, the cookie and CSRF flow, the bare endpoint,
the exactly-once check) working as the product changes.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench" / "ballots.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_ballots", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


def run_tiny(bench, url: str, folder: Path, build: str):
    """30 ballots from 2 clients at 5 cadres (34 raters: one campaign is enough)."""
    options = bench.parse_arguments(
        ["--ballots", "30", "--clients", "2", "--duration", "60", "--build", build]
    )
    result = bench.measure_on(url, 5, options, folder)
    assert result.errors == 0, (result.real.errors, [run.errors for run in result.bare])
    assert len(result.real.posted) == 30
    assert all(len(run.posted) == 30 for run in result.bare)
    assert result.stored_ok, result.stored_note
    assert result.real.rate > 0 and result.bare_rate > 0
    assert "ratio" in bench.table([result])


def test_bulk_built_ballots_are_posted_and_stored_once(bench, database_url, tmp_path):
    run_tiny(bench, database_url, tmp_path, "bulk")


def test_use_case_built_ballots_are_posted_and_stored_once(bench, sqlite_url, tmp_path):
    run_tiny(bench, sqlite_url, tmp_path, "usecase")
