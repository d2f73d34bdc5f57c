"""``cadre results themes``: suggestions and comment themes through the real command."""

from __future__ import annotations

from cadre.cli import Context
from cadre.commands.results.themes import themes_lines
from surveys.rules.themes import CommentThemes
from tests.cli import CadreCli
from tests.factories import make_campaign, open_boxes
from tests.themes_campaign import history_campaigns

C1_EN = """王伟 (C1, 发展改革委)
  Weakest against the unit:
    Political quality and moral integrity: 87.00 (unit average 88.50, -1.50)
    Integrity and self-discipline: 87.00 (unit average 88.50, -1.50)
  Weakest against 2026年度考核 (deadline 2025-12-01 08:00):
    Professional competence: 79.50 (then 100.00, -20.50)
    Diligence and work style: 81.00 (then 100.00, -19.00)
  Suggested training: Political conviction and Party spirit; Team building and working \
together; Clean conduct and integrity education; Duties for clean governance; Updating \
professional knowledge; Coordination and handling complex problems; Field research and \
working with the public; Taking responsibility and getting things done
  Comment themes (5 comments):
    Work style: 3
      - 工作作风务实，经常深入基层
      - 作风扎实，调研细致
    In no theme: 2
"""


def test_the_command_prints_a_cadres_suggestions_and_themes(tmp_path, now):
    run = CadreCli(tmp_path)
    run("db", "upgrade")
    with run.session() as session:
        _, current = history_campaigns(session, now)
    assert run("results", "themes", current.id[:8], "--cadre", "C1").output == C1_EN
    chinese = CadreCli(tmp_path, locale="zh")(
        "results", "themes", current.id, "--unit", "发展改革委"
    )
    lines = chinese.output.splitlines()
    assert "    能（业务能力）: 75.00（单位平均 77.25，-2.25）" in lines  # C2 against the unit
    assert "单位 发展改革委" in lines
    assert lines.count("    工作作风: 3") == 2  # C1's themes, and the unit's (C1's five only)
    assert "  没有评语主题：可显示的评语太少。" in lines  # C2: four comments, withheld
    assert "张敏" not in chinese.output  # another unit


def test_bad_input_is_a_clear_error(tmp_path, now, database_url):
    run = CadreCli(tmp_path, database_url=database_url)
    run("db", "upgrade")
    with run.session() as session:
        opened = make_campaign(session, now=now)
        open_boxes(session)
        sealed = make_campaign(session, now=now)
        opened_id, sealed_id = opened.id, sealed.id
    assert (
        "no cadre with id C9" in run("results", "themes", opened_id, "--cadre", "C9", code=2).output
    )
    assert (
        "no unit named 火星" in run("results", "themes", opened_id, "--unit", "火星", code=2).output
    )
    assert "ballot box is sealed" in run("results", "themes", sealed_id, code=2).output
    assert "no campaign with id nope" in run("results", "themes", "nope", code=2).output
    # An opened box without any ballot: nothing below anyone, no themes, no traceback.
    assert "No comment themes" in run("results", "themes", opened_id).output


def test_comments_without_a_shared_theme_say_so():
    context = Context(settings=None, locale="en")
    assert themes_lines(context, CommentThemes(6, (), 6), 3) == [
        "  No comment themes: 6 comments, no theme shared by 3 of them."
    ]
    assert themes_lines(context, CommentThemes(2), 3) == [
        "  No comment themes: too few comments may be shown."
    ]
