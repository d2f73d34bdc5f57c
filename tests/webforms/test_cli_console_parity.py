"""Everything the CLI does, the console does, and the reverse (issue 15).

The table docs/cli-console.md is read together with the real click tree of
``cadre`` and the real Flask url_map of the console.  A command or a page
added without its row (or with a row naming something that does not exist)
fails here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import click
import pytest
from flask import Flask

from cadre.cli import cli
from tests.web import app_fixture  # noqa: F401

TABLE = Path(__file__).resolve().parents[2] / "docs" / "cli-console.md"
# Server processes and machine set-up: the only commands that may have no console page.
OPERATOR_COMMANDS = {
    "db upgrade",
    "backup",
    "demo",
    "serve",
    "bot run",
    "bot console",
    "scheduler run",
}
# Signing a web session in and out: the only state-changing endpoints with no command.
CONSOLE_ONLY = {"admin.login", "admin.logout"}
# Known missing console sides (issue 15), each with a "Gap:" row in the table.  A new
# gap must be added here on purpose, never slip in through the table alone.
OPEN_GAPS: set[str] = set()
# A path whose last part names a file (report.pdf, results.xlsx, key.pem …) is a download.
DOWNLOAD = re.compile(r"/[^/]+\.[a-z]+$")


@dataclass(frozen=True)
class Row:
    """One row of the table: a command (or None), the console endpoints, and the note."""

    command: str | None
    endpoints: tuple[str, ...]
    note: str


def read_table(text: str) -> list[Row]:
    """The table's rows, each cell parsed; a malformed row fails loudly."""
    rows = []
    for line in text.splitlines():
        if not line.startswith("| `cadre ") and not line.startswith("| — |"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        assert len(cells) == 3, f"a row needs three cells: {line}"
        command_cell, endpoint_cell, note = cells
        command = None
        if command_cell != "—":
            found = re.fullmatch(r"`cadre ([a-z-]+(?: [a-z-]+)*)`", command_cell)
            assert found, f"not a command: {command_cell}"
            command = found.group(1)
        endpoints = tuple(re.findall(r"`(admin\.[a-z_]+)`", endpoint_cell))
        assert endpoints or endpoint_cell == "—", f"not endpoints: {endpoint_cell}"
        rows.append(Row(command, endpoints, note))
    return rows


def leaf_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> set[str]:
    """Every command a person can run, as typed after ``cadre`` ("results themes")."""
    leaves = set()
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            leaves |= leaf_commands(command, (*prefix, name))
        else:
            leaves.add(" ".join((*prefix, name)))
    return leaves


def console_endpoints(app: Flask) -> dict[str, bool]:
    """Every /admin endpoint, and whether it changes something or downloads a file."""
    endpoints: dict[str, bool] = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin"):
            continue
        acts = "POST" in rule.methods or bool(DOWNLOAD.search(rule.rule))
        endpoints[rule.endpoint] = endpoints.get(rule.endpoint, False) or acts
    return endpoints


def parity_problems(rows: list[Row], commands: set[str], endpoints: dict[str, bool]) -> list[str]:
    """Everything the table, the click tree and the url_map disagree on, in words."""
    problems = []
    listed = [row.command for row in rows if row.command]
    problems += [
        f"command listed twice: {c}" for c in sorted({c for c in listed if listed.count(c) > 1})
    ]
    problems += [f"no such command: cadre {c}" for c in sorted(set(listed) - commands)]
    problems += [f"command without a row: cadre {c}" for c in sorted(commands - set(listed))]
    named = {endpoint for row in rows for endpoint in row.endpoints}
    problems += [f"no such endpoint: {e}" for e in sorted(named - set(endpoints))]
    for row in rows:
        if row.command is None:
            if not row.note.startswith("Console only:"):
                problems.append(f"a row without a command needs a reason: {row.endpoints}")
            problems += [f"{e} needs a command" for e in row.endpoints if e not in CONSOLE_ONLY]
        elif not row.endpoints:
            if row.command in OPERATOR_COMMANDS:
                if not row.note.startswith("Operator:"):
                    problems.append(f"cadre {row.command} needs an Operator: reason")
            elif row.command in OPEN_GAPS:
                if not row.note.startswith("Gap:"):
                    problems.append(f"cadre {row.command} is a gap and says so")
            else:
                problems.append(f"cadre {row.command} has no console page")
        elif row.command in OPERATOR_COMMANDS or row.command in OPEN_GAPS:
            problems.append(f"cadre {row.command} has a page now: update the test's sets")
    with_command = {e for row in rows if row.command for e in row.endpoints}
    for endpoint, acts in sorted(endpoints.items()):
        if acts and endpoint not in with_command and endpoint not in CONSOLE_ONLY:
            problems.append(f"{endpoint} changes or downloads something but maps to no command")
    return problems


@pytest.fixture(name="table")
def table_fixture() -> list[Row]:
    """The parsed table of docs/cli-console.md."""
    return read_table(TABLE.read_text(encoding="utf-8"))


def test_every_command_has_a_console_page_and_every_console_action_a_command(app, table):
    assert parity_problems(table, leaf_commands(cli), console_endpoints(app)) == []


def test_the_walk_finds_nested_commands_and_the_downloads(app):
    commands = leaf_commands(cli)
    assert {"results themes", "ledger verify", "roster import", "serve"} <= commands
    assert "results" not in commands  # a group is not a command
    endpoints = console_endpoints(app)
    assert endpoints["admin.cadre_pdf"] and endpoints["admin.publish"]  # download, POST
    assert endpoints["admin.dashboard"] is False  # a page to read


def test_a_command_or_page_added_without_its_row_fails(app, table):
    """The check fails on the real tree plus one more command, and on a row gone stale."""

    @click.command("dummy")
    def dummy() -> None:
        """A command nobody put in the table."""

    group = click.Group("cadre", commands={**cli.commands, "dummy": dummy})
    endpoints = console_endpoints(app)
    assert parity_problems(table, leaf_commands(group), endpoints) == [
        "command without a row: cadre dummy"
    ]
    assert parity_problems(table, leaf_commands(cli), {**endpoints, "admin.new_pdf": True}) == [
        "admin.new_pdf changes or downloads something but maps to no command"
    ]
    without_roster = [row for row in table if row.command != "roster template"]
    assert parity_problems(without_roster, leaf_commands(cli), endpoints) == [
        "command without a row: cadre roster template",
        "admin.roster_template changes or downloads something but maps to no command",
    ]
    gone = {e: acts for e, acts in endpoints.items() if e != "admin.rules"}
    assert parity_problems(table, leaf_commands(cli), gone) == ["no such endpoint: admin.rules"]
    unexplained = [
        Row(row.command, (), "") if row.command == "box status" else row for row in table
    ]
    assert parity_problems(unexplained, leaf_commands(cli), endpoints) == [
        "cadre box status has no console page"
    ]
