"""The anonymity threshold: what may be shown of a cadre's figures, and of comments.

Weights are the annual template's: superior 30, peer 20, subordinate 30, public 20.
Scores are made by hand so that every figure below can be checked on paper.
"""

from __future__ import annotations

import random

import pytest

from surveys.rules.disclosure import (
    COMMENTS_WITHHELD,
    DIMENSION_WITHHELD,
    FEWER_THAN_K,
    FOLDED,
    OTHER,
    TAKEN_OFF,
    TOO_FEW,
    Disclosure,
    Note,
    disclose,
    disclose_comments,
)
from surveys.rules.scoring import CadreScore, weighted_mean

WEIGHTS = {"superior": 30, "peer": 20, "subordinate": 30, "public": 20}


def cadre(**groups: tuple[int, float]) -> CadreScore:
    """A score from (responses, group score) per group; one dimension, de, equal to the score."""
    score = CadreScore(cadre_id="C1")
    for group, (count, value) in groups.items():
        score.responses[group] = count
        score.group_scores[group] = value
        score.dimension_means[group] = {"de": value}
    score.composite = weighted_mean(score.group_scores, WEIGHTS)
    score.dimension_scores = {"de": score.composite}
    return score


def attack(shown: Disclosure, responded: list[str]) -> dict[str, float]:
    """What an attacker who knows the weights and who responded can work out.

    Total weight times the composite, less every shown line times its weight,
    leaves the weighted sum of the groups not shown; with one such group left
    its score follows.
    """
    if shown.composite is None:
        return {}
    known = {group: value for group, value in shown.groups.items() if group != OTHER}
    folded = shown.folded if OTHER in shown.groups else []
    unknown = [group for group in responded if group not in known and group not in folded]
    if len(unknown) != 1:
        return {}
    total = sum(WEIGHTS[group] for group in responded)
    remainder = shown.composite * total - sum(WEIGHTS[g] * v for g, v in known.items())
    if folded:
        remainder -= shown.groups[OTHER] * sum(WEIGHTS[group] for group in folded)
    return {unknown[0]: remainder / WEIGHTS[unknown[0]]}


def naive(score: CadreScore, k: int = 3) -> Disclosure:
    """Hide small groups and nothing else: the rule this module exists to improve on."""
    groups = {g: v for g, v in score.group_scores.items() if score.responses[g] >= k}
    hidden = [g for g in score.group_scores if g not in groups]
    return Disclosure(groups, {}, hidden, [], score.composite, {}, {}, [])


def test_groups_with_k_responses_are_shown_alone():
    score = cadre(superior=(3, 90), peer=(5, 80), subordinate=(12, 70))
    shown = disclose(score, WEIGHTS)
    assert shown.groups == {"superior": 90, "peer": 80, "subordinate": 70}
    assert shown.counts == {"superior": 3, "peer": 5, "subordinate": 12}
    assert shown.hidden == [] and shown.folded == [] and shown.notes == []
    # (90 * 30 + 80 * 20 + 70 * 30) / 80 = 6400 / 80 = 80
    assert shown.composite == 80
    assert shown.dimensions == {
        "superior": {"de": 90},
        "peer": {"de": 80},
        "subordinate": {"de": 70},
    }
    assert shown.dimension_scores == {"de": 80}


@pytest.mark.parametrize("public", [1, 2])
def test_a_small_group_is_never_derivable_from_the_composite(public):
    score = cadre(superior=(3, 90), peer=(5, 80), subordinate=(12, 70), public=(public, 40))
    # The naive rule hides the public line, yet the composite gives it away:
    #   composite = (90*30 + 80*20 + 70*30 + 40*20) / 100 = 72;  72*100 - 6400 = 800 = 40 * 20.
    responded = ["superior", "peer", "subordinate", "public"]
    assert attack(naive(score), responded) == {"public": pytest.approx(40)}

    shown = disclose(score, WEIGHTS)
    assert attack(shown, responded) == {}
    # The superiors, the smallest group shown, join the public as "other raters":
    #   (90 * 30 + 40 * 20) / 50 = 3500 / 50 = 70, from 3 + public responses.
    assert shown.groups == {"peer": 80, "subordinate": 70, OTHER: pytest.approx(70)}
    assert shown.counts == {"peer": 5, "subordinate": 12, OTHER: 3 + public}
    assert shown.hidden == ["superior", "public"] and shown.folded == ["superior", "public"]
    assert shown.composite == pytest.approx(72)
    assert shown.notes == [
        Note(FEWER_THAN_K, {"group": "public", "count": public, "k": 3}),
        Note(TAKEN_OFF, {"group": "superior"}),
        Note(FOLDED, {"group": "superior"}),
        Note(FOLDED, {"group": "public"}),
    ]


@pytest.mark.parametrize("public", [1, 2])
def test_two_worlds_with_different_public_scores_look_the_same(public):
    """The attack fails for certain: another public score gives exactly the same output.

    Superiors 80 with public 60 and superiors 70 with public 75 both weigh in at
    30 * 80 + 20 * 60 = 30 * 70 + 20 * 75 = 3600.
    """
    one = cadre(superior=(3, 80), peer=(5, 80), subordinate=(12, 70), public=(public, 60))
    two = cadre(superior=(3, 70), peer=(5, 80), subordinate=(12, 70), public=(public, 75))
    first, second = disclose(one, WEIGHTS), disclose(two, WEIGHTS)
    assert first.composite == pytest.approx(second.composite)
    assert first.groups == pytest.approx(second.groups)
    assert first.counts == second.counts


def test_a_group_of_k_is_shown_and_needs_no_cover():
    score = cadre(superior=(3, 90), peer=(5, 80), subordinate=(12, 70), public=(3, 40))
    shown = disclose(score, WEIGHTS)
    assert shown.groups == {"superior": 90, "peer": 80, "subordinate": 70, "public": 40}
    assert shown.hidden == [] and OTHER not in shown.groups
    # Three public responses are shown anyway: there is nothing hidden to work out.
    assert attack(shown, ["superior", "peer", "subordinate", "public"]) == {}


def test_small_groups_adding_up_to_k_make_the_other_line():
    # Peers 1 and public 2: 3 responses together, shown as other raters without cover.
    score = cadre(superior=(4, 90), peer=(1, 60), subordinate=(12, 70), public=(2, 90))
    shown = disclose(score, WEIGHTS)
    # (60 * 20 + 90 * 20) / 40 = 75
    assert shown.groups == {"superior": 90, "subordinate": 70, OTHER: pytest.approx(75)}
    assert shown.counts[OTHER] == 3
    assert shown.folded == ["peer", "public"]
    assert attack(shown, ["superior", "peer", "subordinate", "public"]) == {}


def test_two_single_responses_are_not_a_crowd():
    # Peers 1 and public 1: their weighted sum is a figure of two people, so the
    # smallest shown group (superiors, 4) joins them.
    score = cadre(superior=(4, 90), peer=(1, 60), subordinate=(12, 70), public=(1, 90))
    shown = disclose(score, WEIGHTS)
    assert set(shown.groups) == {"subordinate", OTHER}
    assert shown.counts[OTHER] == 6
    assert shown.folded == ["superior", "peer", "public"]


def test_tie_for_the_smallest_shown_group_goes_to_the_later_group():
    # Superiors and subordinates both have 3: subordinates (later in the order) are taken off.
    score = cadre(superior=(3, 90), peer=(5, 80), subordinate=(3, 70), public=(1, 40))
    shown = disclose(score, WEIGHTS)
    assert shown.folded == ["subordinate", "public"]
    assert set(shown.groups) == {"superior", "peer", OTHER}


def test_fewer_than_k_in_all_shows_nothing():
    score = cadre(superior=(1, 90), peer=(1, 80))
    shown = disclose(score, WEIGHTS)
    assert shown.groups == {} and shown.composite is None and shown.dimension_scores == {}
    assert shown.hidden == ["superior", "peer"]
    assert shown.notes == [Note(TOO_FEW, {"k": 3})]
    # One group with 2 responses: its score would be the composite itself.
    assert disclose(cadre(subordinate=(2, 70)), WEIGHTS).composite is None


def test_all_groups_small_but_k_together():
    score = cadre(superior=(1, 90), peer=(2, 60))
    shown = disclose(score, WEIGHTS)
    # (90 * 30 + 60 * 20) / 50 = 78, the composite itself: nothing new is revealed.
    assert shown.groups == {OTHER: pytest.approx(78)}
    assert shown.composite == pytest.approx(78)


def test_k_is_the_campaigns():
    score = cadre(superior=(3, 90), peer=(5, 80), subordinate=(12, 70))
    shown = disclose(score, WEIGHTS, k=5)
    assert set(shown.groups) == {"subordinate", OTHER}
    # Superiors (3 < 5) alone would be derivable, so peers (5, the fewest shown) join them.
    assert shown.folded == ["superior", "peer"]
    assert shown.counts[OTHER] == 8


def test_dimension_figures_follow_the_same_rule():
    # Only the public answers "fw" (service); subordinates answer "de" only.
    score = cadre(superior=(3, 90), subordinate=(12, 70), public=(2, 40))
    score.dimension_means["public"] = {"de": 50, "fw": 30}
    score.dimension_scores = {"de": 70, "fw": 30}
    shown = disclose(score, WEIGHTS)
    assert shown.folded == ["superior", "public"]
    # The other line's "de" rests on 3 + 2 responses; its "fw" on the public's 2 only.
    assert shown.dimensions[OTHER] == {"de": pytest.approx((90 * 30 + 50 * 20) / 50)}
    # The overall "fw" is the public's own figure: withheld.  "de" is not (5 behind it).
    assert shown.dimension_scores == {"de": 70}
    assert Note(DIMENSION_WITHHELD, {"dimension": "fw", "k": 3}) in shown.notes


# --- comments -------------------------------------------------------------------------------


def test_comments_below_comment_k_are_withheld():
    comments = ["好", "很好", None, "   ", "继续努力"]  # three real comments
    shown = disclose_comments(comments)
    assert shown.comments == [] and shown.count == 3
    assert shown.note == Note(COMMENTS_WITHHELD, {"k": 5})  # no count: it would say who wrote


def test_comments_at_comment_k_are_all_shown_shuffled():
    comments = [f"意见{n}" for n in range(8)]
    shown = disclose_comments(comments, 5, shuffler=random.Random(7))
    assert sorted(shown.comments) == sorted(comments) and shown.note is None
    assert shown.comments != comments  # seeded: this shuffle moves them
    assert disclose_comments(comments[:5]).count == 5


def test_comment_order_comes_from_system_randomness_by_default(monkeypatch):
    used = []

    class Recording(random.SystemRandom):
        def shuffle(self, values):
            used.append(list(values))
            values.reverse()

    monkeypatch.setattr("surveys.rules.disclosure.random.SystemRandom", Recording)
    shown = disclose_comments(["一", "二", "三", "四", "五"])
    assert used == [["一", "二", "三", "四", "五"]]
    assert shown.comments == ["五", "四", "三", "二", "一"]
