"""The write-ahead log attack: copies of ``cadre.db`` and ``cadre.db-wal`` taken mid-campaign.

The attacker replays the WAL commit by commit (tests/attackers.py).  Every
commit that marks an invitation completed is one submission; whatever the
same commit wrote is that rater's ballot.  On today's design (token
consumed and inbox rows written in one transaction) that links every
stored response to its rater, and every comment lies in the WAL in
plaintext.  A sealed ballot box writes only ciphertext at submission: then
the attacker must find no plaintext and link no better than chance.

OLD_DESIGN documents today's code; flip it to False when the sealed box lands.
"""

from __future__ import annotations

import random
import sqlite3

import pytest

from storage.engine import make_engine
from storage.migrate import upgrade
from tests import attackers
from tests.attack_campaign import CADRES, RESPONSES, SEED, comment_of, run_campaign

# Documents the old design (inbox rows written with the token's update); flip when the
# sealed box lands, and every assertion marked OLD_DESIGN turns into "nothing links".
OLD_DESIGN = True


@pytest.fixture
def campaign_files(tmp_path, now):
    """Run the campaign on a SQLite file; copy db+wal+shm mid-campaign and at the end.

    Returns the submission order, the mid and final copies and the truth.
    The copies are taken while the engine is open: its pooled connection
    keeps the WAL, and the campaign writes far fewer than the 1000 pages
    that trigger an automatic checkpoint, so the log holds every commit.
    """
    db = tmp_path / "live" / "cadre.db"
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    copies = {}
    try:

        def halfway():
            copies["mid"] = attackers.copy_database(db, tmp_path / "mid")

        order, truth, _raters = run_campaign(engine, now, halfway)
        final = attackers.copy_database(db, tmp_path / "final")
    finally:
        engine.dispose()
    return order, copies["mid"], final, truth


def test_wal_replay_reads_every_commit(campaign_files):
    order, _mid, final, _truth = campaign_files
    assert attackers.checkpointed_frames(final.with_name(final.name + "-shm")) == 0
    commits = attackers.wal_commits(final)
    assert commits, "the WAL holds committed transactions"
    last = commits[-1]
    # The replayed last snapshot is the database SQLite itself sees through the WAL.
    with sqlite3.connect(last.snapshot) as replayed:
        assert replayed.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        mine = replayed.execute("SELECT id, comment FROM response ORDER BY id").fetchall()
    live = sqlite3.connect(f"file:{final}?mode=ro", uri=True)
    try:
        assert live.execute("SELECT id, comment FROM response ORDER BY id").fetchall() == mine
    finally:
        live.close()
    assert len(mine) == RESPONSES
    completed = [
        commit
        for commit in commits
        if any(
            before["status"] == "pending" and after["status"] == "completed"
            for before, after in attackers.commit_diff(commit)
            .get("invitation", attackers.RowDiff())
            .changed
        )
    ]
    assert len(completed) == len(order)
    assert all(commit.pages for commit in commits)


def test_stale_frames_after_a_reset_are_ignored(tmp_path):
    """A WAL restarted after a checkpoint keeps old frames past its end; replay skips them."""
    db = tmp_path / "cadre.db"
    connection = sqlite3.connect(db)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA wal_autocheckpoint=0")
    connection.execute("CREATE TABLE t (x TEXT)")
    for n in range(5):
        connection.execute("INSERT INTO t VALUES (?)", (f"old-{n}" * 200,))
        connection.commit()
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.execute("PRAGMA journal_size_limit=-1")
    for n in range(5):  # fill the log again so it is long, then restart it with one commit
        connection.execute("INSERT INTO t VALUES (?)", (f"mid-{n}" * 200,))
        connection.commit()
    connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
    connection.execute("INSERT INTO t VALUES ('new')")  # restarts the log: new salts
    connection.commit()
    copy = attackers.copy_database(db, tmp_path / "copy")
    connection.close()
    wal = copy.with_name(copy.name + "-wal")
    page_size, frames = attackers.wal_frames(wal.read_bytes())
    assert wal.stat().st_size > attackers.WAL_HEADER + 5 * (attackers.FRAME_HEADER + page_size)
    assert len(frames) < 5  # only the restarted log's frames are valid
    commits = attackers.wal_commits(copy)
    assert len(commits) == 1
    rows = attackers.commit_rows(commits[0].snapshot, "t")
    assert sorted(row["x"][:5] for row in rows.values()).count("new") == 1
    assert len(rows) == 11
    # The stale frames are still in the WAL's raw bytes, which plaintext_anywhere reads.
    assert (
        attackers.plaintext_anywhere([wal], ["old-4"])["old-4"]
        or (attackers.plaintext_anywhere([wal], ["mid-4"])["mid-4"])
    )


def test_a_frame_with_a_bad_checksum_ends_the_log(tmp_path):
    db = tmp_path / "cadre.db"
    connection = sqlite3.connect(db)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("CREATE TABLE t (x TEXT)")
    connection.commit()
    for n in range(3):
        connection.execute("INSERT INTO t VALUES (?)", (f"row-{n}",))
        connection.commit()
    copy = attackers.copy_database(db, tmp_path / "copy")
    connection.close()
    assert len(attackers.wal_commits(copy, out_dir=tmp_path / "whole")) == 4
    wal = copy.with_name(copy.name + "-wal")
    data = bytearray(wal.read_bytes())
    page_size, frames = attackers.wal_frames(bytes(data))
    last_commit_start = max(
        i for i, f in enumerate(frames) if f.commit_size and i < len(frames) - 1
    )
    torn = attackers.WAL_HEADER + (last_commit_start + 1) * (attackers.FRAME_HEADER + page_size)
    data[torn + attackers.FRAME_HEADER + 100] ^= 0xFF  # a torn write in the last transaction
    wal.write_bytes(bytes(data))
    commits = attackers.wal_commits(copy, out_dir=tmp_path / "torn")
    assert len(commits) == 3
    rows = attackers.commit_rows(commits[-1].snapshot, "t")
    assert sorted(row["x"] for row in rows.values()) == ["row-0", "row-1"]


def test_the_wal_links_every_response_to_its_rater(campaign_files):
    order, mid, final, truth = campaign_files
    commits = attackers.wal_commits(mid) + attackers.wal_commits(final)
    last = attackers.wal_commits(final, out_dir=final.parent / "last")[-1].snapshot
    linkage = attackers.wal_link_attack(commits, last)
    responses = attackers.commit_rows(last, "response").values()
    linked = attackers.linked_fraction(linkage.claims(), truth)
    chance = attackers.chance_fraction(responses, truth)
    assert len(linkage.completions) == len(order)
    # Three superiors share one linked pattern (1 in 3), three subordinates per cadre (1 in 3).
    assert chance == pytest.approx(1 / 3)
    # OLD_DESIGN: documents the old design; flip when the sealed box lands.
    if OLD_DESIGN:
        assert linked == 1.0
        assert linkage.plaintext_rows == len(responses)
        assert linkage.raw_hits == len(responses)
    else:
        assert linked <= chance
        assert linkage.plaintext_rows == 0
        assert linkage.raw_hits == 0
    # The raw-bytes channel alone (no table read as rows) links as well: what a commit
    # changed on its pages holds the ballot's text.
    blind = attackers.wal_link_attack(commits, last, content_columns=("no such column",))
    raw_only = attackers.linked_fraction(blind.claims(), truth)
    assert blind.plaintext_rows == 0
    # OLD_DESIGN: documents the old design; flip when the sealed box lands.
    assert raw_only == 1.0 if OLD_DESIGN else raw_only <= chance


def test_the_mid_campaign_copy_alone_links_the_first_half(campaign_files):
    """Before close, inbox rows waiting for the mixer are readable rows already."""
    order, mid, final, truth = campaign_files
    last = attackers.wal_commits(final, out_dir=final.parent / "last")[-1].snapshot
    linkage = attackers.wal_link_attack(attackers.wal_commits(mid), last)
    assert len(linkage.completions) == len(order) // 2
    linked = attackers.linked_fraction(linkage.claims(), truth[: len(order) // 2])
    # OLD_DESIGN: documents the old design; flip when the sealed box lands.
    assert linked == 1.0 if OLD_DESIGN else linked == 0.0


def test_comments_lie_in_plaintext_in_the_files(campaign_files):
    order, mid, final, _truth = campaign_files
    comments = [comment_of(rater, c) for rater in order for c in CADRES]
    files = attackers.database_files(final)
    found = attackers.plaintext_anywhere(files, comments)
    planted = [c for c in comments if found[c]]
    # Each rater left a comment on each cadre it rates: 3 superiors x 2 + 6 subordinates.
    # OLD_DESIGN: documents the old design; flip when the sealed box lands.  The sealed box
    # still stores the opened responses in plaintext (that is the result), so after close
    # only the WAL *before* the opening commit must be clean: see the mid-campaign copy.
    assert len(planted) == RESPONSES
    mid_found = attackers.plaintext_anywhere(attackers.database_files(mid), comments)
    in_mid = [c for c in comments if mid_found[c]]
    if OLD_DESIGN:
        assert len(in_mid) >= len(order) // 2
    else:
        assert in_mid == []


def test_the_attack_reads_nothing_in_a_sealed_box_model(tmp_path):
    """The tooling itself, on a stand-in for the sealed box: ciphertext in, plaintext at close.

    Plain sqlite3 tables shaped like the new design: each submission consumes
    its invitation and stores random bytes; one transaction at close writes
    the responses.  The attack must find no plaintext and link nobody, so
    flipping OLD_DESIGN judges the product, not false positives of the tools.
    """
    db = tmp_path / "box.db"
    connection = sqlite3.connect(db)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.executescript(
        "CREATE TABLE invitation (id TEXT PRIMARY KEY, rater_id TEXT, status TEXT);"
        "CREATE TABLE sealedballot (id TEXT PRIMARY KEY, ciphertext BLOB);"
        'CREATE TABLE response (id TEXT PRIMARY KEY, cadre_id TEXT, "group" TEXT,'
        " answers TEXT, vote TEXT, comment TEXT, ballot_id TEXT);"
    )
    raters = [f"R{n}" for n in range(6)]
    for rater in raters:
        connection.execute("INSERT INTO invitation VALUES (?, ?, 'pending')", (rater, rater))
    connection.commit()
    rng = random.Random(SEED)
    for rater in raters:
        connection.execute("UPDATE invitation SET status = 'completed' WHERE id = ?", (rater,))
        connection.execute("INSERT INTO sealedballot VALUES (?, ?)", (rater, rng.randbytes(400)))
        connection.commit()
    opened = [
        (f"id{n}", "C1", "subordinate", f'{{"q": "{n}"}}', None, f"comment {r}", None)
        for n, r in enumerate(raters)
    ]
    rng.shuffle(opened)
    connection.executemany("INSERT INTO response VALUES (?, ?, ?, ?, ?, ?, ?)", opened)
    connection.commit()
    copy = attackers.copy_database(db, tmp_path / "copy")
    connection.close()
    commits = attackers.wal_commits(copy)
    linkage = attackers.wal_link_attack(commits, commits[-1].snapshot)
    truth = [frozenset({f"id{n}"}) for n in range(len(raters))]
    responses = attackers.commit_rows(commits[-1].snapshot, "response").values()
    assert len(linkage.completions) == len(raters)
    assert linkage.plaintext_rows == 0 and linkage.raw_hits == 0
    assert attackers.linked_fraction(linkage.claims(), truth) == 0.0
    assert attackers.chance_fraction(responses, truth) == pytest.approx(1 / 6)
    # Before the opening commit, no file state and no written page holds a comment.
    before_close = [c.snapshot.read_bytes() for c in commits[:-1]] + [c.fresh for c in commits[:-1]]
    assert attackers.plaintext_anywhere_in(before_close, [f"comment {r}" for r in raters]) == []
