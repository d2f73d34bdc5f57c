"""Early warnings: the rules that flag a cadre, a campaign or a window for HR's attention.

Each rule is a pure function of figures that may be shown and a threshold,
and returns the warnings that fire (none when the rule is off, its figure
is withheld, or the figure stays within the threshold).  A warning names its
rule, its subject (a cadre by roster id, a public window, or the campaign),
the figures it rests on and the threshold, so HR sees why it fired.

The thresholds are a template's ``warnings:`` section (``WarningSettings``);
every one may be overridden, and ``null`` turns its rule off.  Defaults:

- ``composite_drop: 5``: the composite fell by at least 5 points since the
  cadre's last comparable campaign;
- ``dimension_drop: 8``: one dimension fell by at least 8 points since then;
- ``incompetent_share: 1/3``: more than a third of the votes are Incompetent
  (compared exactly, as the vote rules compare shares);
- ``integrity_minimum: 70``: the integrity dimension's score is below 70
  (``integrity_dimension``, by default the one keyed ``lian``, 廉);
- ``completion_target: 0.8`` within ``completion_hours: 72`` of the deadline:
  fewer than 80% of the named raters' assessments are done three days before
  the deadline, while the campaign is open;
- ``burst_minimum: 20``: a public window took at least 20 submissions within
  one clock hour (``surveys.setup.channels.channel_flags``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from surveys.rules.messages import N_
from surveys.rules.shares import Share

COMPOSITE_DROP = "composite_drop"
DIMENSION_DROP = "dimension_drop"
INCOMPETENT_SHARE = "incompetent_share"
INTEGRITY_LOW = "integrity_low"
COMPLETION_LOW = "completion_low"
WINDOW_BURST = "window_burst"
RULES = (COMPOSITE_DROP, DIMENSION_DROP, INCOMPETENT_SHARE, INTEGRITY_LOW, COMPLETION_LOW,
         WINDOW_BURST)  # fmt: skip
RESULT_RULES = frozenset({COMPOSITE_DROP, DIMENSION_DROP, INCOMPETENT_SHARE, INTEGRITY_LOW})
"""The rules on results: they exist only once the ballot box is opened."""

RULE_LABELS = {
    COMPOSITE_DROP: N_("Composite dropped"),
    DIMENSION_DROP: N_("Dimension dropped"),
    INCOMPETENT_SHARE: N_("Incompetent votes"),
    INTEGRITY_LOW: N_("Integrity below its threshold"),
    COMPLETION_LOW: N_("Completion below target"),
    WINDOW_BURST: N_("Burst at a public window"),
}
MESSAGES = {
    COMPOSITE_DROP: N_(
        "Composite %(score).2f, down %(drop).2f from %(before).2f in %(previous)s "
        "(warning at a drop of %(threshold)s)"
    ),
    DIMENSION_DROP: N_(
        "%(dimension)s %(score).2f, down %(drop).2f from %(before).2f in %(previous)s "
        "(warning at a drop of %(threshold)s)"
    ),
    INCOMPETENT_SHARE: N_(
        "%(votes)s of %(cast)s votes Incompetent (%(percent).1f%%), more than %(threshold)s"
    ),
    INTEGRITY_LOW: N_("%(dimension)s %(score).2f, below %(threshold)s"),
    COMPLETION_LOW: N_(
        "%(completed)s of %(assigned)s assessments done (%(percent).1f%%), below the target "
        "of %(threshold)s%%, %(hours)s hours before the deadline"
    ),
    WINDOW_BURST: N_(
        "%(count)s submissions at window %(channel)s from %(start)s to %(end)s "
        "(at least %(threshold)s within one hour)"
    ),
}

CAMPAIGN_SUBJECT = "campaign"
"""The subject key of a warning about the whole campaign (completion)."""


Points = Annotated[float, Field(gt=0, le=100, allow_inf_nan=False)]


INTEGRITY = "lian"


class WarningSettings(BaseModel):
    """A template's ``warnings:`` thresholds; ``None`` turns a rule off."""

    model_config = ConfigDict(extra="forbid")
    composite_drop: Points | None = 5.0
    dimension_drop: Points | None = 8.0
    incompetent_share: Share | None = Fraction(1, 3)
    # None: the dimension keyed ``lian`` (廉) when the questionnaire has one.
    integrity_dimension: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")] | None = None
    integrity_minimum: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)] | None = 70.0
    completion_target: Share | None = Fraction(4, 5)
    completion_hours: int = Field(default=72, ge=1, le=24 * 90)
    burst_minimum: int | None = Field(default=20, ge=1, le=100_000)


@dataclass(frozen=True)
class Subject:
    """What a warning is about: ``kind`` cadre, window or campaign; its key and its name."""

    kind: str
    key: str
    name: str


@dataclass(frozen=True)
class EarlyWarningFinding:
    """One rule that fired: on what, with which figures, against which threshold.

    ``detail`` tells apart warnings of one rule on one subject (the
    dimension, a burst's first hour); ``values`` fill the rule's message.
    """

    rule: str
    subject: Subject
    figures: dict
    threshold: str
    detail: str = ""
    values: dict = field(default_factory=dict)

    @property
    def message(self) -> str:
        """The rule's sentence (a message id; ``values`` fill it)."""
        return MESSAGES[self.rule]

    @property
    def key(self) -> str:
        """Rule, subject and detail: the same warning has the same key on every check."""
        return ":".join([self.rule, self.subject.kind, self.subject.key, self.detail])

    def fingerprint(self, campaign_id: str) -> str:
        """The warning's identity within a campaign, for sending each warning once."""
        return hashlib.sha256(f"{campaign_id}|{self.key}".encode()).hexdigest()


def _points(value: float) -> str:
    """A threshold in points as people write it (5, 7.5)."""
    return f"{value:g}"


def _fraction(value: Fraction) -> str:
    return str(value)


def composite_drop(
    subject: Subject, score: float | None, before: float | None, previous: str, threshold
) -> list[EarlyWarningFinding]:
    """The shown composite fell by at least ``threshold`` points since ``previous``."""
    if threshold is None or score is None or before is None:
        return []
    drop = round(before - score, 2)
    if drop < threshold:
        return []
    figures = {"score": round(score, 2), "before": round(before, 2), "drop": drop}
    values = figures | {"previous": previous, "threshold": _points(threshold)}
    return [EarlyWarningFinding(COMPOSITE_DROP, subject, figures, _points(threshold), "", values)]


def dimension_drops(
    subject: Subject,
    scores: dict[str, float],
    before: dict[str, float],
    previous: str,
    threshold,
) -> list[EarlyWarningFinding]:
    """Each shown dimension that fell by at least ``threshold`` points since ``previous``."""
    if threshold is None:
        return []
    found = []
    for dimension, score in scores.items():
        if dimension not in before:
            continue
        drop = round(before[dimension] - score, 2)
        if drop < threshold:
            continue
        figures = {"score": round(score, 2), "before": round(before[dimension], 2), "drop": drop}
        values = figures | {
            "dimension": dimension,
            "previous": previous,
            "threshold": _points(threshold),
        }
        found.append(
            EarlyWarningFinding(
                DIMENSION_DROP, subject, figures, _points(threshold), dimension, values
            )
        )
    return found


def incompetent_share(
    subject: Subject, votes: int | None, cast: int | None, threshold
) -> list[EarlyWarningFinding]:
    """More than ``threshold`` of the votes are Incompetent (None when the shares are
    withheld: then ``votes`` and ``cast`` are None and nothing fires)."""
    if threshold is None or votes is None or not cast:
        return []
    if not Fraction(votes, cast) > threshold:
        return []
    figures = {"votes": votes, "cast": cast}
    values = figures | {"percent": 100 * votes / cast, "threshold": _fraction(threshold)}
    return [
        EarlyWarningFinding(INCOMPETENT_SHARE, subject, figures, _fraction(threshold), "", values)
    ]


def integrity_low(
    subject: Subject, scores: dict[str, float], dimension: str | None, minimum
) -> list[EarlyWarningFinding]:
    """The integrity dimension's shown score is below ``minimum``."""
    if dimension is None or minimum is None or dimension not in scores:
        return []
    score = scores[dimension]
    if not score < minimum:
        return []
    figures = {"score": round(score, 2)}
    values = figures | {"dimension": dimension, "threshold": _points(minimum)}
    return [
        EarlyWarningFinding(INTEGRITY_LOW, subject, figures, _points(minimum), dimension, values)
    ]


def completion_low(
    subject: Subject,
    completed: int,
    assigned: int,
    deadline: datetime,
    now: datetime,
    target,
    hours: int,
) -> list[EarlyWarningFinding]:
    """Fewer than ``target`` of the named assessments are done within ``hours`` of the
    deadline (and before it)."""
    if target is None or assigned <= 0 or not (deadline - timedelta(hours=hours) <= now < deadline):
        return []
    if not Fraction(completed, assigned) < target:
        return []
    left = (deadline - now).total_seconds() / 3600
    figures = {"completed": completed, "assigned": assigned}
    threshold = f"{float(target) * 100:g}"
    values = figures | {
        "percent": 100 * completed / assigned,
        "threshold": threshold,
        "hours": f"{left:.0f}",
    }
    return [EarlyWarningFinding(COMPLETION_LOW, subject, figures, threshold + "%", "", values)]


def window_burst(
    subject: Subject, count: int, start: str, end: str, first_hour: str, minimum
) -> list[EarlyWarningFinding]:
    """A window took at least ``minimum`` submissions within one hour (an episode of such
    hours from ``start`` to ``end``, its first hour ``first_hour`` naming it)."""
    if minimum is None or count < minimum:
        return []
    figures = {"count": count, "start": start, "end": end}
    values = figures | {"channel": subject.name, "threshold": str(minimum)}
    return [EarlyWarningFinding(WINDOW_BURST, subject, figures, str(minimum), first_hour, values)]
