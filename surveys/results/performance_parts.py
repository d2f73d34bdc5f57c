"""The performance dimension's parts as they may be shown, for reports and the CLI.

Scoring keeps both parts of the mixed dimension in ``CadreScore.performance``
(``surveys.rules.performance``); this is the one place that applies the
anonymity rule to them, from the disclosure ``shown_results`` already made:
the indicator score is HR's and always shown, the raters' part and the mixed
figure only where the dimension's overall score is.
"""

from __future__ import annotations

from surveys.results.outcomes import ShownResult
from surveys.rules.performance import PerformancePart


def shown_performance(result: ShownResult) -> PerformancePart | None:
    """The cadre's performance part as it may be shown; None if the template mixes none in."""
    part = result.score.performance
    if part is None:
        return None
    return part.shown(part.dimension in result.shown.dimension_scores)
