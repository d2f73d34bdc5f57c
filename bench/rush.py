"""A morning rush through the real deployment: nginx with TLS in front of several ``cadre serve``.

    .venv/bin/python bench/rush.py [--phones 2000] [--ramp 30] [--think 10] [--rate 300]
                                   [--web 2] [--threads 8] [--cadres 200] [--clients 16]
                                   [--seed 1]

On a fresh PostgreSQL database (``CADRE_BENCH_PG``, as ``bench/ballots.py``):

1. build campaigns with ``--phones`` invitations (``bench/ballots.py``'s roster,
   in bulk; untimed);
2. start the stack as ``deploy/`` ships it: ``--web`` ``cadre serve
   --no-scheduler`` processes and Debian's nginx with a self-signed
   certificate, its configuration rendered from ``deploy/nginx/*.conf.in``;
3. ``--phones`` phones arrive evenly over ``--ramp`` seconds, each on its own
   keep-alive HTTPS connection: open the link (303), load the form (200) and
   fill it in; once every phone has its form, all hold their connections idle
   for ``--think`` seconds (while 20 newcomers on new connections must get
   ``/healthz`` answered), then submit on an open-loop schedule of ``--rate``
   ballots per second (0: all at once, which measures capacity instead of
   latency at a given load);
4. check that every acknowledged ballot is sealed exactly once (invitations
   completed, one sealed ballot each, and after opening the boxes one
   response per cadre), as ``bench/ballots.py`` does;
5. the floor, in the same run: ``bench/ballots.py``'s bare endpoint (parse the
   same bodies, one insert per answer, one commit) on one waitress with
   ``--threads`` threads and ``--clients`` clients.

Printed: ballots/s (acknowledged submissions over the submit phase's wall
time) and the offered rate, p50/p99 of the submissions and of the form
loads (link and form together), p99 of the newcomers, errors (any 5xx,
refused or reset connection, wrong answer), idle phones held (the most
phones idle at once, and how many of them found their connection still
open when they submitted) and ratio = ballots/s / bare/s.
Figures, not pass/fail: the exit status is 1 only when something failed or a
ballot was not stored exactly once.  On a shared machine the figures are noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import ipaddress
import math
import os
import random
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from storage.engine import make_engine  # noqa: E402
from storage.migrate import upgrade  # noqa: E402


def load(name: str, path: Path):
    """A module from a file that is not in a package (bench/, deploy/), loaded once."""
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up
        spec.loader.exec_module(module)
    return sys.modules[name]


ballots = load("bench_ballots", ROOT / "bench" / "ballots.py")
render = load("deploy_render", ROOT / "deploy" / "render.py").render

SECRET = ballots.SECRET
COOKIE = ballots.COOKIE
FORM_PATH = ballots.FORM_PATH
NGINX_TEMPLATES = ROOT / "deploy" / "nginx"
SERVING = "Serving on"
LEADS = "this process leads the scheduler role"
VALID_FROM = datetime(2000, 1, 1, tzinfo=UTC)
VALID_UNTIL = datetime(9999, 12, 31, tzinfo=UTC)


def nginx_binary() -> str | None:
    """Debian's nginx (``tasks.py`` installs it for the tests), or None."""
    found = shutil.which("nginx")
    if found:
        return found
    return "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, seconds: float, alive) -> None:
    """Until something accepts on ``port``; RuntimeError when ``alive()`` turns False."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError(f"the process for port {port} exited")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port} after {seconds:g} s")


# --- the stack: a certificate, nginx, web processes, schedulers ------------------------------


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost; its PEM file is also the CA."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cadre stack test")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        # OpenSSL checks validity on the machine's real clock, which a clock-shifted test run
        # does not move: a window around "now" would fail on one clock or the other.
        .not_valid_before(VALID_FROM)
        .not_valid_after(VALID_UNTIL)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "tls.pem", folder / "tls.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path


def nginx_config(folder: Path, listen: int, upstreams: list[int], bot_port: int) -> Path:
    """Render the shipped templates for a private prefix in ``folder``; return nginx.conf."""
    cert, key = make_certificate(folder)
    temp = folder / "nginx-temp"
    temp.mkdir(exist_ok=True)
    site = folder / "cadre.conf"
    site.write_text(
        render(
            (NGINX_TEMPLATES / "cadre.conf.in").read_text(),
            {
                "SERVER_NAME": "127.0.0.1 localhost",
                "UPSTREAMS": ",".join(f"127.0.0.1:{port}" for port in upstreams),
                "BOT_ADDRESS": f"127.0.0.1:{bot_port}",
                "TLS_CERTIFICATE": str(cert),
                "TLS_KEY": str(key),
                "LISTEN": f"127.0.0.1:{listen}",
                "HTTP_LISTEN": f"127.0.0.1:{free_port()}",
            },
        )
    )
    main = folder / "nginx.conf"
    main.write_text(
        render(
            (NGINX_TEMPLATES / "nginx.conf.in").read_text(),
            {
                # Started unprivileged, nginx keeps its user; started by root (CI), its workers
                # would become "nobody", who cannot write buffered bodies into this folder.
                "USER_LINE": "user root root;" if os.geteuid() == 0 else "",
                "PID_FILE": str(folder / "nginx.pid"),
                "ERROR_LOG": str(folder / "nginx-error.log"),
                "ACCESS_LOG": "off",
                "MIME_TYPES": "/etc/nginx/mime.types",
                "TEMP_DIR": str(temp),
                "SITE_CONFIG": str(site),
            },
        )
    )
    return main


@dataclass
class Child:
    """A child process with its output in a log file."""

    name: str
    process: subprocess.Popen
    log: Path

    def alive(self) -> bool:
        return self.process.poll() is None

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it lingers."""
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@dataclass
class Stack:
    """nginx on ``port`` (HTTPS) in front of web processes on ``web_ports``, plus schedulers."""

    folder: Path
    database_url: str
    port: int = field(default_factory=lambda: free_port())  # nginx, HTTPS
    bot_port: int = field(default_factory=lambda: free_port())  # the bot's webhook, behind nginx
    web_ports: list[int] = field(default_factory=list)
    children: list[Child] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def env(self, name: str) -> dict[str, str]:
        """The settings every cadre process of the stack gets, as in deploy/cadre.env."""
        env = {key: value for key, value in os.environ.items() if not key.startswith("CADRE_")}
        url = sa.engine.make_url(self.database_url)
        url = url.update_query_dict({"application_name": f"cadre-{name}"})
        return env | {
            "CADRE_ENV": "production",
            "CADRE_SECRET_KEY": SECRET,
            "CADRE_DATABASE_URL": url.render_as_string(hide_password=False),
            "CADRE_BASE_URL": self.base_url,
            "CADRE_DATA_DIR": str(self.folder / "data"),
            "CADRE_BOX_KEYS": str(self.folder / "box-keys"),
            "CADRE_LEDGER_KEY": str(self.folder / "ledger.pem"),
            "CADRE_LOCALE": "en",
            "CADRE_SERVE_TRUSTED_PROXY": "127.0.0.1",
            "CADRE_SCHEDULER_FAILOVER_SECONDS": "1",
            "PYTHONUNBUFFERED": "1",
        }

    def start(self, name: str, command: list[str], env: dict[str, str] | None = None) -> Child:
        log = self.folder / f"{name}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                command,
                env=env if env is not None else self.env(name),
                cwd=self.folder,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        child = Child(name, process, log)
        self.children.append(child)
        return child

    def start_web(self, count: int, threads: int) -> None:
        """``cadre serve --no-scheduler`` processes, one after the other (each upgrades first)."""
        for number in range(1, count + 1):
            port = free_port()
            child = self.start(
                f"web{number}",
                [sys.executable, "-m", "cadre", "serve", "--no-scheduler", "--port", str(port),
                 "--threads", str(threads)],
            )  # fmt: skip
            deadline = time.monotonic() + 90
            while SERVING not in child.text():
                if not child.alive() or time.monotonic() > deadline:
                    raise RuntimeError(f"{child.name} did not start:\n{child.text()[-3000:]}")
                time.sleep(0.1)
            wait_for_port(port, 30, child.alive)
            self.web_ports.append(port)

    def start_proxy(self) -> None:
        """Debian's nginx, unprivileged, with a prefix of its own and the rendered config."""
        binary = nginx_binary()
        if binary is None:
            raise RuntimeError("nginx is not installed (Debian package 'nginx')")
        config = nginx_config(self.folder, self.port, self.web_ports, self.bot_port)
        child = self.start(
            "nginx",
            [binary, "-p", str(self.folder), "-c", str(config), "-g", "daemon off;"],
            env=dict(os.environ),
        )
        wait_for_port(self.port, 30, child.alive)

    def start_bot(self, api_url: str, token: str, secret: str) -> Child:
        """``cadre bot run --webhook``: Telegram (here ``api_url``) posts through nginx."""
        env = self.env("bot") | {
            "CADRE_TELEGRAM_TOKEN": token,
            "CADRE_TELEGRAM_API_URL": api_url,
            "CADRE_TELEGRAM_WEBHOOK_SECRET": secret,
        }
        child = self.start(
            "bot",
            [sys.executable, "-m", "cadre", "bot", "run", "--webhook",
             f"{self.base_url}/telegram/webhook", "--listen", "127.0.0.1",
             "--port", str(self.bot_port)],
            env=env,
        )  # fmt: skip
        wait_for_port(self.bot_port, 60, child.alive)
        return child

    def start_schedulers(self, count: int) -> list[Child]:
        """``cadre scheduler run`` processes; on PostgreSQL exactly one of them may lead."""
        return [
            self.start(f"scheduler{number}", [sys.executable, "-m", "cadre", "scheduler", "run"])
            for number in range(1, count + 1)
        ]

    def stop(self) -> None:
        for child in reversed(self.children):
            child.stop()

    def report(self) -> str:
        """Each child's last log lines, for a failure message."""
        return "\n".join(
            f"--- {child.name} ({'running' if child.alive() else child.process.returncode}) ---\n"
            + "\n".join(child.text().splitlines()[-15:])
            for child in self.children
        )


@contextlib.contextmanager
def running_stack(
    folder: Path, database_url: str, *, web: int, threads: int, schedulers: int = 0
) -> Iterator[Stack]:
    """The stack up on ``database_url`` (already built); everything stopped afterwards."""
    stack = Stack(folder, database_url)
    try:
        stack.start_web(web, threads)
        stack.start_proxy()
        stack.start_schedulers(schedulers)
        yield stack
    finally:
        stack.stop()


def leaders(stack: Stack) -> list[str]:
    """The scheduler processes that took the lead (each says so once in its log)."""
    return [
        child.name
        for child in stack.children
        if child.name.startswith("scheduler") and LEADS in child.text()
    ]


# --- the phones --------------------------------------------------------------------------


@dataclass
class Phone:
    """One rater's phone: its token, then its session cookie and filled form."""

    token: str
    cookie: str = ""
    body: bytes = b""
    cadres: int = 0
    answers: int = 0
    opened: float = math.nan  # seconds for the link and the form, together
    submitted: float = math.nan  # seconds for the POST
    held: bool = False  # the POST went over the connection the form came on
    acknowledged: bool = False
    problems: list[str] = field(default_factory=list)

    def as_ballot(self):
        """The form as ``bench/ballots.py`` posts it (for the bare endpoint and its checks)."""
        return ballots.Ballot(self.cookie, self.body, self.cadres, self.answers)


def tls_context(certificate: Path) -> ssl.SSLContext:
    """Trust exactly the stack's own certificate, as a phone trusts a real one."""
    return ssl.create_default_context(cafile=str(certificate))


def cookie_from(response, current: str) -> str:
    """The session cookie a response sets, or the one we had (cookies handled by hand)."""
    from http.cookies import SimpleCookie

    for header in response.headers.getall("Set-Cookie", []):
        jar = SimpleCookie()
        jar.load(header)
        if COOKIE in jar:
            current = jar[COOKIE].value
    return current


def fill(phone: Phone, page: str, rng: random.Random) -> None:
    """Answer every question and vote of the form at random, as ``bench/ballots.py`` does."""
    from urllib.parse import urlencode

    fields = ballots.FormFields()
    fields.feed(page)
    fields.close()
    if "csrf_token" not in fields.hidden or not fields.radios:
        raise RuntimeError("the form has no CSRF token or no questions")
    data = dict(fields.hidden)
    data |= {name: rng.choice(options) for name, options in fields.radios.items()}
    data |= dict.fromkeys(fields.textareas, "")
    phone.body = urlencode(data).encode()
    phone.cadres = len({name.split(":", 1)[0] for name in fields.radios})
    phone.answers = len(data) - 1


class Connections:
    """Counts the connections each phone's session opened (aiohttp trace hooks).

    A phone whose count did not grow between loading the form and submitting
    it found its connection still open after thinking: the stack held it.
    """

    def __init__(self):
        import aiohttp

        self.made: dict[int, int] = {}
        self.config = aiohttp.TraceConfig()
        self.config.on_connection_create_end.append(self._created)

    async def _created(self, session, _context, _params) -> None:
        self.made[id(session)] = self.made.get(id(session), 0) + 1

    def count(self, session) -> int:
        return self.made.get(id(session), 0)


def phone_session(context: ssl.SSLContext, trace: Connections):
    """One phone: a single keep-alive connection, no cookie jar (cookies by hand)."""
    import aiohttp

    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=1, ssl=context, keepalive_timeout=3600),
        cookie_jar=aiohttp.DummyCookieJar(),
        trace_configs=[trace.config],
        timeout=aiohttp.ClientTimeout(total=120),
        headers={"Accept-Language": "en", "User-Agent": "cadre-rush-phone"},
    )


async def open_link(session, base: str, phone: Phone, rng: random.Random) -> None:
    """Follow the link (303 to /r/, the token swapped for the cookie) and load the form."""
    async with session.get(f"{base}/r/{phone.token}", allow_redirects=False) as response:
        await response.read()
        location = response.headers.get("Location", "")
        if response.status != 303 or not location.endswith(FORM_PATH):
            raise RuntimeError(f"the link answered {response.status} {location}")
        phone.cookie = cookie_from(response, "")
    async with session.get(f"{base}{FORM_PATH}", headers=cookie_header(phone)) as response:
        page = await response.text()
        if response.status != 200:
            raise RuntimeError(f"the form answered {response.status}")
        phone.cookie = cookie_from(response, phone.cookie)
    fill(phone, page, rng)


def cookie_header(phone: Phone, **more: str) -> dict[str, str]:
    return {"Cookie": f"{COOKIE}={phone.cookie}"} | more


async def post_form(session, url: str, phone: Phone) -> tuple[int, str]:
    """POST the filled form; (status, Location) — 303 to /done means it was accepted."""
    headers = cookie_header(phone, **{"Content-Type": "application/x-www-form-urlencoded"})
    async with session.post(url, data=phone.body, headers=headers, allow_redirects=False) as reply:
        await reply.read()
        return reply.status, reply.headers.get("Location", "")


def accepted(status: int, location: str) -> bool:
    return status == 303 and location.endswith("/done")


@dataclass
class Rush:
    """What the phones saw."""

    phones: list[Phone]
    offered: float  # ballots/s the schedule asked for (0: all at once)
    submit_wall: float = 0.0
    peak_idle: int = 0
    newcomers: list[float] = field(default_factory=list)  # seconds, new phones while all idle
    newcomer_problems: list[str] = field(default_factory=list)

    @property
    def acknowledged(self) -> list[Phone]:
        return [phone for phone in self.phones if phone.acknowledged]

    @property
    def errors(self) -> list[str]:
        phones = [problem for phone in self.phones for problem in phone.problems]
        return phones + [f"newcomer: {problem}" for problem in self.newcomer_problems]

    @property
    def rate(self) -> float:
        return len(self.acknowledged) / self.submit_wall if self.submit_wall else 0.0

    @property
    def held(self) -> int:
        return sum(phone.held for phone in self.phones)


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile in milliseconds."""
    ordered = sorted(value for value in values if not math.isnan(value))
    if not ordered:
        return math.nan
    return 1000 * ordered[min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1)]


async def rush(
    base: str, certificate: Path, tokens: list[str], *, ramp: float, think: float, rate: float,
    seed: int, newcomers: int = 20,
) -> Rush:  # fmt: skip
    """Phones arrive evenly over ``ramp`` s and open their form; all idle; then they submit.

    Once every phone has its form (or has failed), all of them are idle at
    once on their open connections for ``think`` seconds, while
    ``newcomers`` new phones connect and must be answered.  Then phone i
    submits at ``think + i / rate`` after that moment: an open-loop schedule,
    so a slow server shows as latency, not as a politely lower offered rate.
    """
    context = tls_context(certificate)
    trace = Connections()
    result = Rush([Phone(token) for token in tokens], rate)
    idle = done = 0
    everyone = asyncio.Event()
    submit_times: list[float] = []
    released: list[float] = []

    def opened_or_failed() -> None:
        nonlocal done
        done += 1
        if done == len(tokens):
            released.append(time.perf_counter() + think)
            everyone.set()

    async def one(index: int, phone: Phone) -> None:
        nonlocal idle
        rng = random.Random(seed * 100_003 + index)
        await asyncio.sleep(ramp * index / max(1, len(tokens)))
        async with phone_session(context, trace) as session:
            began = time.perf_counter()
            try:
                await open_link(session, base, phone, rng)
            except Exception as error:  # noqa: BLE001  (every failure is counted and shown)
                phone.problems.append(f"open: {error.__class__.__name__}: {error}")
                opened_or_failed()
                return
            phone.opened = time.perf_counter() - began
            connections = trace.count(session)
            idle += 1
            result.peak_idle = max(result.peak_idle, idle)
            opened_or_failed()
            await everyone.wait()
            slot = released[0] + (index / rate if rate else 0.0)
            await asyncio.sleep(max(0.0, slot - time.perf_counter()))
            idle -= 1
            began = time.perf_counter()
            submit_times.append(began)
            try:
                status, location = await post_form(session, f"{base}{FORM_PATH}", phone)
            except Exception as error:  # noqa: BLE001
                phone.problems.append(f"submit: {error.__class__.__name__}: {error}")
                return
            ended = time.perf_counter()
            submit_times.append(ended)
            phone.submitted = ended - began
            phone.held = trace.count(session) == connections
            if accepted(status, location):
                phone.acknowledged = True
            else:
                phone.problems.append(f"submit answered {status} {location}")

    async def newcomer() -> None:
        """While everyone idles: new phones, each on a new connection, ask for /healthz."""
        await everyone.wait()
        for _ in range(newcomers):
            await asyncio.sleep(think / (newcomers + 1))
            async with phone_session(context, trace) as session:
                began = time.perf_counter()
                try:
                    async with session.get(f"{base}/healthz") as response:
                        await response.read()
                        status = response.status
                except Exception as error:  # noqa: BLE001
                    result.newcomer_problems.append(f"{error.__class__.__name__}: {error}")
                    continue
                if status != 200:
                    result.newcomer_problems.append(f"/healthz answered {status}")
                else:
                    result.newcomers.append(time.perf_counter() - began)

    phones = (one(index, phone) for index, phone in enumerate(result.phones))
    await asyncio.gather(newcomer(), *phones)
    if submit_times:
        result.submit_wall = max(submit_times) - min(submit_times)
    return result


def rush_in_loop(*arguments, **options) -> Rush:
    """Run ``rush`` in a fresh event loop, with room for thousands of sockets."""
    with contextlib.suppress(ImportError, ValueError, OSError):
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < hard:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return asyncio.run(rush(*arguments, **options))


# --- the whole bench ---------------------------------------------------------------------


def build(url: str, phones: int, cadres: int, folder: Path, seed: int):
    """Migrate, then campaigns with ``phones`` invitations in bulk (``bench/ballots.py``)."""
    engine = make_engine(url)
    upgrade(engine)
    world = ballots.build_world(
        engine, cadres=cadres, ballots=phones, bulk=True, rng=random.Random(seed),
        box_keys=folder / "box-keys",
    )  # fmt: skip
    return engine, world


def bare_floor(url: str, engine, phones: list[Phone], options, folder: Path):
    """``bench/ballots.py``'s bare endpoint on the same database, with the same bodies."""
    ballots.BARE_METADATA.create_all(engine)
    sample = [phone.as_ballot() for phone in phones if phone.body]
    with ballots.served(url, options.threads, folder / "bare.log") as port:
        ballots.post_all(
            port, ballots.BARE_PATH, sample[: 2 * options.clients], options.clients, 60, False
        )  # fmt: skip  (untimed warm-up)
        return ballots.post_all(
            port, ballots.BARE_PATH, sample, options.clients, options.duration, False
        )


def check(engine, world, result: Rush, folder: Path) -> tuple[bool, str]:
    """Every acknowledged ballot sealed once, completed once, and opened into its responses."""
    real = ballots.Run(posted=[phone.as_ballot() for phone in result.acknowledged])
    ballots.BARE_METADATA.create_all(engine)  # check_stored counts the bare table too
    return ballots.check_stored(engine, world, real, [], folder)


def measure(options: argparse.Namespace, folder: Path) -> int:
    """Build, serve, rush, check, measure the floor; print the figures; the exit status."""
    with ballots.fresh_database("postgresql", folder) as url:
        say(f"building {options.phones} invitations ({options.cadres} cadres per roster)")
        engine, world = build(url, options.phones, options.cadres, folder, options.seed)
        with running_stack(folder, url, web=options.web, threads=options.threads) as stack:
            say(f"stack: nginx on {stack.base_url}, cadre serve on ports {stack.web_ports}")
            result = rush_in_loop(
                stack.base_url, folder / "tls.pem", world.tokens, ramp=options.ramp,
                think=options.think, rate=options.rate, seed=options.seed,
            )  # fmt: skip
            log = stack.report()
        say("checking the sealed boxes (opening them with the key files made at build time)")
        stored_ok, note = check(engine, world, result, folder)
        say(f"  stored: {'ok' if stored_ok else 'MISMATCH'} ({note})")
        say("the bare-endpoint floor (bench/ballots.py) on the same database")
        floor = bare_floor(url, engine, result.phones, options, folder)
        engine.dispose()
    print(table(options, result, floor))
    if result.errors:
        say(f"first errors: {result.errors[:5]}")
        say(log)
    return 0 if stored_ok and not result.errors and not floor.errors else 1


def table(options: argparse.Namespace, result: Rush, floor) -> str:
    """One line of figures under its heading."""
    opened = [phone.opened for phone in result.phones]
    submitted = [phone.submitted for phone in result.phones]
    offered = f"{result.offered:g}/s" if result.offered else "all at once"
    ratio = result.rate / floor.rate if floor.rate else math.nan
    return "\n".join(
        [
            f"{options.phones} phones through nginx (TLS) to {options.web} x cadre serve "
            f"({options.threads} threads), ramp {options.ramp:g} s, think {options.think:g} s, "
            f"offered {offered}",
            f"{'ballots':>7} {'ballots/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'open p50':>8} "
            f"{'open p99':>8} {'new p99':>7} {'errors':>6} {'idle peak':>9} {'held':>5} "
            f"{'bare/s':>7} {'ratio':>6}",
            f"{len(result.acknowledged):7d} {result.rate:9.1f} {percentile(submitted, 0.5):7.1f} "
            f"{percentile(submitted, 0.99):7.1f} {percentile(opened, 0.5):8.1f} "
            f"{percentile(opened, 0.99):8.1f} {percentile(result.newcomers, 0.99):7.1f} "
            f"{len(result.errors) + len(floor.errors):6d} "
            f"{result.peak_idle:9d} {result.held:5d} {floor.rate:7.1f} {ratio:6.3f}",
        ]
    )


def say(text: str) -> None:
    """Progress on stderr; the figures alone on stdout."""
    print(text, file=sys.stderr, flush=True)


def parse_arguments(arguments: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--phones", type=int, default=2000)
    parser.add_argument("--ramp", type=float, default=30.0, help="seconds over which phones arrive")
    parser.add_argument("--think", type=float, default=10.0, help="least idle seconds per phone")
    parser.add_argument("--rate", type=float, default=300.0, help="ballots/s offered; 0: at once")
    parser.add_argument("--web", type=int, default=2, help="cadre serve processes")
    parser.add_argument("--threads", type=int, default=8, help="threads per web process")
    parser.add_argument("--cadres", type=int, default=200, help="cadres per roster")
    parser.add_argument("--clients", type=int, default=16, help="clients of the bare floor")
    parser.add_argument("--duration", type=float, default=60.0, help="most seconds of the floor")
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args(arguments)


def main() -> None:
    options = parse_arguments()
    if nginx_binary() is None:
        say("nginx is not installed: apt-get install nginx (or run python3 tasks.py test)")
        sys.exit(2)
    with tempfile.TemporaryDirectory() as folder:
        sys.exit(measure(options, Path(folder)))


if __name__ == "__main__":
    main()
