"""A person's profile over three campaigns on two rosters (tests/profiles_campaigns.py)."""

from __future__ import annotations

import pytest

from surveys.results.profiles import ProfileError, profile
from tests.profiles_campaigns import three_campaigns


@pytest.fixture
def campaigns(session):
    return three_campaigns(session)


def trend(found):
    return [
        (
            entry.campaign.closes_at.year,
            entry.composite,
            entry.grade,
            entry.percentile,
            dict(entry.dimensions),
        )
        for entry in found.entries
    ]


def test_trend_over_three_campaigns_follows_the_roster_id_across_rosters(session, campaigns):
    found = profile(session=session, external_id="C1")
    assert found.name == "王伟" and found.external_id == "C1"
    assert trend(found) == [
        (2024, 88.0, "competent", 75.0, {"de": 90, "neng": 80, "qin": 90, "ji": 90, "lian": 90}),
        (2025, 80.0, "competent", 25.0, {d: 80 for d in ("de", "neng", "qin", "ji", "lian")}),
        (2026, 94.5, "competent", 75.0, {"de": 90, "neng": 100, "qin": 90, "ji": 100, "lian": 90}),
    ]
    assert [e.campaign.id for e in found.entries] == [c.id for c in campaigns]
    assert list(found.dimensions) == ["de", "neng", "qin", "ji", "lian"]
    assert found.entries[0].grade_name("zh") == "称职"
    assert [e.ranked for e in found.entries] == [2, 2, 2]


def test_a_withheld_figure_stays_withheld(session, campaigns):
    found = profile(session=session, external_id="C2")
    assert trend(found) == [
        (
            2024,
            60.0,
            "basically_competent",
            25.0,
            {d: 60 for d in ("de", "neng", "qin", "ji", "lian")},
        ),
        (2025, 100.0, "competent", 75.0, {d: 100 for d in ("de", "neng", "qin", "ji", "lian")}),
        (2026, None, None, None, {}),
    ]
    assert found.entries[2].rank is None and found.entries[2].grade_name("en") == "—"


def test_the_cadre_sees_published_campaigns_only(session, campaigns):
    found = profile(session=session, external_id="C1", published_only=True)
    assert [e.campaign.closes_at.year for e in found.entries] == [2024, 2025]
    assert all(e.published for e in found.entries)
    assert profile(session=session, external_id="C3", published_only=True).entries == ()


def test_an_unknown_id_is_refused(session, campaigns):
    with pytest.raises(ProfileError) as refused:
        profile(session=session, external_id="C9")
    assert refused.value.values == {"id": "C9"}
