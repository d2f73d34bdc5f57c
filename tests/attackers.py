"""Attacker tooling: what someone with a copy of the database files can link.

Real attacks on real files, for tests that judge the ballot design:

- SQLite: replay a copied write-ahead log commit by commit (``wal_commits``),
  read each commit's rows (``commit_rows``, ``commit_diff``), grep raw bytes
  for plaintext (``plaintext_anywhere``), and link each commit that consumed
  an invitation to what the same commit wrote (``wal_link_attack``).
- PostgreSQL: every tuple of a table, dead ones too, through ``pageinspect``
  (``pg_tuples``), live rows in transaction-id order (``xmin_order``), and
  the same linking by transaction id (``pg_link_attack``).

The linking attacks know nothing of the product's tables beyond the names
of the invitation and response tables and the response's content columns:
they look at every other table (``sqlite_master`` / ``pg_class``), so they
judge a new ballot table as well as today's inbox.  Scores compare the
attacker's claims with the truth the test knows (``linked_fraction``) and
with what a blind guess would get (``chance_fraction``).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import struct
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

WAL_MAGIC = (0x377F0682, 0x377F0683)  # the low bit: checksums over big-endian words
WAL_HEADER = 32
FRAME_HEADER = 24
# What a response says, compared between a row written at submission and a stored response.
CONTENT_COLUMNS = ("cadre_id", "group", "answers", "vote", "comment")
# Text fields searched for as raw bytes when rows cannot be read as rows.
RAW_COLUMNS = ("answers", "comment")


# --------------------------------------------------------------------------- SQLite WAL


@dataclass(frozen=True)
class Commit:
    """One transaction replayed from the WAL.

    ``snapshot`` is a standalone copy of the database as of this commit (in
    rollback-journal mode, so plain ``sqlite3`` opens it without a WAL);
    ``previous`` is the snapshot before it (the main file for the first
    commit).  ``pages`` are the page numbers the commit wrote, ``images``
    their new contents, ``frames`` the WAL frame numbers (1-based).
    """

    index: int
    snapshot: Path
    previous: Path
    pages: frozenset[int]
    images: Mapping[int, bytes]
    frames: tuple[int, ...]
    size_in_pages: int
    page_size: int
    fresh: bytes = b""  # the byte ranges of those pages that differ from before the commit

    def written_bytes(self) -> bytes:
        """Every page this commit wrote, concatenated (old cells on those pages included)."""
        return b"".join(self.images[page] for page in sorted(self.images))


CHUNK = 8
GAP = 64  # changed ranges closer than this are read as one (a cell rewritten in pieces)
SEPARATOR = b"\xff\xfe\xff\xfe"


def changed_ranges(before: bytes, after: bytes) -> bytes:
    """The parts of ``after`` that differ from ``before``, joined by a separator.

    What a commit adds to a page (new cells, rewritten ones) without what
    the page already held, so an old row on the same page is not read as
    written again.
    """
    before = before.ljust(len(after), b"\0")
    spans: list[list[int]] = []
    for start in range(0, len(after), CHUNK):
        if before[start : start + CHUNK] != after[start : start + CHUNK]:
            end = min(start + CHUNK, len(after))
            if spans and start - spans[-1][1] <= GAP:
                spans[-1][1] = end
            else:
                spans.append([start, end])
    return SEPARATOR.join(after[start:end] for start, end in spans)


def _wal_checksum(data: bytes, s0: int, s1: int, big_endian: bool) -> tuple[int, int]:
    """SQLite's WAL checksum (cumulative, over pairs of 32-bit words)."""
    words = struct.unpack((">" if big_endian else "<") + f"{len(data) // 4}I", data)
    for i in range(0, len(words), 2):
        s0 = (s0 + words[i] + s1) & 0xFFFFFFFF
        s1 = (s1 + words[i + 1] + s0) & 0xFFFFFFFF
    return s0, s1


@dataclass(frozen=True)
class WalFrame:
    number: int
    page: int
    commit_size: int  # database size in pages after a commit frame, else 0
    data: bytes


def wal_frames(wal: bytes) -> tuple[int, list[WalFrame]]:
    """The page size and the valid frames of a WAL image, up to the last valid commit.

    A frame is valid when its salts match the header's and its checksum
    continues the running checksum; the first invalid frame ends the log
    (frames left over from before a WAL reset carry old salts).  Frames
    after the last commit frame belong to no committed transaction and are
    dropped, as SQLite's recovery does.
    """
    if len(wal) < WAL_HEADER:
        return 0, []
    magic, version, page_size, _seq, salt1, salt2, ck1, ck2 = struct.unpack(">8I", wal[:WAL_HEADER])
    if magic not in WAL_MAGIC or version != 3007000:
        return 0, []
    big_endian = bool(magic & 1)
    s0, s1 = _wal_checksum(wal[:24], 0, 0, big_endian)
    if (s0, s1) != (ck1, ck2):
        return page_size, []  # a header that does not check out: the log is empty
    frames: list[WalFrame] = []
    committed = 0
    offset = WAL_HEADER
    number = 0
    while offset + FRAME_HEADER + page_size <= len(wal):
        header = wal[offset : offset + FRAME_HEADER]
        page, size, f_salt1, f_salt2, f_ck1, f_ck2 = struct.unpack(">6I", header)
        data = wal[offset + FRAME_HEADER : offset + FRAME_HEADER + page_size]
        if (f_salt1, f_salt2) != (salt1, salt2) or page == 0:
            break
        s0, s1 = _wal_checksum(header[:8], s0, s1, big_endian)
        s0, s1 = _wal_checksum(data, s0, s1, big_endian)
        if (s0, s1) != (f_ck1, f_ck2):
            break
        number += 1
        frames.append(WalFrame(number, page, size, data))
        if size:
            committed = len(frames)
        offset += FRAME_HEADER + page_size
    return page_size, frames[:committed]


def _standalone(path: Path) -> None:
    """Mark a database copy as a rollback-journal file, so it opens without its WAL."""
    with path.open("r+b") as handle:
        handle.seek(18)
        if handle.read(2) == b"\x02\x02":
            handle.seek(18)
            handle.write(b"\x01\x01")


def wal_commits(
    db_path: str | Path, wal_path: str | Path | None = None, out_dir: str | Path | None = None
) -> list[Commit]:
    """Replay a WAL onto a copy of its main file; one snapshot per committed transaction.

    ``db_path`` and ``wal_path`` (default: ``db_path`` + ``-wal``) should be
    copies taken while the database was in use.  The main file is assumed
    to hold the state before the log's first frame, which is true until a
    checkpoint copies frames back (see ``checkpointed_frames``).  Snapshots
    go to ``out_dir`` (default: a ``<name>.commits`` folder beside the copy).
    """
    db_path = Path(db_path)
    wal_path = Path(wal_path) if wal_path else db_path.with_name(db_path.name + "-wal")
    out = Path(out_dir) if out_dir else db_path.with_name(db_path.name + ".commits")
    out.mkdir(parents=True, exist_ok=True)
    wal = wal_path.read_bytes() if wal_path.exists() else b""
    page_size, frames = wal_frames(wal)
    base = out / "commit-0000.db"
    shutil.copyfile(db_path, base)
    _standalone(base)
    image = bytearray(base.read_bytes())
    commits: list[Commit] = []
    pending: dict[int, bytes] = {}
    numbers: list[int] = []
    previous = base
    for frame in frames:
        pending[frame.page] = frame.data
        numbers.append(frame.number)
        if not frame.commit_size:
            continue
        size = frame.commit_size * page_size
        if len(image) < size:
            image.extend(b"\0" * (size - len(image)))
        fresh = []
        for page, data in pending.items():
            old = bytes(image[(page - 1) * page_size : page * page_size])
            fresh.append(changed_ranges(old, data))
            image[(page - 1) * page_size : page * page_size] = data
        del image[size:]
        snapshot = out / f"commit-{len(commits) + 1:04d}.db"
        snapshot.write_bytes(image)
        _standalone(snapshot)
        commits.append(
            Commit(
                index=len(commits) + 1,
                snapshot=snapshot,
                previous=previous,
                pages=frozenset(pending),
                images=dict(pending),
                frames=tuple(numbers),
                size_in_pages=frame.commit_size,
                page_size=page_size,
                fresh=SEPARATOR.join(fresh),
            )
        )
        previous = snapshot
        pending, numbers = {}, []
    return commits


def checkpointed_frames(shm_path: str | Path) -> int:
    """How many WAL frames a checkpoint already copied into the main file (``nBackfill``).

    Read from the wal-index (``-shm``; native byte order).  Commits made of
    frames up to this number were replayed onto a main file that already
    holds newer pages, so their snapshots mix two moments; 0 means every
    snapshot is exact.
    """
    shm = Path(shm_path)
    if not shm.exists() or shm.stat().st_size < 100:
        return 0
    return struct.unpack("=I", shm.read_bytes()[96:100])[0]


def _connect(snapshot: str | Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{snapshot}?mode=ro&immutable=1", uri=True)


def tables(snapshot: str | Path) -> list[str]:
    """The ordinary tables of a database file, from ``sqlite_master``."""
    with _connect(snapshot) as connection:
        names = connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
    return sorted(name for (name,) in names)


def _without_key(row: sqlite3.Row) -> dict:
    values = dict(zip(row.keys(), tuple(row), strict=True))
    values.pop("__key")
    return values


def commit_rows(snapshot: str | Path, table: str) -> dict[object, dict]:
    """A table's rows in a snapshot, keyed by rowid (primary key for WITHOUT ROWID tables).

    Missing tables read as empty, so a table created later simply appears.
    """
    with _connect(snapshot) as connection:
        connection.row_factory = sqlite3.Row
        if table not in tables(snapshot):
            return {}
        try:
            rows = connection.execute(f'SELECT rowid AS "__key", * FROM "{table}"').fetchall()
        except sqlite3.OperationalError:  # WITHOUT ROWID
            keys = [r["name"] for r in connection.execute(f'PRAGMA table_info("{table}")') if r[5]]
            rows = connection.execute(f'SELECT * FROM "{table}"').fetchall()
            return {tuple(row[k] for k in keys): dict(row) for row in rows}
    return {row["__key"]: _without_key(row) for row in rows}


@dataclass
class RowDiff:
    """How a table's rows changed between two snapshots."""

    added: list[dict] = field(default_factory=list)
    changed: list[tuple[dict, dict]] = field(default_factory=list)  # (before, after)
    removed: list[dict] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    def written(self) -> list[dict]:
        """Rows as they stand after the change: added ones and the new side of changed ones."""
        return self.added + [after for _, after in self.changed]


def diff_rows(before: Mapping[object, dict], after: Mapping[object, dict]) -> RowDiff:
    """Rows added, changed and removed between two ``commit_rows`` readings."""
    diff = RowDiff()
    for key, row in after.items():
        if key not in before:
            diff.added.append(row)
        elif before[key] != row:
            diff.changed.append((before[key], row))
    diff.removed = [row for key, row in before.items() if key not in after]
    return diff


def commit_diff(commit: Commit) -> dict[str, RowDiff]:
    """Every table's row changes made by one commit (tables without changes left out)."""
    names = sorted(set(tables(commit.previous)) | set(tables(commit.snapshot)))
    found = {}
    for name in names:
        diff = diff_rows(commit_rows(commit.previous, name), commit_rows(commit.snapshot, name))
        if diff:
            found[name] = diff
    return found


def _needle_forms(needle: str | bytes) -> list[bytes]:
    """The byte forms a value takes on disk: UTF-8, and JSON-escaped when that differs."""
    if isinstance(needle, bytes):
        return [needle]
    forms = [needle.encode()]
    escaped = json.dumps(needle)[1:-1].encode()
    if escaped not in forms:
        forms.append(escaped)
    return forms


def plaintext_anywhere(
    paths: Iterable[str | Path], needles: Iterable[str | bytes]
) -> dict[str | bytes, list[tuple[str, int]]]:
    """Where each needle occurs in the raw bytes of the given files: (file, offset) pairs.

    Reads whole files: live and free pages, deleted cells, stale WAL
    frames, the shared-memory index.  Missing files are skipped.  Needles
    never found map to an empty list.
    """
    blobs = [(str(p), Path(p).read_bytes()) for p in paths if Path(p).exists()]
    found: dict[str | bytes, list[tuple[str, int]]] = {}
    for needle in needles:
        hits = []
        for form in _needle_forms(needle):
            for name, blob in blobs:
                start = blob.find(form)
                while start != -1:
                    hits.append((name, start))
                    start = blob.find(form, start + 1)
        found[needle] = hits
    return found


def plaintext_anywhere_in(blobs: Iterable[bytes], needles: Iterable[str | bytes]) -> list:
    """The needles found (in any of their byte forms) in any of the given byte strings."""
    blobs = list(blobs)
    return [
        needle
        for needle in needles
        if any(form in blob for form in _needle_forms(needle) for blob in blobs)
    ]


def database_files(db_path: str | Path) -> list[Path]:
    """The main file, its WAL and its shared-memory index (those that exist)."""
    db_path = Path(db_path)
    candidates = [db_path, *(db_path.with_name(db_path.name + s) for s in ("-wal", "-shm"))]
    return [path for path in candidates if path.exists()]


def copy_database(db_path: str | Path, target_dir: str | Path) -> Path:
    """Copy a live database's main file, WAL and index as an attacker would; return the copy.

    The WAL is copied before the main file, so a checkpoint in between could
    only make the main file newer, never leave frames unaccounted for.
    """
    db_path, target = Path(db_path), Path(target_dir)
    target.mkdir(parents=True, exist_ok=True)
    for suffix in ("-wal", "-shm", ""):
        source = db_path.with_name(db_path.name + suffix)
        if source.exists():
            shutil.copyfile(source, target / (db_path.name + suffix))
    return target / db_path.name


# --------------------------------------------------------------------------- linking


def _normal(value):
    """A value compared by meaning: JSON text parsed, so key order and spacing don't matter."""
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.dumps(json.loads(value), sort_keys=True)
        except ValueError:
            return value
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return value


def _content(row: Mapping, columns: Sequence[str]) -> tuple | None:
    """The row's content columns, normalised; None when the row lacks any of them."""
    if not all(column in row for column in columns):
        return None
    return tuple(_normal(row[column]) for column in columns)


@dataclass
class Completion:
    """One consumed invitation and what the attacker found written with it."""

    position: int  # 0-based, in the order the attacker saw invitations consumed
    invitation: dict
    rows: dict[str, list[dict]]  # table -> rows written by the same transaction
    raw: bytes  # raw bytes written by the same transaction (pages, or tuple data)
    claimed: frozenset = frozenset()  # response ids the attacker links to this rater


@dataclass
class Linkage:
    """The attacker's result: one completion per consumed invitation, in order seen."""

    completions: list[Completion]
    plaintext_rows: int  # rows written at submission whose content equals a stored response
    raw_hits: int  # stored responses whose text fields all appear in a submission's bytes

    def claims(self) -> list[frozenset]:
        """The response ids linked to each completion, in the order seen."""
        return [completion.claimed for completion in self.completions]


def _responses(rows: Iterable[dict]) -> list[dict]:
    return [row for row in rows if row.get("id") is not None]


def _link(
    completions: list[Completion],
    responses: list[dict],
    content_columns: Sequence[str],
    raw_columns: Sequence[str],
) -> Linkage:
    """Link each completion to the stored responses whose content it wrote.

    Two channels: rows written by the same transaction whose content
    columns equal a response's; and, for responses no row matched, every
    non-empty text field of the response found in the raw bytes the
    transaction wrote, credited to the first completion that holds them
    (a later one may only have moved the cell, as a B-tree page split
    does).  A response that rows tie to more than one completion
    (identical answers) goes to none of them: the attacker cannot tell.
    ``completions`` must be in the order the transactions happened.
    """
    by_content: dict[tuple, list[str]] = defaultdict(list)
    for response in responses:
        by_content[_content(response, content_columns)].append(response["id"])
    candidates: dict[int, set[str]] = defaultdict(set)
    plaintext_rows = 0
    for completion in completions:
        for rows in completion.rows.values():
            for row in rows:
                key = _content(row, content_columns)
                if key is not None and key in by_content:
                    plaintext_rows += 1
                    candidates[completion.position].update(by_content[key])
    matched = {response_id for ids in candidates.values() for response_id in ids}
    raw_hits = 0
    for response in responses:
        texts = [response[c] for c in raw_columns if isinstance(response.get(c), str | dict)]
        texts = [json.dumps(t) if isinstance(t, dict) else t for t in texts]
        forms = [_needle_forms(text) for text in texts if text]
        if not forms:
            continue
        for completion in completions:  # in the order seen: the first is the writer
            if all(any(form in completion.raw for form in options) for options in forms):
                raw_hits += 1
                if response["id"] not in matched:
                    candidates[completion.position].add(response["id"])
                break
    owners: dict[str, set[int]] = defaultdict(set)
    for position, ids in candidates.items():
        for response_id in ids:
            owners[response_id].add(position)
    for completion in completions:
        completion.claimed = frozenset(
            response_id
            for response_id in candidates.get(completion.position, ())
            if len(owners[response_id]) == 1
        )
    return Linkage(completions, plaintext_rows, raw_hits)


def wal_link_attack(
    commits: Sequence[Commit],
    final_db: str | Path,
    *,
    invitation_table: str = "invitation",
    response_table: str = "response",
    status_column: str = "status",
    completed: str = "completed",
    content_columns: Sequence[str] = CONTENT_COLUMNS,
    raw_columns: Sequence[str] = RAW_COLUMNS,
) -> Linkage:
    """Link raters to stored responses through the commits that consumed their invitations.

    For each replayed commit in which an invitation turned ``completed``,
    collect every row that commit added or changed in any other table and
    the bytes it changed on its pages (``Commit.fresh``); then match them to the responses stored in
    ``final_db`` (a standalone database file, e.g. the last snapshot).
    ``commits`` may join replays of several copies (mid-campaign and final):
    an invitation seen twice counts once.
    """
    completions: list[Completion] = []
    seen: set = set()
    for commit in commits:
        changes = commit_diff(commit)
        consumed = [
            after
            for before, after in getattr(changes.get(invitation_table), "changed", [])
            if before.get(status_column) != completed and after.get(status_column) == completed
        ]
        consumed += [
            row
            for row in getattr(changes.get(invitation_table), "added", [])
            if row.get(status_column) == completed
        ]
        written = {
            name: diff.written() for name, diff in changes.items() if name != invitation_table
        }
        for invitation in consumed:
            key = invitation.get("id") or tuple(sorted(invitation.items()))
            if key in seen:  # the same commit replayed from an earlier and a later copy
                continue
            seen.add(key)
            completions.append(Completion(len(completions), invitation, written, commit.fresh))
    responses = _responses(commit_rows(final_db, response_table).values())
    return _link(completions, responses, content_columns, raw_columns)


def linked_fraction(claims: Sequence[frozenset], truth: Sequence[frozenset]) -> float:
    """Share of raters whose responses the attacker named exactly (claims and truth aligned)."""
    if not truth:
        return 0.0
    right = sum(1 for claim, real in zip(claims, truth, strict=False) if claim and claim == real)
    return right / len(truth)


def chance_fraction(
    responses: Iterable[Mapping],
    truth: Sequence[frozenset],
    columns: Sequence[str] = ("cadre_id", "group"),
    link_column: str = "ballot_id",
) -> float:
    """The expected share a blind guesser links, knowing only what the stored rows say.

    A rater's rows that share one non-empty link (``ballot_id``) are guessed
    together among the links covering the same cadres and groups; other
    rows each among the rows of their cadre and group.
    """
    responses = list(responses)
    sizes: dict[tuple, int] = defaultdict(int)
    linked: dict[object, set[tuple]] = defaultdict(set)
    for row in responses:
        sizes[tuple(row[c] for c in columns)] += 1
        if row.get(link_column):
            linked[row[link_column]].add(tuple(row[c] for c in columns))
    patterns: dict[frozenset, int] = defaultdict(int)
    for cells in linked.values():
        patterns[frozenset(cells)] += 1
    by_id = {row["id"]: row for row in responses}
    total = 0.0
    for real in truth:
        if not real:
            continue
        links = {by_id[response_id].get(link_column) for response_id in real}
        if len(links) == 1 and None not in links and "" not in links:
            total += 1 / patterns[frozenset(linked[links.pop()])]
            continue
        odds = 1.0
        for response_id in real:
            odds /= sizes[tuple(by_id[response_id][c] for c in columns)]
        total += odds
    return total / len(truth) if truth else 0.0


# --------------------------------------------------------------------------- PostgreSQL


def _pg(url: str) -> psycopg.Connection:
    """A plain psycopg connection (autocommit) for a SQLAlchemy or libpq URL."""
    url = url.replace("postgresql+psycopg://", "postgresql://", 1)
    return psycopg.connect(url, autocommit=True)


def ensure_pageinspect(url: str) -> None:
    """Install ``pageinspect`` in the database (needs a superuser, as a real attacker has)."""
    with _pg(url) as connection:
        connection.execute("CREATE EXTENSION IF NOT EXISTS pageinspect")


@dataclass(frozen=True)
class PgTuple:
    """One heap tuple as ``pageinspect`` shows it, live or dead."""

    table: str
    ctid: tuple[int, int]
    xmin: int
    xmax: int
    live: bool  # a live row's current version (``SELECT ctid`` sees it)
    data: bytes  # raw t_data
    attrs: dict[str, bytes | None]  # column -> raw attribute bytes (varlena header included)
    varlena: frozenset[str] = frozenset()  # columns of variable length (text, json, bytea)

    def text(self, column: str) -> str | None:
        """A text/varchar/json column's value decoded from its raw bytes (uncompressed).

        Fixed-length columns (integers, booleans, times) come back as hex.
        """
        raw = self.attrs.get(column)
        if raw is None:
            return None
        if column not in self.varlena:
            return raw.hex()
        # A 1-byte header holds length << 1 | 1; a 4-byte one (little-endian) length << 2.
        short = raw[0] & 0x01
        body = raw[1 : raw[0] >> 1] if short else raw[4 : struct.unpack("<I", raw[:4])[0] >> 2]
        return body.decode(errors="replace")

    def row(self) -> dict[str, str | None]:
        """Every column decoded as text (fine for the varchar/json ballot columns)."""
        return {column: self.text(column) for column in self.attrs}


def pg_tables(url: str) -> list[str]:
    """The ordinary tables of the public schema."""
    with _pg(url) as connection:
        rows = connection.execute(
            "SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY relname"
        ).fetchall()
    return [name for (name,) in rows]


def pg_tuples(url: str, table: str) -> list[PgTuple]:
    """Every tuple stored in a table's heap pages, including dead ones not yet vacuumed."""
    ensure_pageinspect(url)
    with _pg(url) as connection:
        described = connection.execute(
            "SELECT attname, attlen FROM pg_attribute WHERE attrelid = %s::regclass"
            " AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
            (table,),
        ).fetchall()
        columns = [name for name, _ in described]
        varlena = frozenset(name for name, length in described if length == -1)
        live = {
            tuple(int(part) for part in ctid.strip("()").split(","))
            for (ctid,) in connection.execute(f'SELECT ctid::text FROM "{table}"')
        }
        pages = connection.execute(
            "SELECT pg_relation_size(%s::regclass) / current_setting('block_size')::int",
            (table,),
        ).fetchone()[0]
        found = []
        for page in range(pages):
            items = connection.execute(
                "SELECT lp, t_xmin::text::bigint, t_xmax::text::bigint, t_data,"
                " tuple_data_split(%s::regclass, t_data, t_infomask, t_infomask2, t_bits)"
                " FROM heap_page_items(get_raw_page(%s, %s)) WHERE t_data IS NOT NULL",
                (table, table, page),
            ).fetchall()
            for lp, xmin, xmax, data, split in items:
                values = [bytes(a) if a is not None else None for a in split]
                # Tuples written before an ADD COLUMN hold fewer attributes: zip to the shorter.
                attrs = dict(zip(columns, values, strict=False))
                found.append(
                    PgTuple(
                        table,
                        (page, lp),
                        xmin,
                        xmax,
                        (page, lp) in live,
                        bytes(data),
                        attrs,
                        varlena,
                    )
                )
    return found


def pg_raw_pages(url: str, table: str) -> list[bytes]:
    """A table's raw heap pages: free space and vacuumed tuples' leftovers included."""
    ensure_pageinspect(url)
    with _pg(url) as connection:
        pages = connection.execute(
            "SELECT pg_relation_size(%s::regclass) / current_setting('block_size')::int",
            (table,),
        ).fetchone()[0]
        return [
            bytes(connection.execute("SELECT get_raw_page(%s, %s)", (table, n)).fetchone()[0])
            for n in range(pages)
        ]


def xmin_order(url: str, table: str, where: str = "TRUE") -> list[tuple[int, dict]]:
    """A table's live rows as (xmin, row), ordered by the transaction that wrote them."""
    with _pg(url) as connection:
        cursor = connection.execute(
            f'SELECT xmin::text::bigint AS "__xmin", * FROM "{table}" WHERE {where}'
            " ORDER BY xmin::text::bigint, ctid"
        )
        names = [column.name for column in cursor.description]
        return [(row[0], dict(zip(names[1:], row[1:], strict=True))) for row in cursor]


def pg_rows_as_text(url: str, table: str) -> list[dict[str, str | None]]:
    """A table's live rows with every column as PostgreSQL prints it (JSON as stored text)."""
    with _pg(url) as connection:
        columns = [
            name
            for (name,) in connection.execute(
                "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass"
                " AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
                (table,),
            )
        ]
        listing = ", ".join(f'"{column}"::text' for column in columns)
        rows = connection.execute(f'SELECT {listing} FROM "{table}"').fetchall()
    return [dict(zip(columns, row, strict=True)) for row in rows]


def pg_link_attack(
    url: str,
    *,
    invitation_table: str = "invitation",
    response_table: str = "response",
    status_column: str = "status",
    completed: str = "completed",
    content_columns: Sequence[str] = CONTENT_COLUMNS,
    raw_columns: Sequence[str] = RAW_COLUMNS,
) -> Linkage:
    """Link consumed invitations to stored responses by transaction id.

    Completed invitations in xmin order give the submission order; every
    tuple (dead ones too, until VACUUM) of every other table with the same
    xmin is what that submission wrote.  Those tuples are matched to the
    live responses by content and by raw bytes.
    """
    invitations = xmin_order(url, invitation_table, f"{status_column} = '{completed}'")
    written: dict[int, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    raw: dict[int, list[bytes]] = defaultdict(list)
    xids = {xmin for xmin, _ in invitations}
    for table in pg_tables(url):
        if table == invitation_table:
            continue
        for item in pg_tuples(url, table):
            if item.xmin in xids:
                written[item.xmin][table].append(item.row())
                raw[item.xmin].append(item.data)
    completions = [
        Completion(position, invitation, dict(written[xmin]), b"".join(raw[xmin]))
        for position, (xmin, invitation) in enumerate(invitations)
    ]
    responses = pg_rows_as_text(url, response_table)
    return _link(completions, responses, content_columns, raw_columns)
