"""The ``cadre`` command speaks the user's language: our texts, help texts and click's words."""

from __future__ import annotations

import os
import subprocess
import sys

from click.testing import CliRunner

from cadre.cli import cli
from cadre.cli_language import help_texts, localized
from surveys.rules.messages import translate


def cadre(*args: str, **env: str) -> subprocess.CompletedProcess:
    """Run the installed entry point as a user would."""
    clean = {key: value for key, value in os.environ.items() if not key.startswith("CADRE_")}
    return subprocess.run(
        [sys.executable, "-m", "cadre", *args],
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_help_is_chinese_for_chinese_users(tmp_path):
    result = cadre("campaign", "create", "--help", CADRE_DATA_DIR=str(tmp_path), CADRE_LOCALE="zh")
    assert result.returncode == 0
    assert "用法：" in result.stdout and "选项" in result.stdout
    assert "根据模板和名册创建测评活动" in result.stdout and "[必填]" in result.stdout


def test_click_errors_are_chinese_too(tmp_path):
    result = cadre("campaign", "create", CADRE_DATA_DIR=str(tmp_path), CADRE_LOCALE="zh")
    assert result.returncode == 2
    assert "错误：缺少选项 '--name'" in result.stderr


def test_help_is_english_on_request(tmp_path):
    result = cadre("--help", CADRE_DATA_DIR=str(tmp_path), CADRE_LOCALE="en")
    assert result.returncode == 0
    assert (
        "Usage:" in result.stdout and "Rosters of cadres, raters and assignments." in result.stdout
    )


def test_a_bad_setting_stops_the_entry_point_with_a_message(tmp_path):
    result = cadre("demo", CADRE_DATA_DIR=str(tmp_path), CADRE_SECRET_KEY="secret")
    assert result.returncode == 2
    assert "CADRE_SECRET_KEY" in result.stderr and "Traceback" not in result.stderr


def test_localizing_copies_the_tree_and_keeps_the_original():
    chinese = localized(cli, "zh")
    assert cli.help == "Cadre assessment: rosters, campaigns, invitations, forms and results."
    assert chinese.help == translate(cli.help, locale="zh") != cli.help
    result = CliRunner().invoke(chinese, ["--help"])
    assert "干部考核测评" in result.output


def test_every_help_text_has_a_chinese_translation():
    missing = [text for text in help_texts(cli) if translate(text, locale="zh") == text]
    assert missing == []
