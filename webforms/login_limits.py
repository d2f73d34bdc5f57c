"""How failed HR sign-ins are limited, so that guessing is slow but nobody is locked out.

A limit per username alone hands an attacker a lock: ten wrong passwords
for ``admin`` from anywhere, and the real admin waits an hour.  Failures
are therefore counted in three ways, all in ``RATELIMIT_STORAGE_URI``
(Redis when several processes serve):

- per address, any username (``LOGIN_LIMIT_PER_ADDRESS``, a decorator on
  the view): one machine cannot try many accounts quickly;
- per username *and* address (``PAIR_LIMIT``): one machine cannot keep
  guessing one account;
- per username from anywhere (``ACCOUNT_ALARM``): when an account gathers
  that many failures within the hour it is under attack, and every address
  that has already failed on it gets only ``UNDER_ATTACK_PAIR_LIMIT``.

An address with no failures on the account is always let through to the
password check, so the real admin signs in from their own desk however many
addresses guess.  An attacker with many addresses still gets a few guesses
per address and hour; against that, passwords have at least 12 characters
and accounts can turn on a second factor (``surveys/setup/accounts.py``).  A wrong
second factor after a right password counts as a failure, and too many of
them (``FACTOR_LIMIT``, per account) stop second-factor checks for the
hour: only someone holding the password can cause that.
"""

from __future__ import annotations

import math
import time

from limits import parse

from webforms.security import limiter

PAIR_LIMIT = parse("10 per hour")
UNDER_ATTACK_PAIR_LIMIT = parse("2 per hour")
ACCOUNT_ALARM = parse("10 per hour")
FACTOR_LIMIT = parse("10 per hour")


def _strategy():
    """The limiter's own counting strategy, on the app's storage."""
    return limiter.limiter


def under_attack(username: str) -> bool:
    """Whether the account failed ``ACCOUNT_ALARM`` times within the hour, from anywhere."""
    return not _strategy().test(ACCOUNT_ALARM, "hr-account", username)


def wait_seconds(username: str, address: str) -> int | None:
    """How long this address must wait before trying this account again, or None to go ahead."""
    limit = UNDER_ATTACK_PAIR_LIMIT if under_attack(username) else PAIR_LIMIT
    keys = ("hr-pair", username, address)
    if _strategy().test(limit, *keys):
        return None
    reset_at, _remaining = _strategy().get_window_stats(limit, *keys)
    return max(1, math.ceil(reset_at - time.time()))


def count_failure(username: str, address: str) -> None:
    """Count one failed sign-in for the pair and for the account."""
    strategy = _strategy()
    strategy.hit(ACCOUNT_ALARM, "hr-account", username)
    strategy.hit(PAIR_LIMIT, "hr-pair", username, address)
    strategy.hit(UNDER_ATTACK_PAIR_LIMIT, "hr-pair", username, address)


def factor_allowed(username: str) -> bool:
    """Whether second-factor codes may still be tried on this account this hour."""
    return _strategy().test(FACTOR_LIMIT, "hr-factor", username)


def count_factor_failure(username: str) -> None:
    """Count a wrong second factor that followed a right password."""
    _strategy().hit(FACTOR_LIMIT, "hr-factor", username)
