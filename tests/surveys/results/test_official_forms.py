"""The official forms against the fixed campaign of ``tests/forms_campaign.py``.

Every expected cell is worked out by hand there: names, grades by the
institution-staff preset's names, the quota's one place, the counts per
grade, the cadre under investigation and the cadre below k.  The files are
read back with openpyxl and pypdf; the command and the console are driven
as HR drives them.
"""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO

import openpyxl
import pytest
from pypdf import PdfReader
from sqlmodel import Session

from storage.engine import make_engine
from storage.migrate import upgrade
from storage.models import Appeal
from surveys.documents.official_form_writers import (
    BLANK,
    LABEL,
    OfficialForm,
    write_forms_pdf,
    write_forms_xlsx,
)
from surveys.results.official_forms import official_forms
from surveys.sealing.ballot_box import BoxSealed
from surveys.setup.accounts import AUDITOR
from surveys.setup.campaigns import CampaignError, campaign_cadres
from tests.cli import CadreCli
from tests.factories import make_campaign
from tests.forms_campaign import FORMULA_NAME, forms_campaign, sealed_forms_campaign
from tests.hr import hr_client
from tests.surveys.documents.test_pdf_fonts import assert_all_embedded
from tests.web import app_fixture  # noqa: F401

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NO_GRADE = "暂不确定等次"


@pytest.fixture
def campaign(session, now):
    return forms_campaign(session, now)


def forms_of(session, campaign, form, locale="zh", **options) -> list[OfficialForm]:
    return official_forms(session=session, campaign=campaign, form=form, locale=locale, **options)


def values(form: OfficialForm) -> list[list]:
    """The grid's cell values, row by row."""
    return [[cell.value for cell in row.cells] for row in form.rows]


def after(form: OfficialForm, label: str):
    """The value in the cell right of a printed label."""
    for row in form.rows:
        for index, cell in enumerate(row.cells):
            if cell.role == LABEL and cell.value == label:
                return row.cells[index + 1].value
    raise AssertionError(f"no label {label!r} in {values(form)}")


def row_after(form: OfficialForm, label: str) -> list:
    """The values of the row that a label starts, the label left out."""
    row = next(r for r in form.rows if r.cells[0].value == label)
    return [cell.value for cell in row.cells[1:]]


def by_cadre(forms: list[OfficialForm]) -> dict[str, OfficialForm]:
    return {form.sheet.split(" ")[0]: form for form in forms}


# --- what the forms say -------------------------------------------------------------------------


def test_registration_forms_carry_the_shown_result_and_leave_the_boxes_blank(session, campaign):
    forms = by_cadre(forms_of(session, campaign, "registration"))
    assert sorted(forms) == ["A1", "A2", "A3", "A4", "B1", "B2", "B3"]
    a1 = forms["A1"]
    assert a1.title == "年度考核登记表" and a1.subtitle == "（2026年度考核）"
    assert (after(a1, "姓名"), after(a1, "单位"), after(a1, "职务")) == ("甲一", "甲局", "科长")
    assert after(a1, "考核类别") == "年度考核" and after(a1, "考核名称") == "2026年度考核"
    assert after(a1, "考核期间") == "2026-11-20至2026-12-01"
    assert (after(a1, "有效测评票数"), after(a1, "综合得分"), after(a1, "单位内排名")) == (
        3, "100.00", "1/4")  # fmt: skip
    assert row_after(a1, "得分") == ["100.00"] * 5
    assert row_after(a1, "得票率（%）") == ["100.0", "0.0", "0.0", "0.0"]
    assert row_after(a1, "投票") == ["优秀", "合格", "基本合格", "不合格"]  # the preset's names
    assert after(a1, "等次") == "优秀"
    assert after(a1, "未确定等次或等次变更的情况说明") == ""
    # A2 reached the Excellent band with more than half the votes, but the quota's one place
    # went to A1.
    a2 = forms["A2"]
    assert (after(a2, "综合得分"), after(a2, "等次")) == ("93.33", "合格")
    assert row_after(forms["A3"], "得票率（%）") == ["0.0", "0.0", "100.0", "0.0"]
    assert after(forms["A3"], "等次") == "基本合格"
    # Under investigation: no grade, and the rule says why.
    b2 = forms["B2"]
    assert after(b2, "等次") == NO_GRADE
    assert "涉嫌违纪违法被立案审查调查尚未结案" in after(b2, "未确定等次或等次变更的情况说明")
    # Below k: every figure withheld, printed as the reports print it.
    b3 = forms["B3"]
    assert (after(b3, "综合得分"), after(b3, "单位内排名"), after(b3, "等次")) == (
        "—", "—", NO_GRADE)  # fmt: skip
    assert row_after(b3, "得分") == ["—"] * 5
    assert row_after(b3, "得票率（%）") == ["—"] * 4
    assert "少于 3" in after(b3, "未确定等次或等次变更的情况说明")
    blanks = [cell.value for row in a1.rows for cell in row.cells if cell.role == BLANK]
    assert len(blanks) == 4 and sum("签字" in text for text in blanks) == 3
    assert any("盖章" in text for text in blanks)


def test_one_cadres_registration_form_and_bad_requests(session, campaign):
    (form,) = forms_of(session, campaign, "registration", cadre_id="A2")
    assert after(form, "姓名") == "甲二"
    with pytest.raises(CampaignError, match="ZZ"):
        forms_of(session, campaign, "registration", cadre_id="ZZ")
    with pytest.raises(CampaignError, match="registration"):
        forms_of(session, campaign, "filing", cadre_id="A1")
    with pytest.raises(CampaignError, match="minutes"):
        forms_of(session, campaign, "minutes")


def test_filing_forms_count_the_grades_per_unit_and_in_all(session, campaign):
    forms = forms_of(session, campaign, "filing")
    assert [after(form, "单位") for form in forms] == ["乙局", "甲局", "全部单位"]
    yi, jia, everyone = forms
    assert jia.title == "考核结果备案表"
    assert row_after(jia, "等次") == [
        "参加考核人数",
        "优秀",
        "合格",
        "基本合格",
        "不合格",
        NO_GRADE,
    ]
    assert row_after(jia, "人数") == [4, 1, 2, 1, 0, 0]
    assert row_after(jia, "比例（%）") == ["100.0", "25.0", "50.0", "25.0", "0.0", "0.0"]
    assert row_after(yi, "人数") == [3, 0, 1, 0, 0, 2]
    assert row_after(yi, "比例（%）") == ["100.0", "0.0", "33.3", "0.0", "0.0", "66.7"]
    assert row_after(everyone, "人数") == [7, 1, 3, 1, 0, 2]
    assert row_after(everyone, "比例（%）") == ["100.0", "14.3", "42.9", "14.3", "0.0", "28.6"]
    # The quota pools the whole agency: 20% of the 5 graded with a shown composite, rounded
    # down, is 1 place; a unit's own form has no pool of its own to count places in.
    assert (after(everyone, "优秀比例上限（%）"), after(everyone, "优秀占比（%）")) == (
        "20.0",
        "14.3",
    )
    assert after(everyone, "优秀名额") == 1
    assert (after(jia, "优秀占比（%）"), after(jia, "优秀名额")) == ("25.0", "—")
    assert "盖章" in after(jia, "单位意见") and "盖章" in after(jia, "组织人事部门备案意见")


def test_the_excellent_roster_lists_only_the_excellent(session, campaign):
    (form,) = forms_of(session, campaign, "excellent")
    assert form.title == "优秀等次人员名单" and form.header_rows == 1
    assert values(form)[:2] == [
        ["序号", "姓名", "单位", "职务", "综合得分", "备注"],
        [1, "甲一", "甲局", "科长", "100.00", ""],
    ]
    assert form.notes == ("合计：1 人",)


def test_a_grade_revised_on_appeal_is_on_the_forms_with_its_reason(session, campaign, now):
    a2 = next(
        c for c in campaign_cadres(session=session, campaign=campaign) if c.external_id == "A2"
    )
    session.add(
        Appeal(campaign_id=campaign.id, cadre_id=a2.id, filed_at=now, reason="名额有误",
               status="revised", decided_at=now + timedelta(days=2), decided_by="hr",
               decision="复核后改为优秀", revised_grade="excellent")
    )  # fmt: skip
    session.commit()
    (form,) = forms_of(session, campaign, "registration", cadre_id="A2")
    assert after(form, "等次") == "优秀"
    assert "复核后改为优秀" in after(form, "未确定等次或等次变更的情况说明")
    (roster,) = forms_of(session, campaign, "excellent")
    assert values(roster)[1:3] == [
        [1, "甲一", "甲局", "科长", "100.00", ""],
        [2, "甲二", "甲局", "副科长", "93.33", "经申诉改定"],
    ]
    everyone = forms_of(session, campaign, "filing")[-1]
    assert row_after(everyone, "人数") == [7, 2, 2, 1, 0, 2]


def test_the_forms_in_english_keep_the_preset_grade_names(session, campaign):
    a1 = by_cadre(forms_of(session, campaign, "registration", "en"))["A1"]
    assert (after(a1, "Name"), after(a1, "Grade")) == ("甲一", "Excellent")
    assert row_after(a1, "Vote") == ["Excellent", "Qualified", "Basically qualified", "Unqualified"]


def test_no_form_before_the_box_is_opened(session, now):
    campaign = sealed_forms_campaign(session, now)
    for form in ("registration", "filing", "excellent"):
        with pytest.raises(BoxSealed):
            forms_of(session, campaign, form)


@pytest.mark.postgres
def test_the_filing_counts_on_postgresql(postgres_url, now):
    engine = make_engine(postgres_url)
    upgrade(engine)
    try:
        with Session(engine, expire_on_commit=False) as session:
            campaign = forms_campaign(session, now)
            everyone = forms_of(session, campaign, "filing")[-1]
            assert row_after(everyone, "人数") == [7, 1, 3, 1, 0, 2]
    finally:
        engine.dispose()


# --- the files ----------------------------------------------------------------------------------


def test_the_workbook_is_a_bordered_a4_grid_with_merged_cells(session, campaign, tmp_path):
    forms = forms_of(session, campaign, "registration") + forms_of(session, campaign, "filing")
    path = tmp_path / "forms.xlsx"
    write_forms_xlsx(path, forms)
    book = openpyxl.load_workbook(path)
    assert len(book.sheetnames) == 10 and book.sheetnames[7:] == ["乙局", "甲局", "全部单位"]
    a1 = book["A1 甲一"]
    assert a1["A1"].value == "年度考核登记表" and "A1:F1" in a1.merged_cells
    assert (a1["A3"].value, a1["B3"].value, a1["C3"].value, a1["D3"].value) == (
        "姓名", "甲一", "单位", "甲局")  # fmt: skip
    assert "D3:F3" in a1.merged_cells  # the unit spans three columns
    assert a1["B7"].value == 3 and a1["D7"].value == "100.00"
    assert a1["D3"].border.left.style == "thin" and a1["F3"].border.right.style == "thin"
    assert a1.page_setup.paperSize == 9  # A4 (openpyxl writes PAPERSIZE_A4, reads 9)
    assert a1.sheet_properties.pageSetUpPr.fitToPage
    # Excel grows no row for wrapped text: a long label's row is set tall enough for it.
    why = next(c.row for c in a1["A"] if c.value == "未确定等次或等次变更的情况说明")
    assert a1.row_dimensions[why].height >= 3 * 16
    b3 = book["B3 乙三"]
    assert b3["D7"].value == "—"
    grades = [row[1] for row in b3.iter_rows(values_only=True) if row[0] == "等次"]
    assert grades == [NO_GRADE]
    filing = book["甲局"]
    counts = next(row for row in filing.iter_rows(values_only=True) if row[0] == "人数")
    assert list(counts) == ["人数", 4, 1, 2, 1, 0, 0]


def test_a_formula_in_a_name_is_text_in_the_workbook(session, campaign, tmp_path):
    path = tmp_path / "forms.xlsx"
    write_forms_xlsx(path, forms_of(session, campaign, "registration", cadre_id="B1"))
    sheet = openpyxl.load_workbook(path).worksheets[0]
    assert sheet["B3"].value == "'" + FORMULA_NAME and sheet["B3"].data_type == "s"
    assert not [cell for row in sheet.iter_rows() for cell in row if cell.data_type == "f"]


def test_the_pdf_has_the_names_and_grades_in_an_embedded_font(session, campaign):
    forms = forms_of(session, campaign, "registration") + forms_of(session, campaign, "excellent")
    buffer = BytesIO()
    write_forms_pdf(buffer, forms, "2026年度考核")
    reader = PdfReader(BytesIO(buffer.getvalue()))
    assert len(reader.pages) == 8  # seven registration forms and the roster, a page each
    assert_all_embedded(reader)
    first = reader.pages[0].extract_text()
    assert "年度考核登记表" in first
    text = "\n".join(page.extract_text() for page in reader.pages)
    for word in ("甲一", "甲二", "乙三", "优秀", "合格", "基本合格", NO_GRADE, "93.33", "—"):
        assert word in text, word
    assert "优秀等次人员名单" in reader.pages[-1].extract_text()


# --- the command --------------------------------------------------------------------------------


@pytest.fixture
def cli(tmp_path, now):
    cadre = CadreCli(tmp_path)
    cadre.data_dir.mkdir(parents=True)
    engine = make_engine(cadre.database_url)
    upgrade(engine)
    with Session(engine, expire_on_commit=False) as session:
        cadre.campaign = forms_campaign(session, now).id
        cadre.sealed = make_campaign(session, now=now).id  # made after the opening: sealed
    engine.dispose()
    return cadre


def test_the_command_writes_each_form(cli, tmp_path):
    out = tmp_path / "filing.xlsx"
    cli("results", "forms", cli.campaign, "--form", "filing", "--out", str(out))
    assert openpyxl.load_workbook(out).sheetnames == ["乙局", "甲局", "All units"]
    out = tmp_path / "a1.pdf"
    cli("results", "forms", cli.campaign, "--form", "registration", "--cadre", "A1",
        "--out", str(out))  # fmt: skip
    reader = PdfReader(out)
    assert len(reader.pages) == 1 and "甲一" in reader.pages[0].extract_text()


def test_the_command_refuses_bad_input_with_exit_code_2(cli, tmp_path):
    out = str(tmp_path / "x.xlsx")
    base = ("results", "forms", cli.campaign)
    assert "minutes" in cli(*base, "--form", "minutes", "--out", out, code=2).output
    result = cli(*base, "--form", "registration", "--cadre", "ZZ", "--out", out, code=2)
    assert "no cadre with id ZZ" in result.output
    cli(*base, "--form", "filing", "--cadre", "A1", "--out", out, code=2)
    assert ".docx" in cli(*base, "--form", "filing", "--out", str(tmp_path / "x.docx"),
                          code=2).output  # fmt: skip
    sealed = cli("results", "forms", cli.sealed, "--form", "excellent", "--out", out, code=2)
    assert "sealed" in sealed.output
    cli("results", "forms", "nonexistent", "--form", "excellent", "--out", out, code=2)
    assert not (tmp_path / "x.xlsx").exists()


# --- the console --------------------------------------------------------------------------------


def test_the_auditor_downloads_the_forms_from_the_console(app, session, now):
    campaign = forms_campaign(session, now)
    auditor = hr_client(app, AUDITOR)
    base = f"/admin/campaigns/{campaign.id}/forms"
    page = auditor.get(base)
    assert page.status_code == 200
    assert f"{base}/filing.xlsx".encode() in page.data
    assert f"{base}/registration/B2.pdf".encode() in page.data
    for form in ("registration", "filing", "excellent"):
        workbook = auditor.get(f"{base}/{form}.xlsx")
        assert workbook.status_code == 200 and workbook.mimetype == XLSX
        assert openpyxl.load_workbook(BytesIO(workbook.data)).sheetnames
        pdf = auditor.get(f"{base}/{form}.pdf")
        assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
        assert "attachment" in pdf.headers["Content-Disposition"]
    one = auditor.get(f"{base}/registration/B2.xlsx")
    assert one.status_code == 200
    assert openpyxl.load_workbook(BytesIO(one.data)).sheetnames == ["B2 乙二"]
    assert auditor.get(f"{base}/registration/ZZ.pdf").status_code == 404


def test_the_console_refuses_the_forms_before_the_box_is_opened(app, session, now):
    campaign = sealed_forms_campaign(session, now)
    officer = hr_client(app, AUDITOR)
    base = f"/admin/campaigns/{campaign.id}/forms"
    for path in (
        base,
        f"{base}/filing.xlsx",
        f"{base}/excellent.pdf",
        f"{base}/registration/A1.pdf",
    ):
        response = officer.get(path)
        assert response.status_code == 409, path
        assert response.mimetype == "text/html"
