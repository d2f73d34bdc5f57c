"""Page weight of the rater form on a weak mobile network (issue 15, item 2).

A superior who rates ten cadres gets the largest form there is; with its
style sheet and its script it must stay under 10 KB once gzipped, as a
phone on 2G downloads it.  The page is measured as the app serves it and
every file it loads is fetched from the app too, so a new script or a
heavier template shows up here.
"""

from __future__ import annotations

import gzip
import re

from tests.factories import make_campaign, roster_rows
from tests.web import ZH, parse, rater_paths

BUDGET = 10 * 1024
CADRES = 10


def ten_cadre_roster():
    """One superior who rates ten cadres (the superior group asks the most questions)."""
    cadres = [
        {"id": f"C{n}", "name": f"干部{n}", "unit": "市发展改革委", "post": "副主任"}
        for n in range(1, CADRES + 1)
    ]
    raters = [{"id": "R1", "name": "测评人1", "phone": "", "telegram": ""}]
    assignments = [("R1", cadre["id"], "superior") for cadre in cadres]
    return roster_rows(cadres, raters, assignments)


def loaded_files(html: str) -> list[str]:
    """The style sheets and scripts a page loads (its own files, as the browser asks)."""
    sheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    scripts = re.findall(r'<script src="([^"]+)"', html)
    return [address.replace("&amp;", "&") for address in sheets + scripts]


def gzipped(data: bytes) -> int:
    """Bytes on the wire at gzip's usual level, as the app's compression sends them."""
    return len(gzip.compress(data, compresslevel=6))


def test_a_ten_cadre_form_with_its_script_is_under_10_kb_gzipped(client, session, engine, now):
    campaign = make_campaign(session, now=now, rows=ten_cadre_roster())
    path = rater_paths(engine, campaign)["R1"]
    response = client.get(path, follow_redirects=True, headers=ZH)
    assert response.status_code == 200
    page = parse(response.data)
    assert len([name for name in page.radios if name.endswith(":vote")]) == CADRES
    assert len(page.radios) == CADRES * 10  # nine questions and a grade per cadre
    served = client.get("/r/", headers=ZH | {"Accept-Encoding": "gzip"})
    assert served.headers["Content-Encoding"] == "gzip"
    html = response.data.decode()
    files = loaded_files(html)
    assert any("/static/style.css" in address for address in files)
    assert any("/static/draft.js" in address for address in files)
    sizes = {"page": len(served.data)}
    for address in files:
        asset = client.get(address)
        assert asset.status_code == 200, address
        sizes[address.split("?")[0]] = gzipped(asset.data)
        asset.close()
    total = sum(sizes.values())
    print(f"rater form for {CADRES} cadres, gzip bytes: {sizes} total {total}")
    assert total < BUDGET, f"{total} bytes gzipped is over the {BUDGET}-byte budget: {sizes}"
