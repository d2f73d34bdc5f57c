"""Files the HR console holds on the server between two requests, then forgets.

Two steps of setting up a campaign need a file that must not travel back
through the browser:

- a roster upload is previewed first and stored only when HR confirms; the
  confirm step reads the very bytes that were previewed, kept here, so a
  client cannot swap in other rows after the check;
- the scrutineers' share cards are printed when the campaign is created and
  may be downloaded exactly once; then they are deleted here.

Each holding is a folder named by a random id (``secrets.token_urlsafe``),
owner-only, under ``HELD_FILES`` (default: ``cadre-held`` in the system's
temporary folder).  The id is remembered in the signed session cookie of
the HR account that made it and checked on return, so another account, or
the same account in another browser, cannot fetch it even with the id.
Holdings expire after ``HELD_FOR``; every new holding sweeps expired ones.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import tempfile
import time
from pathlib import Path

from flask import current_app, session

from webforms.admin.hr_auth import SESSION_USER

# Long enough to read a preview and click Confirm, short enough that shares
# and rosters with phone numbers do not linger on the disk.
HELD_FOR = 3600
ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{20,64}")
# The file in each holding that says when it was made (a name no upload can take).
STAMP = ".held-at"


def held_root() -> Path:
    """The folder of all holdings (app config ``HELD_FILES``), created owner-only."""
    configured = current_app.config.get("HELD_FILES")
    root = Path(configured) if configured else Path(tempfile.gettempdir()) / "cadre-held"
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    return root


def hold(kind: str, files: dict[str, bytes]) -> str:
    """Keep ``files`` (name → bytes) under a new random id remembered in this session.

    ``kind`` names the purpose ("roster", "shares:<campaign id>"): the session
    keeps one holding per kind, and a new one replaces (deletes) the old.
    """
    sweep()
    release(kind)
    held_id = secrets.token_urlsafe(24)
    folder = held_root() / held_id
    folder.mkdir(mode=0o700)
    (folder / STAMP).write_text(repr(time.time()))
    for name, data in files.items():
        path = folder / Path(name).name
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
    holdings = dict(session.get("held", {}))
    holdings[kind] = [held_id, session.get(SESSION_USER)]
    session["held"] = holdings
    return held_id


def held_folder(kind: str, held_id: str | None = None) -> Path | None:
    """This session's holding of ``kind`` (and, if given, with exactly ``held_id``), or None.

    None when it was never made here, belongs to another account, was
    released, or has expired.
    """
    entry = session.get("held", {}).get(kind)
    if not isinstance(entry, list) or len(entry) != 2:
        return None
    stored_id, owner = entry
    if owner != session.get(SESSION_USER) or not ID_PATTERN.fullmatch(str(stored_id)):
        return None
    if held_id is not None and not secrets.compare_digest(str(held_id), str(stored_id)):
        return None
    folder = held_root() / stored_id
    if not folder.is_dir() or _expired(folder):
        return None
    return folder


def release(kind: str) -> None:
    """Forget this session's holding of ``kind`` and delete its files."""
    holdings = dict(session.get("held", {}))
    entry = holdings.pop(kind, None)
    session["held"] = holdings
    if isinstance(entry, list) and entry and ID_PATTERN.fullmatch(str(entry[0])):
        shutil.rmtree(held_root() / entry[0], ignore_errors=True)


def sweep() -> None:
    """Delete every holding older than ``HELD_FOR``, whoever made it."""
    root = held_root()
    for folder in root.iterdir():
        if folder.is_dir() and ID_PATTERN.fullmatch(folder.name) and _expired(folder):
            shutil.rmtree(folder, ignore_errors=True)


def _expired(folder: Path) -> bool:
    """Whether a holding is older than ``HELD_FOR``.

    The age comes from the stamp written with the process's clock, not the
    disk's file times, so a test on a shifted clock sees the same ages.
    """
    try:
        made = float((folder / STAMP).read_text())
    except (OSError, ValueError):
        return True
    return not 0 <= time.time() - made <= HELD_FOR
