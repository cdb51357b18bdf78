"""Real servers on 127.0.0.1 for the tests: started by the tests themselves.

``Dovecot`` runs the Debian ``dovecot-imapd`` binary from a throwaway config (no include
of /etc/dovecot, no systemd): a passwd-file with one user per test, Maildir storage under
a temp dir, a plain port (with STARTTLS) and an implicit-TLS port with a self-signed
certificate the tests trust through ``ca_file``.

Where the binary is missing, ``require_binary`` skips with a reason naming the package to
install; under ``CI=true`` it fails instead, so CI can never pass by skipping.
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

DOVECOT_PACKAGE = "dovecot-imapd"
ROOT_PREFIX = "followup-dovecot-"
STALE_AFTER_SECONDS = 3600


def _die_with_parent() -> None:
    """In the child before exec: get SIGKILL when the test process dies (Linux).

    A pytest killed by a timeout cannot run its fixture teardown; without this its
    Dovecot would outlive it. Dovecot's own children exit when their master goes.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _remove_stale_roots() -> None:
    """Delete temp dirs of test servers whose process is gone (killed test runs)."""
    for root in Path(tempfile.gettempdir()).glob(ROOT_PREFIX + "*"):
        try:
            if time.time() - root.stat().st_mtime < STALE_AFTER_SECONDS:
                continue
            pid_file = root / "run" / "master.pid"
            if pid_file.exists():
                os.kill(int(pid_file.read_text().split()[0]), 0)
                continue  # still running: someone else's live server
        except ProcessLookupError:
            pass
        except (OSError, ValueError):
            continue
        shutil.rmtree(root, ignore_errors=True)


def require_binary(name: str, package: str) -> str:
    """Return the path of ``name``; skip the test without it (fail under ``CI=true``)."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/local/sbin:/sbin")
    if found:
        return found
    reason = f"{name} not found: install the Debian package {package} (apt-get install {package})"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}; CI must run the server tests, not skip them", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_self_signed_cert(directory: Path, host: str = "localhost") -> tuple[Path, Path]:
    """Write a self-signed certificate for ``host`` and 127.0.0.1; return (cert, key).

    Uses the ``openssl`` CLI, which dovecot-core depends on, so wherever Dovecot is
    installed this works without any Python crypto package.
    """
    openssl = require_binary("openssl", "openssl")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            f"/CN={host}",
            "-addext",
            f"subjectAltName=DNS:{host},IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@dataclass
class MailUser:
    """A mailbox on the test Dovecot: credentials and where its Maildir lives."""

    name: str
    password: str
    home: Path

    @property
    def maildir(self) -> Path:
        return self.home / "Maildir"


@dataclass
class Dovecot:
    """A Dovecot instance on 127.0.0.1 with its own config, users and mail under ``root``.

    ``special_use=False`` gives a server that advertises no SPECIAL-USE and flags no
    mailbox. ``sent_name`` is the sent folder created for every user (None: none).
    """

    root: Path
    special_use: bool = True
    sent_name: str | None = "Sent"
    oauth2_introspection_url: str | None = None
    host: str = "127.0.0.1"
    imap_port: int = 0
    imaps_port: int = 0
    binary: str = ""
    cert: Path = field(default=Path())
    _process: subprocess.Popen[bytes] | None = None
    _counter: Iterator[int] = field(default_factory=itertools.count)

    # -- lifecycle -------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        *,
        special_use: bool = True,
        sent_name: str | None = "Sent",
        oauth2_introspection_url: str | None = None,
    ) -> Dovecot:
        """Write a fresh config under a new temp dir and start the server."""
        binary = require_binary("dovecot", DOVECOT_PACKAGE)
        # Not under pytest's basetemp: that is 0700 root, and Dovecot's mail processes
        # run as nobody and must reach the mail homes.
        _remove_stale_roots()
        root = Path(tempfile.mkdtemp(prefix=ROOT_PREFIX))
        root.chmod(0o755)
        server = cls(
            root=root,
            special_use=special_use,
            sent_name=sent_name,
            oauth2_introspection_url=oauth2_introspection_url,
            binary=binary,
        )
        server.cert, _ = make_self_signed_cert(root)
        (root / "home").mkdir()
        (root / "passwd").mkdir()
        server._chown_mail(root / "home")
        server.start()
        return server

    @property
    def conf(self) -> Path:
        return self.root / "dovecot.conf"

    @property
    def log(self) -> Path:
        return self.root / "dovecot.log"

    def start(self, *, same_ports: bool = False) -> None:
        """Start (or restart after ``stop``): on fresh free ports unless ``same_ports``."""
        if not same_ports or not self.imap_port:
            self.imap_port, self.imaps_port = free_port(), free_port()
        self.conf.write_text(self._config())
        with (self.root / "stderr.log").open("ab") as stderr:
            self._process = subprocess.Popen(
                [self.binary, "-F", "-c", str(self.conf)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        self._wait_ready()

    def stop(self) -> None:
        """Stop the server and every child process (connections drop at once)."""
        process, self._process = self._process, None
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        # Login/imap children are in the same session; give the kernel a moment to
        # close their sockets so a restart on the same ports can bind.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and self._port_open(self.imap_port):
            time.sleep(0.02)

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(f"dovecot exited at start:\n{self._logs()}")
            if self._port_open(self.imap_port) and self._port_open(self.imaps_port):
                return
            time.sleep(0.02)
        raise RuntimeError(f"dovecot did not listen within 15 s:\n{self._logs()}")

    def _port_open(self, port: int) -> bool:
        try:
            with socket.create_connection((self.host, port), timeout=0.5):
                return True
        except OSError:
            return False

    def _logs(self) -> str:
        parts = []
        for path in (self.log, self.root / "stderr.log"):
            if path.exists():
                parts.append(path.read_text(errors="replace")[-4000:])
        return "\n".join(parts)

    # -- config ----------------------------------------------------------------------

    def _mail_owner(self) -> tuple[str, str, int, int]:
        """(user, group, uid, gid) the mail processes run as: nobody when we are root."""
        if os.geteuid() == 0:
            entry = pwd.getpwnam("nobody")
            group = "nogroup"
            try:
                import grp

                group = grp.getgrgid(entry.pw_gid).gr_name
            except KeyError:
                pass
            return entry.pw_name, group, entry.pw_uid, entry.pw_gid
        entry = pwd.getpwuid(os.geteuid())
        import grp

        return entry.pw_name, grp.getgrgid(os.getegid()).gr_name, os.geteuid(), os.getegid()

    def _chown_mail(self, path: Path) -> None:
        if os.geteuid() != 0:
            return
        _, _, uid, gid = self._mail_owner()
        os.chown(path, uid, gid)
        for dirpath, dirnames, filenames in os.walk(path):
            for name in itertools.chain(dirnames, filenames):
                os.chown(os.path.join(dirpath, name), uid, gid)

    def _config(self) -> str:
        user, group, uid, _ = self._mail_owner()
        root = self.root
        if os.geteuid() == 0:
            internal = "default_internal_user = dovecot\ndefault_login_user = dovenull\n"
        else:
            # Unprivileged: every service runs as the current user.
            internal = f"default_internal_user = {user}\ndefault_login_user = {user}\n"
        if self.special_use:
            sent = (
                f'  mailbox "{self.sent_name}" {{\n'
                "    special_use = \\Sent\n    auto = subscribe\n  }\n"
            )
            drafts = "  mailbox Drafts {\n    special_use = \\Drafts\n    auto = subscribe\n  }\n"
            capability = ""
        else:
            sent = ""
            if self.sent_name:
                sent = f'  mailbox "{self.sent_name}" {{\n    auto = subscribe\n  }}\n'
            drafts = ""
            # Dovecot has no switch for SPECIAL-USE: list the capabilities without it.
            capability = (
                "imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE "
                "SORT SORT=DISPLAY THREAD=REFERENCES THREAD=REFS THREAD=ORDEREDSUBJECT "
                "MULTIAPPEND URL-PARTIAL CATENATE UNSELECT CHILDREN NAMESPACE UIDPLUS "
                "LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES "
                "WITHIN CONTEXT=SEARCH LIST-STATUS BINARY MOVE SNIPPET=FUZZY PREVIEW=FUZZY "
                "PREVIEW STATUS=SIZE SAVEDATE LITERAL+ NOTIFY\n"
            )
        oauth2 = ""
        if self.oauth2_introspection_url:
            # XOAUTH2: Dovecot asks this URL whether a token is valid and whose it is.
            (root / "oauth2.conf.ext").write_text(
                "introspection_mode = post\n"
                f"introspection_url = {self.oauth2_introspection_url}\n"
                "username_attribute = username\n"
                "active_attribute = active\n"
                "active_value = true\n"
            )
            oauth2 = (
                "passdb {\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n"
                f"  args = {root}/oauth2.conf.ext\n}}\n"
            )
        return f"""\
# Throwaway config written by tests/servers.py; nothing from /etc/dovecot is used.
protocols = imap
listen = {self.host}
base_dir = {root}/run
state_dir = {root}/state
log_path = {self.log}
info_log_path = {self.log}
{internal}
first_valid_uid = {min(uid, 500)}
last_valid_uid = 0
first_valid_gid = 0
ssl = yes
ssl_cert = <{self.cert}
ssl_key = <{root}/key.pem
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = no
auth_mechanisms = plain login{" xoauth2 oauthbearer" if oauth2 else ""}
auth_failure_delay = 0
mail_location = maildir:~/Maildir
mail_fsync = never
{capability}
{oauth2}passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd/%u
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/passwd/%u
  default_fields = uid={user} gid={group} home={root}/home/%u
}}
namespace inbox {{
  inbox = yes
  separator = /
{sent}{drafts}}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = {self.host}
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    address = {self.host}
    port = {self.imaps_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""

    # -- users and mail ---------------------------------------------------------------

    def add_user(self, name: str | None = None, password: str | None = None) -> MailUser:
        """Create a user with an empty mailbox (INBOX + the sent folder on first login)."""
        name = name or f"user{next(self._counter)}-{uuid.uuid4().hex[:6]}@example.test"
        password = password or uuid.uuid4().hex
        home = self.root / "home" / name
        home.mkdir(parents=True)
        self._chown_mail(home)
        # One passwd-file per user: Dovecot caches a passwd-file by mtime, and two users
        # added within the same second would leave the second one unknown.
        (self.root / "passwd" / name).write_text(f"{name}:{{PLAIN}}{password}::::::\n")
        return MailUser(name=name, password=password, home=home)

    def client(self, user: MailUser, *, ssl: bool = False):  # -> imapclient.IMAPClient
        """A logged-in imapclient connection for setting up a test (APPEND, CREATE...)."""
        import imapclient

        if ssl:
            import ssl as ssl_lib

            context = ssl_lib.create_default_context(cafile=str(self.cert))
            client = imapclient.IMAPClient(
                self.host, self.imaps_port, ssl=True, ssl_context=context, timeout=10
            )
        else:
            client = imapclient.IMAPClient(self.host, self.imap_port, ssl=False, timeout=10)
        client.login(user.name, user.password)
        return client

    def append(
        self,
        user: MailUser,
        folder: str,
        messages: Iterable[bytes],
        *,
        flags: tuple[bytes, ...] = (),
    ) -> None:
        """APPEND ``messages`` to ``folder`` (created if missing), as a mail client would."""
        with self.client(user) as client:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            for message in messages:
                client.append(folder, message, flags=flags)

    def deliver(self, user: MailUser, folder: str, messages: Iterable[bytes]) -> int:
        """Drop ``messages`` straight into the Maildir (fast bulk loading); return count.

        ``folder`` "INBOX" is the Maildir root; other folders use Maildir++ ``.name``
        directories. Dovecot assigns UIDs when it next scans the folder.
        """
        return self.deliver_many(user, ((folder, message) for message in messages))

    def deliver_many(self, user: MailUser, items: Iterable[tuple[str, bytes]]) -> int:
        """``deliver`` for a stream of (folder, message): nothing is held in memory."""
        stamp = int(time.time())
        made: set[Path] = set()
        count = 0
        for count, (folder, message) in enumerate(items, 1):
            if folder == "INBOX":
                base = user.maildir
            else:
                base = user.maildir / ("." + folder.replace("/", "."))
            if base not in made:
                for sub in ("cur", "new", "tmp"):
                    (base / sub).mkdir(parents=True, exist_ok=True)
                made.add(base)
            name = f"{stamp}.M{count}P{os.getpid()}.followup-test,S={len(message)}:2,"
            (base / "cur" / name).write_bytes(message)
        self._chown_mail(user.home)
        return count


# Registered under their ``name``s, so a test module can import them without the import
# clashing with the test functions' parameters: ``from servers import dovecot_server_fixture``.
@pytest.fixture(scope="session", name="dovecot_server")
def dovecot_server_fixture() -> Iterator[Dovecot]:
    """One Dovecot for the whole session; tests isolate themselves with their own user."""
    server = Dovecot.create()
    try:
        yield server
    finally:
        server.destroy()


@pytest.fixture(name="private_dovecot")
def private_dovecot_fixture() -> Iterator[Dovecot]:
    """A Dovecot of the test's own, free to be stopped (and Dovecot slows every login
    from an address after a failed one: a test of a refused password takes its own)."""
    server = Dovecot.create()
    try:
        yield server
    finally:
        server.destroy()


@pytest.fixture(name="mail_user")
def mail_user_fixture(dovecot_server: Dovecot) -> MailUser:
    """A fresh mailbox on the session's Dovecot."""
    return dovecot_server.add_user()


# ------------------------------------------------------------------------------ Radicale

RADICALE_PACKAGE = "radicale"
RADICALE_PREFIX = "followup-radicale-"


@dataclass
class CalUser:
    """A Radicale account: credentials and the URL of its principal."""

    name: str
    password: str
    url: str


@dataclass
class Radicale:
    """A Radicale CalDAV server on 127.0.0.1 (the PyPI package, run with this Python):
    htpasswd users in plain text, filesystem storage under ``root``, owner-only rights."""

    root: Path
    host: str = "127.0.0.1"
    port: int = 0
    _process: subprocess.Popen[bytes] | None = None
    _counter: Iterator[int] = field(default_factory=itertools.count)

    @classmethod
    def create(cls) -> Radicale:
        try:
            import radicale  # noqa: F401  (only to see that it is installed)
        except ImportError:
            reason = f"radicale not installed: pip install {RADICALE_PACKAGE} (in .[dev])"
            if os.environ.get("CI", "").lower() == "true":
                pytest.fail(f"{reason}; CI must run the server tests, not skip them", pytrace=False)
            pytest.skip(reason)
        root = Path(tempfile.mkdtemp(prefix=RADICALE_PREFIX))
        (root / "users").write_text("")
        server = cls(root=root)
        server.start()
        return server

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def start(self, *, same_port: bool = False) -> None:
        """Start (or restart after ``stop``), on a fresh free port unless ``same_port``."""
        import sys

        if not same_port or not self.port:
            self.port = free_port()
        with (self.root / "stderr.log").open("ab") as stderr:
            self._process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "radicale",
                    "--config",
                    "",
                    "--server-hosts",
                    f"{self.host}:{self.port}",
                    "--storage-filesystem-folder",
                    str(self.root / "collections"),
                    "--auth-type",
                    "htpasswd",
                    "--auth-htpasswd-filename",
                    str(self.root / "users"),
                    "--auth-htpasswd-encryption",
                    "plain",
                    "--auth-delay",
                    "0",
                    "--rights-type",
                    "owner_only",
                    "--logging-level",
                    "warning",
                ],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                log = (self.root / "stderr.log").read_text(errors="replace")[-4000:]
                raise RuntimeError(f"radicale exited at start:\n{log}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("radicale did not listen within 20 s")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def add_user(self) -> CalUser:
        """A new account (Radicale rereads the htpasswd file on each login)."""
        name = f"user{next(self._counter)}-{uuid.uuid4().hex[:6]}"
        password = uuid.uuid4().hex
        with (self.root / "users").open("a") as f:
            f.write(f"{name}:{password}\n")
        return CalUser(name, password, f"{self.url}{name}/")

    def client(self, user: CalUser):  # -> caldav.DAVClient
        """A caldav client for setting up a test (make calendars, save events)."""
        import caldav

        return caldav.DAVClient(url=self.url, username=user.name, password=user.password)


@pytest.fixture(scope="session", name="radicale_server")
def radicale_server_fixture() -> Iterator[Radicale]:
    """One Radicale for the session; tests isolate themselves with their own user."""
    server = Radicale.create()
    try:
        yield server
    finally:
        server.destroy()


@pytest.fixture(name="cal_user")
def cal_user_fixture(radicale_server: Radicale) -> CalUser:
    return radicale_server.add_user()
