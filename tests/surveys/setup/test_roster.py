"""Roster import from CSV folders and workbooks: aliases, every bad row at once, all or nothing."""

from __future__ import annotations

import csv

import openpyxl
import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from storage.models import Assignment, Cadre, Rater, Roster
from surveys.setup.roster import (
    RosterError,
    RosterRows,
    check_roster,
    example_rows_left,
    import_roster,
    mobile_number,
    read_csv_folder,
    read_roster,
    read_workbook,
    write_workbook,
)
from surveys.setup.roster_template import write_template
from tests.factories import roster_rows

CADRES = [
    {"id": "C1", "name": "王伟", "unit": "市发展改革委", "post": "主任"},
    {"id": "C2", "name": "李娜", "unit": "市发展改革委", "post": "副主任"},
    {"id": "C3", "name": "张强", "unit": "市财政局", "post": "局长"},
]
RATERS = [
    {"id": "R1", "name": "赵敏", "phone": "13800000001", "telegram": ""},
    {"id": "R2", "name": "钱进", "phone": "", "telegram": "@qianjin"},
    {"id": "R3", "name": "孙丽", "phone": "", "telegram": ""},
]
ASSIGNMENTS = [
    {"rater_id": "R1", "cadre_id": "C1", "group": "superior"},
    {"rater_id": "R1", "cadre_id": "C2", "group": "superior"},
    {"rater_id": "R2", "cadre_id": "C1", "group": "peer"},
    {"rater_id": "R3", "cadre_id": "C3", "group": "subordinate"},
]
TABLES = (Roster, Cadre, Rater, Assignment)

NAMED = "superior (上级), peer (同级), subordinate (下级)"  # what a roster may name


def write_csv(path, header, rows, encoding="utf-8"):
    with path.open("w", newline="", encoding=encoding) as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def csv_folder(folder, cadres=CADRES, raters=RATERS, assignments=ASSIGNMENTS):
    """Write the three CSV files with the canonical headers."""
    folder.mkdir(exist_ok=True)
    for name, rows in (("cadres", cadres), ("raters", raters), ("assignments", assignments)):
        header = list(rows[0]) if rows else ["id"]
        write_csv(folder / f"{name}.csv", header, [list(row.values()) for row in rows])
    return folder


def counts(engine) -> dict[str, int]:
    with Session(engine) as session:
        return {
            table.__tablename__: session.exec(select(sa.func.count()).select_from(table)).one()
            for table in TABLES
        }


def stored(engine):
    """What was stored, by external ids: cadres, raters and (rater, cadre, group) triples."""
    with Session(engine) as session:
        cadres = {c.external_id: c for c in session.exec(select(Cadre)).all()}
        raters = {r.external_id: r for r in session.exec(select(Rater)).all()}
        by_id = {**{c.id: k for k, c in cadres.items()}, **{r.id: k for k, r in raters.items()}}
        links = sorted(
            (by_id[a.rater_id], by_id[a.cadre_id], a.group)
            for a in session.exec(select(Assignment)).all()
        )
    return cadres, raters, links


def do_import(engine, rows, now, name="名册"):
    with Session(engine, expire_on_commit=False) as session:
        roster = import_roster(session=session, rows=rows, name=name, now=now)
        session.commit()
        return roster


def rows_of(cadres: list[dict], raters: list[dict], assignments: list[dict]) -> RosterRows:
    """Rows as the readers number them (from 2, after the header)."""
    links = [(a["rater_id"], a["cadre_id"], a["group"]) for a in assignments]
    return roster_rows(cadres, raters, links)


def reasons(error: RosterError) -> list[tuple[str, int, str]]:
    """(sheet, row, message with its values filled in) for each problem."""
    return [
        (p.sheet, p.row, p.message % p.values if p.values else p.message) for p in error.problems
    ]


# --- good rosters -----------------------------------------------------------------------------


def test_csv_folder_imports(engine, now, tmp_path):
    roster = do_import(engine, read_roster(csv_folder(tmp_path / "roster")), now)
    assert roster.name == "名册"
    assert counts(engine) == {"roster": 1, "cadre": 3, "rater": 3, "assignment": 4}
    cadres, raters, links = stored(engine)
    assert (cadres["C3"].name, cadres["C3"].unit, cadres["C3"].post) == ("张强", "市财政局", "局长")
    assert raters["R1"].phone == "13800000001" and raters["R1"].telegram is None
    assert raters["R2"].telegram == "@qianjin" and raters["R2"].phone is None
    assert links == [
        ("R1", "C1", "superior"),
        ("R1", "C2", "superior"),
        ("R2", "C1", "peer"),
        ("R3", "C3", "subordinate"),
    ]
    # Stored ids are random, not the roster's own ids.
    assert all(len(c.id) == 32 and c.id != key for key, c in cadres.items())


def test_workbook_imports(engine, now, tmp_path):
    path = tmp_path / "roster.xlsx"
    write_workbook(path, {"cadres": CADRES, "raters": RATERS, "assignments": ASSIGNMENTS})
    do_import(engine, read_roster(path), now)
    assert counts(engine) == {"roster": 1, "cadre": 3, "rater": 3, "assignment": 4}
    _, raters, links = stored(engine)
    assert raters["R1"].phone == "13800000001"
    assert ("R2", "C1", "peer") in links


def test_workbook_with_numbers_typed_in_excel(engine, now, tmp_path):
    """HR types ids and phone numbers as numbers; they come back as plain digits."""
    path = tmp_path / "roster.xlsx"
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    sheet = workbook.create_sheet("cadres")
    sheet.append(["id", "name", "unit", "post"])
    sheet.append([1001, "王伟", "市发展改革委", "主任"])
    sheet = workbook.create_sheet("raters")
    sheet.append(["id", "name", "phone", "telegram"])
    sheet.append([2001, "赵敏", 13800000001, None])
    sheet = workbook.create_sheet("assignments")
    sheet.append(["rater_id", "cadre_id", "group"])
    sheet.append([2001, 1001, "superior"])
    workbook.save(path)
    do_import(engine, read_roster(path), now)
    cadres, raters, links = stored(engine)
    assert list(cadres) == ["1001"]
    assert raters["2001"].phone == "13800000001"
    assert links == [("2001", "1001", "superior")]


def test_chinese_headers_and_group_names(engine, now, tmp_path):
    folder = tmp_path / "roster"
    folder.mkdir()
    write_csv(
        folder / "cadres.csv",
        ["编号", "姓名", "单位", "职务"],
        [[c["id"], c["name"], c["unit"], c["post"]] for c in CADRES],
    )
    write_csv(
        folder / "raters.csv",
        ["编号", "姓名", "手机"],
        [[r["id"], r["name"], r["phone"]] for r in RATERS],
    )
    write_csv(
        folder / "assignments.csv",
        ["测评人编号", "干部编号", "组别"],
        [["R1", "C1", "上级"], ["R2", "C1", "同级"], ["R3", "C3", "下级"]],
    )
    do_import(engine, read_roster(folder), now)
    cadres, raters, links = stored(engine)
    assert cadres["C2"].post == "副主任"
    assert raters["R1"].phone == "13800000001"
    assert links == [("R1", "C1", "superior"), ("R2", "C1", "peer"), ("R3", "C3", "subordinate")]


def test_csv_with_byte_order_mark_blank_rows_and_spaces(engine, now, tmp_path):
    """Excel's "CSV UTF-8" adds a BOM; blank lines and padded cells are tolerated."""
    folder = csv_folder(tmp_path / "roster")
    write_csv(
        folder / "cadres.csv",
        ["编号", "姓名", "单位", "职务"],
        [
            [" C1 ", "王伟", "市发展改革委", "主任"],
            ["", "", "", ""],
            ["C2", "李娜", "市发展改革委", "副主任"],
            ["C3", "张强", "市财政局", "局长"],
        ],
        encoding="utf-8-sig",
    )
    do_import(engine, read_roster(folder), now)
    cadres, _, _ = stored(engine)
    assert sorted(cadres) == ["C1", "C2", "C3"]


def test_write_template_has_headers_an_example_row_and_drop_downs(tmp_path):
    path = tmp_path / "template.xlsx"
    write_template(path, "zh")
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["cadres", "raters", "assignments"]
    headers = {name: [cell.value for cell in workbook[name][1]] for name in workbook.sheetnames}
    assert headers == {
        "cadres": ["id", "name", "unit", "post"],
        "raters": ["id", "name", "phone", "telegram"],
        "assignments": ["rater_id", "cadre_id", "group"],
    }
    examples = {name: [cell.value for cell in workbook[name][2]] for name in workbook.sheetnames}
    assert examples["assignments"] == ["示例R01", "示例G01", "上级"]
    assert examples["cadres"][0] == examples["assignments"][1]  # the example rows agree
    assert "示例" in workbook["cadres"]["A1"].comment.text  # the hint, in Chinese
    lists = {
        str(validation.sqref): validation.formula1
        for validation in workbook["assignments"].data_validations.dataValidation
    }
    assert lists == {
        "A2:A10000": "raters!$A$2:$A$10000",
        "B2:B10000": "cadres!$A$2:$A$10000",
        "C2:C10000": '"上级,同级,下级"',
    }


def test_the_example_rows_are_refused_by_every_import_and_nothing_else(engine, now, tmp_path):
    """The roster check itself refuses the template's example rows (so the CLI and the
    console's upload both do); they are otherwise valid: their phone passes too."""
    path = tmp_path / "template.xlsx"
    write_template(path, "en")
    rows = read_roster(path)
    expected = [
        ("cadres", 2, {"id": "示例G01"}),
        ("raters", 2, {"id": "示例R01"}),
        ("assignments", 2, {"id": "示例R01"}),
    ]
    assert [(p.sheet, p.row, p.values) for p in example_rows_left(rows)] == expected
    assert [(p.sheet, p.row, p.values) for p in check_roster(rows)] == expected
    with pytest.raises(RosterError):
        do_import(engine, rows, now)
    assert stored(engine)[2] == []


def test_filled_in_template_imports(engine, now, tmp_path):
    path = tmp_path / "template.xlsx"
    write_template(path, "zh")
    workbook = openpyxl.load_workbook(path)
    for sheet in workbook.sheetnames:
        workbook[sheet].delete_rows(2)
    workbook["cadres"].append(["C1", "王伟", "市发展改革委", "主任"])
    workbook["raters"].append(["R1", "赵敏", None, None])
    workbook["assignments"].append(["R1", "C1", "上级"])
    workbook.save(path)
    rows = read_roster(path)
    assert example_rows_left(rows) == []
    do_import(engine, rows, now)
    assert counts(engine) == {"roster": 1, "cadre": 1, "rater": 1, "assignment": 1}


@pytest.mark.parametrize(
    "typed", ["13800000001", "+86 138 0000 0001", "86-139-1234-5678", "+8619912345678"]
)
def test_mainland_mobile_numbers_are_kept_as_typed(engine, now, typed):
    raters = [{**RATERS[0], "phone": typed}, *RATERS[1:]]
    do_import(engine, rows_of(CADRES, raters, ASSIGNMENTS), now)
    assert stored(engine)[1]["R1"].phone == typed
    assert mobile_number(typed)[0] == "1" and len(mobile_number(typed)) == 11


def test_other_phone_numbers_are_row_errors_and_nothing_is_stored(engine, now):
    bad = ["12345", "12800000000", "1380000000", "138000000012", "+1 415 555 0100", "电话"]
    raters = [
        {"id": f"R{n}", "name": f"测评人{n}", "phone": phone, "telegram": ""}
        for n, phone in enumerate(bad, start=1)
    ]
    with pytest.raises(RosterError) as caught:
        do_import(engine, rows_of(CADRES, raters, []), now)
    found = reasons(caught.value)
    assert [(sheet, row) for sheet, row, _ in found] == [("raters", n) for n in range(2, 8)]
    assert "phone 12345 is not a mainland mobile number" in found[0][2]
    assert counts(engine)["roster"] == 0


# --- bad rosters ------------------------------------------------------------------------------


def test_every_bad_row_is_reported_at_once_and_nothing_is_stored(engine, now, tmp_path):
    cadres = [
        {"id": "C1", "name": "王伟", "unit": "市发展改革委", "post": "主任"},  # row 2
        {"id": "C2", "name": "", "unit": "市发展改革委", "post": ""},  # row 3
        {"id": "C1", "name": "王伟二", "unit": "市财政局", "post": "局长"},  # row 4
        {"id": "C3", "name": "张强", "unit": "市财政局", "post": "局长"},  # row 5
    ]
    raters = [
        {"id": "R1", "name": "赵敏", "phone": "", "telegram": ""},  # row 2
        {"id": "R1", "name": "赵敏二", "phone": "", "telegram": ""},  # row 3
        {"id": "R2", "name": "", "phone": "13800000002", "telegram": ""},  # row 4
        {"id": "R3", "name": "孙丽", "phone": "", "telegram": ""},  # row 5
    ]
    assignments = [
        {"rater_id": "R1", "cadre_id": "C1", "group": "superior"},  # row 2: fine
        {"rater_id": "R1", "cadre_id": "C3", "group": "boss"},  # row 3
        {"rater_id": "R9", "cadre_id": "C1", "group": "peer"},  # row 4
        {"rater_id": "R3", "cadre_id": "C9", "group": "下级"},  # row 5
        {"rater_id": "R1", "cadre_id": "C1", "group": "peer"},  # row 6
        {"rater_id": "R3", "cadre_id": "", "group": "peer"},  # row 7
        {"rater_id": "R3", "cadre_id": "C3", "group": "同级"},  # row 8: fine
    ]
    path = tmp_path / "roster.xlsx"
    write_workbook(path, {"cadres": cadres, "raters": raters, "assignments": assignments})
    rows = read_roster(path)
    with pytest.raises(RosterError) as caught, Session(engine) as session:
        import_roster(session=session, rows=rows, name="坏名册", now=now)
    assert reasons(caught.value) == [
        ("cadres", 3, "required field(s) empty: name, post"),
        ("cadres", 4, "duplicate id C1"),
        ("raters", 3, "duplicate id R1"),
        ("raters", 4, "required field(s) empty: name"),
        ("assignments", 3, f"unknown group boss; use one of {NAMED}"),
        ("assignments", 4, "unknown rater id R9"),
        ("assignments", 5, "unknown cadre id C9"),
        ("assignments", 6, "rater R1 is assigned to cadre C1 twice"),
        ("assignments", 7, "required field(s) empty: cadre_id"),
    ]
    assert counts(engine) == {"roster": 0, "cadre": 0, "rater": 0, "assignment": 0}


def test_bad_rows_in_csv_are_reported_with_their_line_numbers(engine, now, tmp_path):
    folder = csv_folder(
        tmp_path / "roster",
        assignments=[*ASSIGNMENTS, {"rater_id": "R2", "cadre_id": "C2", "group": "上司"}],
    )
    with pytest.raises(RosterError) as caught, Session(engine) as session:
        import_roster(session=session, rows=read_roster(folder), name="名册", now=now)
    assert reasons(caught.value) == [("assignments", 6, f"unknown group 上司; use one of {NAMED}")]
    assert counts(engine) == {"roster": 0, "cadre": 0, "rater": 0, "assignment": 0}


def test_longest_values_the_database_takes(any_engine, now, tmp_path):
    cadre = {"id": "C" * 64, "name": "长" * 200, "unit": "单" * 200, "post": "职" * 200}
    # A phone is checked as a mainland mobile number, so it never reaches its 64 characters.
    rater = {"id": "R" * 64, "name": "名" * 200, "phone": "+86 138-0000-0001", "telegram": "t" * 64}
    folder = csv_folder(
        tmp_path / "roster",
        cadres=[cadre],
        raters=[rater],
        assignments=[{"rater_id": rater["id"], "cadre_id": cadre["id"], "group": "peer"}],
    )
    do_import(any_engine, read_roster(folder), now)
    cadres, raters, _ = stored(any_engine)
    assert cadres[cadre["id"]].name == cadre["name"]
    assert raters[rater["id"]].telegram == rater["telegram"]


def test_field_too_long_for_the_database(any_engine, now, tmp_path):
    long_id = "C" * 65
    folder = csv_folder(
        tmp_path / "roster",
        cadres=[
            *CADRES,
            {"id": long_id, "name": "王伟", "unit": "市发展改革委", "post": "主任"},
            {"id": "C5", "name": "长" * 201, "unit": "市发展改革委", "post": "主任"},
        ],
    )
    with pytest.raises(RosterError) as caught, Session(any_engine) as session:
        import_roster(session=session, rows=read_roster(folder), name="名册", now=now)
    # Ids are limited to 64 characters by the database, names to 200.
    assert reasons(caught.value) == [
        ("cadres", 5, "id is longer than 64 characters"),
        ("cadres", 6, "name is longer than 200 characters"),
    ]
    assert counts(any_engine) == {"roster": 0, "cadre": 0, "rater": 0, "assignment": 0}


def test_missing_columns_are_reported_for_every_sheet(tmp_path):
    folder = csv_folder(tmp_path / "roster")
    write_csv(folder / "cadres.csv", ["id", "name", "post"], [["C1", "王伟", "主任"]])
    write_csv(folder / "assignments.csv", ["rater_id", "cadre", "group"], [["R1", "C1", "peer"]])
    with pytest.raises(RosterError) as caught:
        read_roster(folder)
    assert reasons(caught.value) == [
        ("cadres", 1, "missing column(s): unit"),
        ("assignments", 1, "missing column(s): cadre_id"),
    ]


def test_missing_sheets_in_a_workbook(tmp_path):
    path = tmp_path / "roster.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.title = "cadres"
    workbook.active.append(["id", "name", "unit", "post"])
    workbook.save(path)
    with pytest.raises(RosterError) as caught:
        read_workbook(path)
    assert reasons(caught.value) == [
        ("raters", 0, "the workbook has no sheet named raters"),
        ("assignments", 0, "the workbook has no sheet named assignments"),
    ]


def test_empty_sheet(tmp_path):
    path = tmp_path / "roster.xlsx"
    write_workbook(path, {"cadres": CADRES, "raters": RATERS, "assignments": ASSIGNMENTS})
    workbook = openpyxl.load_workbook(path)
    workbook.remove(workbook["raters"])
    workbook.create_sheet("raters")
    workbook.save(path)
    with pytest.raises(RosterError) as caught:
        read_roster(path)
    assert reasons(caught.value) == [("raters", 1, "the sheet is empty; expected a header row")]


def test_missing_csv_file(tmp_path):
    folder = csv_folder(tmp_path / "roster")
    (folder / "raters.csv").unlink()
    with pytest.raises(RosterError) as caught:
        read_csv_folder(folder)
    assert reasons(caught.value) == [("raters", 0, "file raters.csv is missing")]


def test_not_an_xlsx_file(tmp_path):
    path = tmp_path / "roster.xlsx"
    path.write_text("id,name,unit,post\nC1,王伟,市发展改革委,主任\n", encoding="utf-8")
    with pytest.raises(RosterError) as caught:
        read_roster(path)
    [problem] = caught.value.problems
    assert (problem.sheet, problem.row) == ("roster.xlsx", 0)
    assert problem.message.startswith("not a readable .xlsx workbook")


@pytest.mark.parametrize("name", ["roster.csv", "roster.xls", "missing.xlsx"])
def test_neither_a_workbook_nor_a_folder(tmp_path, name):
    path = tmp_path / name
    if name != "missing.xlsx":
        path.write_bytes(b"id,name\n")
    with pytest.raises(RosterError) as caught:
        read_roster(path)
    [problem] = caught.value.problems
    assert (problem.sheet, problem.row) == (name, 0)
    assert problem.message.startswith("expected an .xlsx workbook or a folder")


def test_csv_not_in_utf8(tmp_path):
    folder = csv_folder(tmp_path / "roster")
    write_csv(
        folder / "cadres.csv",
        ["编号", "姓名", "单位", "职务"],
        [["C1", "王伟", "市发展改革委", "主任"]],
        encoding="gbk",
    )
    with pytest.raises(RosterError) as caught:
        read_roster(folder)
    assert reasons(caught.value) == [("cadres", 0, "file cadres.csv is not UTF-8 text")]


def test_roster_without_cadres(engine, now, tmp_path):
    folder = csv_folder(tmp_path / "roster", cadres=[], assignments=[])
    write_csv(folder / "cadres.csv", ["id", "name", "unit", "post"], [])
    write_csv(folder / "assignments.csv", ["rater_id", "cadre_id", "group"], [])
    with pytest.raises(RosterError) as caught, Session(engine) as session:
        import_roster(session=session, rows=read_roster(folder), name="空", now=now)
    assert reasons(caught.value) == [("cadres", 0, "the roster has no cadres")]
    assert counts(engine) == {"roster": 0, "cadre": 0, "rater": 0, "assignment": 0}


def test_two_rosters_may_reuse_the_same_ids(engine, now, tmp_path):
    folder = csv_folder(tmp_path / "roster")
    do_import(engine, read_roster(folder), now, name="2025")
    do_import(engine, read_roster(folder), now, name="2026")
    assert counts(engine) == {"roster": 2, "cadre": 6, "rater": 6, "assignment": 8}
