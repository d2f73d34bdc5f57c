"""Helpers for the rule-preset tests: a preset's questionnaire, hand-made cadres, a campaign.

The annual template's questions under one preset, and scores built directly
(composite and vote counts), so each test shows the few numbers a rule
looks at.
"""

from __future__ import annotations

from datetime import UTC, datetime

import yaml

from surveys.rules.grading import GradingInput
from surveys.rules.presets import with_preset
from surveys.rules.questionnaire import (
    Questionnaire,
    load_questionnaire,
    parse_questionnaire,
)
from surveys.rules.scoring import CadreScore
from surveys.setup.campaigns import KeyFileCustody, create_campaign
from surveys.setup.roster import import_roster
from tests.factories import BOX_KEYS, roster_rows

ANNUAL = load_questionnaire("annual")
PRESETS = (
    "civil-servant-annual",
    "leading-cadre-annual",
    "leading-cadre-term",
    "institution-staff",
)


def under(preset: str, **grading) -> Questionnaire:
    """The annual questions under a preset; ``grading`` overrides as a template would."""
    data = ANNUAL.model_dump(mode="json")
    data.pop("grading")
    data.pop("windows")
    data.pop("feeds", None)  # the preset's own, as a template that does not set it
    data["preset"] = preset
    if grading:
        data["grading"] = grading
    return parse_questionnaire(yaml.safe_dump(data, allow_unicode=True), f"{preset}.yaml")


def cadre(
    cadre_id: str,
    composite: float | None,
    *,
    unit: str = "局",
    tier: str = "",
    votes: dict[str, int] | None = None,
    flags: frozenset[str] = frozenset(),
) -> GradingInput:
    score = CadreScore(cadre_id=cadre_id, composite=composite, votes=votes or {})
    return GradingInput(score=score, roster_id=cadre_id, unit=unit, tier=tier, flags=flags)


def fillers(count: int, *, unit: str = "局", tier: str = "", start: int = 1) -> list:
    """Cadres graded Competent (80 points, no votes) who only make up a pool's size."""
    return [cadre(f"F{n}", 80.0, unit=unit, tier=tier) for n in range(start, start + count)]


def preset_campaign(session, now, preset="civil-servant-annual"):
    """Five cadres in unit 甲 and four in unit 乙, graded under a preset, closed in Sep 2024."""
    cadres = [
        {"id": f"A{n}", "name": f"甲{n}", "unit": "甲", "post": "科员"} for n in range(1, 6)
    ] + [{"id": f"B{n}", "name": f"乙{n}", "unit": "乙", "post": "科员"} for n in range(1, 5)]
    raters = [{"id": "R1", "name": "测评人", "phone": "", "telegram": ""}]
    assignments = [("R1", row["id"], "superior") for row in cadres]
    roster = import_roster(
        session=session, rows=roster_rows(cadres, raters, assignments), name="名册", now=now
    )
    questionnaire = with_preset(ANNUAL, preset)
    return create_campaign(
        session=session,
        name="2024年度考核",
        kind="annual",
        roster_id=roster.id,
        questionnaire=questionnaire,
        opens_at=datetime(2024, 9, 2, tzinfo=UTC),
        closes_at=datetime(2024, 9, 20, tzinfo=UTC),
        now=datetime(2024, 9, 1, tzinfo=UTC),
        custody=KeyFileCustody(BOX_KEYS),
    )
