#!/usr/bin/env python3
"""Fill a deploy template's placeholders (upper-case names in double braces).

The stack test renders the same files, so what is shipped is what is tested.

    python3 deploy/render.py deploy/nginx/cadre.conf.in SERVER_NAME=kaohe.example.cn \\
        UPSTREAMS=10.0.0.11:8000,10.0.0.12:8000 BOT_ADDRESS=127.0.0.1:8443 \\
        TLS_CERTIFICATE=/etc/ssl/kaohe.pem TLS_KEY=/etc/ssl/private/kaohe.key \\
        > /etc/nginx/conf.d/cadre.conf

UPSTREAMS (comma-separated host:port) becomes one ``server`` line per web
process; LISTEN defaults to 443 and HTTP_LISTEN to 80.  A placeholder left
without a value is an error, so a rendered file never reaches nginx half-filled.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

DEFAULTS = {"LISTEN": "443", "HTTP_LISTEN": "80", "USER_LINE": "user www-data;"}
PLACEHOLDER = re.compile(r"\{\{([A-Z_]+)\}\}")


def render(template: str, values: dict[str, str]) -> str:
    """The template with every placeholder replaced; ValueError names any left without value."""
    values = DEFAULTS | values
    if "UPSTREAMS" in values and "UPSTREAM_SERVERS" not in values:
        values["UPSTREAM_SERVERS"] = "\n".join(
            f"    server {address.strip()} max_fails=3 fail_timeout=10s;"
            for address in values["UPSTREAMS"].split(",")
            if address.strip()
        )
    missing = sorted(set(PLACEHOLDER.findall(template)) - set(values))
    if missing:
        raise ValueError(f"no value for {', '.join(missing)}")
    return PLACEHOLDER.sub(lambda match: values[match.group(1)], template)


def main(arguments: list[str]) -> int:
    """Render the template named first with NAME=value pairs; print it."""
    if not arguments or any("=" not in pair for pair in arguments[1:]):
        print(__doc__, file=sys.stderr)
        return 2
    values = dict(pair.split("=", 1) for pair in arguments[1:])
    try:
        print(render(Path(arguments[0]).read_text(), values), end="")
    except (OSError, ValueError) as error:
        print(f"render.py: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
