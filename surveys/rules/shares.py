"""An exact share (of votes, of people): one reading for every rule that compares one.

Shares are compared with counts, so "more than one third" must mean
3 * votes > cast; a float 0.3333 would let exactly one third through.  The
grading rules (``questionnaire``) and the early-warning thresholds
(``warnings``) read their shares here.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Annotated

from pydantic import PlainSerializer, PlainValidator


def read_share(value: object) -> Fraction:
    """Read a share exactly: 0.2, "1/3" or 1.

    Shares are compared with vote counts, so "more than one third" must mean
    3 * votes > cast; a float 0.3333 would let exactly one third through.
    """
    if isinstance(value, Fraction):
        share = value
    elif isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError("a share is a number such as 0.2 or a fraction such as 1/3")
    else:
        try:
            share = Fraction(value.strip() if isinstance(value, str) else repr(value))
        except (ValueError, ZeroDivisionError) as exc:
            raise ValueError("a share is a number such as 0.2 or a fraction such as 1/3") from exc
    if not 0 < share <= 1:
        raise ValueError("a share must be above 0 and at most 1")
    return share


# An exact share in (0, 1]; written back as "1/3" so snapshots read back the same.
Share = Annotated[Fraction, PlainValidator(read_share), PlainSerializer(str, return_type=str)]
