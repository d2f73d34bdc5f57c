"""docs/security.md names a test for every claim: each named test must exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def named_tests() -> list[tuple[str, str | None]]:
    """(file, test or None) for every `tests/...` or `::test` reference, in order."""
    found, current = [], None
    for token in re.findall(r"`([^`]+)`", (ROOT / "docs" / "security.md").read_text()):
        match = re.fullmatch(r"(tests/[\w/]+\.py)(?:::(\w+))?|::(\w+)", token)
        if not match:
            continue
        if match.group(1):
            current = match.group(1)
            found.append((current, match.group(2)))
        else:
            found.append((current, match.group(3)))
    return found


def test_every_test_the_threat_model_names_exists():
    references = named_tests()
    assert len(references) > 40
    missing = [
        f"{path}::{name}"
        for path, name in references
        if not (ROOT / path).exists()
        or (name and not re.search(rf"^def {name}\(", (ROOT / path).read_text(), re.M))
    ]
    assert missing == []
