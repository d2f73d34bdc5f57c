"""The linear results path gives exactly the figures of the straightforward one.

A random campaign of 50 cadres is scored, counted and ranked both ways: the
product's grouped, looked-up, bisected code, and per cadre by filtering the
whole list with the questionnaire's own methods, as the code did before.
"""

from __future__ import annotations

import random
from collections import defaultdict

import pytest

from surveys.rules.grading import count_answers
from surveys.rules.quality import to_ballot
from surveys.rules.questionnaire import load_questionnaire
from surveys.rules.ranking import RankingEntry, percentile_rank, standings
from surveys.rules.reliability import response_score
from surveys.rules.scoring import ScoredResponse, rounded, score_cadre, score_campaign, score_points


@pytest.fixture(scope="module")
def questionnaire():
    return load_questionnaire("annual").with_public_form(load_questionnaire("public-service"))


def random_campaign(questionnaire, cadres: int = 50, seed: int = 7) -> list[ScoredResponse]:
    """Responses in a random order, some answers skipped or off the scale."""
    rng = random.Random(seed)
    scale = [option.key for option in questionnaire.scale] + ["", "nonsense"]
    responses = []
    for number in range(cadres):
        for _ in range(rng.randint(0, 12)):
            group = rng.choice(["superior", "peer", "subordinate", "public"])
            answers = {
                item.key: rng.choice(scale) for item in questionnaire.items() if rng.random() < 0.9
            }
            vote = rng.choice([None, "excellent", "competent", "incompetent"])
            responses.append(ScoredResponse(f"c{number}", group, answers, vote))
    rng.shuffle(responses)
    return responses


def naive_points(questionnaire, responses):
    """Points by group and item, one questionnaire walk per answer (the old way)."""
    points = defaultdict(lambda: defaultdict(list))
    for response in responses:
        for item in questionnaire.items_for(response.group):
            value = questionnaire.points(response.answers.get(item.key, ""))
            if value is not None:
                points[response.group][item.key].append(value)
    return {group: dict(items) for group, items in points.items()}


def naive_counts(questionnaire, responses):
    scale = {option.key for option in questionnaire.scale}
    counts = defaultdict(dict)
    for response in responses:
        for item in questionnaire.items_for(response.group):
            answer = response.answers.get(item.key)
            if answer in scale:
                counts[item.key][answer] = counts[item.key].get(answer, 0) + 1
    return dict(counts)


def test_scores_and_answer_counts_match_the_per_cadre_computation(questionnaire):
    responses = random_campaign(questionnaire)
    ids = [f"c{number}" for number in range(52)]  # two without responses
    scores = score_campaign(questionnaire, ids, responses)
    for cadre_id, score in zip(ids, scores, strict=True):
        own = [r for r in responses if r.cadre_id == cadre_id]
        expected = score_points(questionnaire, cadre_id, naive_points(questionnaire, own))
        assert score.item_means == expected.item_means
        assert list(score.group_scores.items()) == list(expected.group_scores.items())
        assert score.composite == expected.composite
        assert score.dimension_scores == expected.dimension_scores
        assert score == score_cadre(questionnaire, cadre_id, own)
        assert count_answers(questionnaire, own) == naive_counts(questionnaire, own)


def test_one_responses_figures_match_the_scoring_rules(questionnaire):
    for number, response in enumerate(random_campaign(questionnaire, cadres=10)):
        points = naive_points(questionnaire, [response])
        expected = score_points(questionnaire, response.cadre_id, points)
        assert response_score(questionnaire, response) == expected.group_scores.get(response.group)
        own = points.get(response.group, {})
        ballot = to_ballot(questionnaire, str(number), response)
        assert dict(ballot.points) == {item: values[0] for item, values in own.items()}


def test_ranks_and_percentiles_match_counting_every_other_cadre():
    rng = random.Random(3)
    entries = [
        RankingEntry(f"c{n}", f"u{n % 4}", rng.choice([None, *range(60, 70)]) and rng.random())
        for n in range(200)
    ]
    entries += [RankingEntry(f"t{n}", "u0", 0.5) for n in range(5)]  # ties
    found = standings(entries)
    shown = {e.cadre_id: rounded(e.composite) for e in entries if e.composite is not None}
    for entry in entries:
        standing = found[entry.cadre_id]
        if entry.cadre_id not in shown:
            assert standing.campaign_percentile is None and standing.unit_percentile is None
            continue
        value = shown[entry.cadre_id]
        unit = [shown[e.cadre_id] for e in entries if e.unit == entry.unit and e.cadre_id in shown]
        assert standing.campaign_percentile == percentile_rank(value, list(shown.values()))
        assert standing.unit_percentile == percentile_rank(value, unit)
