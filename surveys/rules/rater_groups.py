"""The rater groups, defined once: key, names, display order, and who may be named.

A cadre is rated by groups of people who see them from different sides:
superiors, peers, subordinates, and the public at service windows.  Roster
files, invitations and slips, the questionnaire's item groups, scoring,
the disclosure rule's tie order, the command line, the bot and every report
read the groups from ``GROUPS`` here, through the functions below, at the
time they run: so a group is added in one place and flows everywhere, and a
test may swap ``GROUPS`` for a registry of its own.

The order of ``GROUPS`` is the order every report lists groups in, and the
order the disclosure rule breaks ties by (the later group is hidden first).
"""

from __future__ import annotations

from dataclasses import dataclass

from surveys.rules.messages import N_


@dataclass(frozen=True)
class RaterGroup:
    """One rater group.

    ``aliases`` are the other names a roster file or a command may give the
    group (Chinese column values such as 上级); the key itself is accepted in
    any case.  ``named`` groups are people on the roster: they are assigned
    to cadres and get invitations or meeting slips; the public is not named,
    it rates through public QR channels only.
    """

    key: str
    label: str  # a message id: translate at the edge
    aliases: tuple[str, ...] = ()
    named: bool = True


GROUPS: tuple[RaterGroup, ...] = (
    RaterGroup("superior", N_("Superior"), ("上级",)),
    RaterGroup("peer", N_("Peer"), ("同级",)),
    RaterGroup("subordinate", N_("Subordinate"), ("下级",)),
    RaterGroup("public", N_("Public"), named=False),
)
UNKNOWN_GROUP = N_("unknown group %(group)s; use one of %(groups)s")


def group_keys() -> tuple[str, ...]:
    """Every group's key, in display order."""
    return tuple(group.key for group in GROUPS)


def named_keys() -> tuple[str, ...]:
    """The groups whose members are named on a roster and invited, in display order."""
    return tuple(group.key for group in GROUPS if group.named)


def rater_group(key: str) -> RaterGroup | None:
    """The group with this key, or None for a key no group has."""
    return next((group for group in GROUPS if group.key == key), None)


def group_order(key: str) -> int:
    """A group's place in display order; an unknown key sorts after every group."""
    keys = group_keys()
    return keys.index(key) if key in keys else len(keys)


def label_id(key: str) -> str:
    """The group's label as a message id to translate; an unknown key stays as it is."""
    group = rater_group(key)
    return group.label if group is not None else key


def named_group(text: str) -> str | None:
    """The named group a roster cell or a command option means, or None.

    Accepts a key in any case (``Peer``) or an alias (``同级``), with outer
    spaces; the public is never accepted, since no member of it is named.
    """
    wanted = text.strip()
    for group in GROUPS:
        if group.named and (wanted.lower() == group.key or wanted in group.aliases):
            return group.key
    return None


def named_choices() -> str:
    """The names a roster or a command accepts, for error messages: "superior (上级), ..."."""
    return ", ".join(
        f"{group.key} ({'/'.join(group.aliases)})" if group.aliases else group.key
        for group in GROUPS
        if group.named
    )


def roster_names() -> tuple[str, ...]:
    """What the roster template offers in its group drop-down: each named group's first
    alias (its Chinese name), else its key, in display order."""
    return tuple(
        group.aliases[0] if group.aliases else group.key for group in GROUPS if group.named
    )
