"""A cadre id is one person across rosters: an id an earlier roster gave to someone of
another name is refused unless HR confirms the rename (surveys/setup/roster.py)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from storage.models import Cadre, Roster
from surveys.setup.roster import ID_REUSED, RosterError, import_roster
from tests.factories import roster_rows

RATERS = [{"id": "R1", "name": "测评人1", "phone": "", "telegram": ""}]


def rows(*cadres):
    people = [{"id": c, "name": n, "unit": "审批局", "post": "局长"} for c, n in cadres]
    return roster_rows(people, RATERS, [("R1", c, "superior") for c, _ in cadres])


def test_the_same_ids_and_names_import_again(session, now):
    import_roster(session=session, rows=rows(("C1", "王伟"), ("C2", "李娜")), name="A", now=now)
    import_roster(session=session, rows=rows(("C1", "王伟 "), ("C3", "张敏")), name="B", now=now)
    assert len(session.exec(select(Roster)).all()) == 2


def test_an_id_given_to_another_person_is_refused_with_its_row(session, now):
    import_roster(session=session, rows=rows(("C1", "王伟"), ("C2", "李娜")), name="A", now=now)
    session.commit()
    with pytest.raises(RosterError) as refused:
        import_roster(session=session, rows=rows(("C2", "李娜"), ("C1", "刘洋")), name="B", now=now)
    [problem] = refused.value.problems
    assert (problem.sheet, problem.row, problem.message) == ("cadres", 3, ID_REUSED)
    assert problem.values == {"id": "C1", "known": "王伟", "name": "刘洋"}
    session.rollback()
    assert len(session.exec(select(Roster)).all()) == 1  # nothing stored


def test_hr_confirms_a_renamed_person(session, now):
    import_roster(
        session=session,
        rows=rows(
            ("C1", "王伟"),
        ),
        name="A",
        now=now,
    )
    import_roster(
        session=session,
        rows=rows(
            ("C1", "王伟伟"),
        ),
        name="B",
        now=now,
        renamed=["C1"],
    )
    names = sorted(c.name for c in session.exec(select(Cadre)).all())
    assert names == ["王伟", "王伟伟"]
