"""The write-ahead log attack: copies of ``cadre.db`` and ``cadre.db-wal`` taken mid-campaign.

The attacker replays the WAL commit by commit (tests/attackers.py).  Every
commit that marks an invitation completed is one submission; whatever the
same commit wrote is that rater's ballot.  With the sealed box that is a
padded ciphertext: the attacker finds no plaintext before the opening and
links no better than chance after it.  (On the old inbox design the same
attack linked 12 of 12 responses and found every comment in the WAL.)

Copies are taken three times: half-way, once every ballot is in (box still
sealed), and after the opening, which checkpoints and truncates the WAL and
vacuums the file: the sealed rows' bytes are gone from disk.
"""

from __future__ import annotations

import random
import sqlite3

import pytest

from storage.engine import make_engine
from storage.migrate import upgrade
from tests import attackers
from tests.attack_campaign import CADRES, RESPONSES, SEED, comment_of, run_campaign


@pytest.fixture
def campaign_files(tmp_path, now):
    """Run the campaign on a SQLite file; copy db+wal+shm half-way, sealed, and opened.

    Returns the submission order, the three copies and the truth.  The
    copies are taken while the engine is open: its pooled connection keeps
    the WAL, and the campaign writes far fewer than the 1000 pages that
    trigger an automatic checkpoint, so the log holds every commit.
    """
    db = tmp_path / "live" / "cadre.db"
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    copies = {}
    try:

        def halfway():
            copies["mid"] = attackers.copy_database(db, tmp_path / "mid")

        def sealed():
            copies["sealed"] = attackers.copy_database(db, tmp_path / "sealed")

        order, truth, _raters = run_campaign(engine, now, halfway, sealed)
        final = attackers.copy_database(db, tmp_path / "final")
    finally:
        engine.dispose()
    return order, copies["mid"], copies["sealed"], final, truth


def test_wal_replay_reads_every_commit(campaign_files):
    order, _mid, sealed, _final, _truth = campaign_files
    assert attackers.checkpointed_frames(sealed.with_name(sealed.name + "-shm")) == 0
    commits = attackers.wal_commits(sealed)
    assert commits, "the WAL holds committed transactions"
    with sqlite3.connect(commits[-1].snapshot) as replayed:
        assert replayed.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        stored = replayed.execute("SELECT count(*) FROM sealedballot").fetchone()[0]
        assert replayed.execute("SELECT count(*) FROM response").fetchone()[0] == 0
    assert stored == len(order)
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


def test_the_wal_links_no_response_to_its_rater(campaign_files):
    order, mid, sealed, final, truth = campaign_files
    commits = attackers.wal_commits(mid) + attackers.wal_commits(sealed)
    linkage = attackers.wal_link_attack(commits, final)
    responses = attackers.commit_rows(final, "response").values()
    assert len(responses) == RESPONSES
    linked = attackers.linked_fraction(linkage.claims(), truth)
    chance = attackers.chance_fraction(responses, truth)
    assert len(linkage.completions) == len(order)  # the attacker sees every submission...
    # ...but what each wrote is ciphertext: no row matches a response, no byte holds its text.
    assert linkage.plaintext_rows == 0
    assert linkage.raw_hits == 0
    # Three superiors share one linked pattern (1 in 3), three subordinates per cadre (1 in 3).
    assert chance == pytest.approx(1 / 3)
    assert linked <= chance
    blind = attackers.wal_link_attack(commits, final, content_columns=("no such column",))
    assert attackers.linked_fraction(blind.claims(), truth) <= chance


def test_no_copy_before_the_opening_holds_a_comment_and_none_after_holds_a_sealed_row(
    campaign_files,
):
    order, mid, sealed, final, _truth = campaign_files
    comments = [comment_of(rater, c) for rater in order for c in CADRES]
    for copy in (mid, sealed):
        files = attackers.database_files(copy)
        assert not any(attackers.plaintext_anywhere(files, comments).values())
        commits = attackers.wal_commits(copy)
        pages = [c.snapshot.read_bytes() for c in commits] + [c.written_bytes() for c in commits]
        assert attackers.plaintext_anywhere_in(pages, comments) == []
    # After the opening the comments are in the responses (that is the result)...
    found = attackers.plaintext_anywhere(attackers.database_files(final), comments)
    assert len([c for c in comments if found[c]]) == RESPONSES
    # ...and the WAL was truncated and the file vacuumed: no sealed ballot's bytes remain
    # to be matched with its invitation by someone who later learns the key.
    wal = final.with_name(final.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    with sqlite3.connect(sealed) as before:
        ciphertexts = [row[0] for row in before.execute("SELECT ciphertext FROM sealedballot")]
    everything = b"".join(path.read_bytes() for path in attackers.database_files(final))
    assert len(ciphertexts) == len(order)
    assert not any(ciphertext[100:164] in everything for ciphertext in ciphertexts)


def test_the_attack_reads_nothing_in_a_sealed_box_model(tmp_path):
    """The tooling itself, on a stand-in for the sealed box: ciphertext in, plaintext at close.

    Plain sqlite3 tables shaped like the new design: each submission consumes
    its invitation and stores random bytes; one transaction at close writes
    the responses.  The attack must find no plaintext and link nobody, so the
    tests above judge the product, not false positives of the tools.
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
