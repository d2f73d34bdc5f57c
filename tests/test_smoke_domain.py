"""A first end-to-end pass through the domain, without the web."""

import pytest

from surveys.collection.ballots import BallotUnavailable, CadreAnswers, open_ballot, submit_ballot
from surveys.results.summaries import campaign_results
from surveys.setup.invitations import named_links
from tests.factories import SECRET, make_campaign, open_boxes


def test_named_rater_submits_once(session, now):
    campaign = make_campaign(session, now=now)
    links = named_links(session=session, campaign=campaign, secret_key=SECRET, base_url="http://x")
    token = links[0].url.rsplit("/", 1)[1]
    form = open_ballot(session=session, token=token, now=now)
    answers = {}
    for section in form.sections:
        items = {item.key: "good" for d in section.dimensions for item in d.items}
        answers[section.cadre.id] = CadreAnswers(items=items, vote="excellent")
    assert submit_ballot(session=session, token=token, answers=answers, now=now) == 2
    session.commit()
    with pytest.raises(BallotUnavailable) as refused:
        submit_ballot(session=session, token=token, answers=answers, now=now)
    assert refused.value.reason == "used"
    open_boxes(session)
    results = campaign_results(session=session, campaign=campaign)
    assert [r.score.composite for r in results] == [100.0, 100.0]
