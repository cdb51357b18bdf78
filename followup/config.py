"""The TOML config: lookup, parsing into frozen dataclasses, and validation.

Every problem in a file is collected and reported at once (one line each, with the key
and the fix), instead of failing on the first.
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from followup.addresses import address_problem, is_address, own_domains
from followup.durations import Duration, parse_duration
from followup.errors import UserError

if TYPE_CHECKING:
    from connectors.base import CalendarSourceClass, MailSourceClass

CONFIG_ENV = "FOLLOWUP_CONFIG"
HOME_ENV = "FOLLOWUP_HOME"


def followup_home() -> Path:
    """Where followup keeps its state (database, tokens, lock): $FOLLOWUP_HOME or the
    platform's user data dir."""
    env = os.environ.get(HOME_ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("followup", appauthor=False))


def default_config_path() -> Path:
    """$FOLLOWUP_CONFIG, else the platform's config dir (click.get_app_dir)."""
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env).expanduser()
    import click

    return Path(click.get_app_dir("followup")) / "config.toml"


@dataclass(frozen=True)
class MeSettings:
    name: str = ""
    addresses: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    timezone: str = "UTC"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class SourceSettings:
    """One [[mail]] or [[calendar]] table: name, kind, and the source's own options."""

    name: str
    kind: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RuleSettings:
    reply_after: Duration = parse_duration("2 business days")
    follow_up_after: Duration = parse_duration("3 business days")
    # Adaptive follow-up: wait at least this multiple of the person's usual reply time.
    follow_up_factor: float = 2.0
    follow_up_max: Duration = parse_duration("10 business days")
    promise_soon: Duration = parse_duration("2 days")
    waiting_grace: Duration = parse_duration("1 day")
    reconnect_factor: float = 2.5
    reconnect_min: Duration = parse_duration("30 days")
    reconnect_min_exchanges: int = 4
    after_meeting_within: Duration = parse_duration("3 days")
    before_meeting_within: Duration = parse_duration("1 day")
    # Older items are history, not tasks.
    lookback: Duration = parse_duration("30 days")
    important: tuple[str, ...] = ()
    mute: tuple[str, ...] = ()


@dataclass(frozen=True)
class SmtpSettings:
    host: str = ""
    port: int = 465
    security: str = "ssl"
    username: str = ""
    password_command: str | list[str] | None = None
    password_env: str | None = None
    password_keyring: bool | str | None = None
    allow_insecure: bool = False
    timeout: float = 30.0


@dataclass(frozen=True)
class DigestSettings:
    to: str = ""
    sender: str = ""
    at: time = time(7, 30)
    max_items: int = 10
    send_empty: bool = False
    subject: str = "followup: {count} things for {date}"
    smtp: SmtpSettings | None = None
    # Save the digest to this IMAP account's folder instead of sending it by SMTP.
    imap_account: str | None = None
    imap_folder: str = "INBOX"
    # The most of one kind a digest shows (reconnects rotate through their candidates).
    caps: Mapping[str, int] = field(default_factory=lambda: {"reconnect": 3})
    # Items scoring below this (0..100, followup.ranking) are left out of the digest.
    min_score: float = 30.0
    to_given: bool = False  # [digest] to written in the config (not the default)


@dataclass(frozen=True)
class NlpSettings:
    pipeline: str = "auto"  # auto | rules | model
    batch_size: int = 64


@dataclass(frozen=True)
class Config:
    me: MeSettings = MeSettings()
    storage_url: str = ""
    mail: tuple[SourceSettings, ...] = ()
    calendars: tuple[SourceSettings, ...] = ()
    rules: RuleSettings = RuleSettings()
    digest: DigestSettings = DigestSettings()
    nlp: NlpSettings = NlpSettings()
    path: Path | None = None
    home: Path = field(default_factory=followup_home)

    def database_url(self) -> str:
        if self.storage_url:
            return self.storage_url
        return f"sqlite:///{self.home / 'followup.db'}"

    def model_identity_cache(self) -> Path | None:
        """Where the model files' hash is cached (nlp.pipeline.installed), in the home:
        a quiet run and the analysis process read no model file to name the pipeline."""
        return self.home / "model-identity.json" if self.home.is_dir() else None


_TOP_KEYS = {"me", "storage", "mail", "calendar", "rules", "digest", "nlp"}
_ME_KEYS = {"name", "addresses", "domains", "timezone"}
_RULE_DURATIONS = {
    "reply_after",
    "follow_up_after",
    "follow_up_max",
    "promise_soon",
    "waiting_grace",
    "reconnect_min",
    "after_meeting_within",
    "before_meeting_within",
    "lookback",
}
_RULE_NUMBERS = {"follow_up_factor", "reconnect_factor", "reconnect_min_exchanges"}
_RULE_LISTS = {"important", "mute"}
_DIGEST_KEYS = {
    "to",
    "from",
    "at",
    "max_items",
    "send_empty",
    "subject",
    "smtp",
    "imap_account",
    "imap_folder",
    "caps",
    "min_score",
}
_SMTP_KEYS = {
    "host",
    "port",
    "security",
    "username",
    "password_command",
    "password_env",
    "password_keyring",
    "allow_insecure",
    "timeout",
}


def load_config(path: Path | None = None, *, must_exist: bool = True) -> Config:
    """Read and validate the config at ``path`` (or the default lookup).

    Raises UserError listing every problem found, each naming the key and the fix.
    """
    path = path or default_config_path()
    if not path.exists():
        if must_exist:
            raise UserError(
                f"No config file at {path}: run 'followup init' to write one, or pass --config FILE"
            )
        return Config(path=None)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise UserError(f"{path}: not valid TOML: {e}") from e
    except UnicodeDecodeError as e:
        raise UserError(f"{path}: not UTF-8 text (byte {e.start}): save the config as UTF-8") from e
    except RecursionError as e:  # arrays nested thousands deep
        raise UserError(f"{path}: not valid TOML: nested too deeply") from e
    except OSError as e:
        raise UserError(f"{path}: cannot read the config: {e.strerror or e}") from e
    return parse_config(data, path=path)


def parse_config(data: dict[str, Any], *, path: Path | None = None) -> Config:
    """Validate a parsed TOML document; see load_config."""
    problems: list[str] = []
    where = f"{path}: " if path else ""

    def problem(msg: str) -> None:
        problems.append(where + msg)

    for key in data:
        if key not in _TOP_KEYS:
            problem(f"unknown section [{key}]; known: {', '.join(sorted(_TOP_KEYS))}")

    me = _parse_me(_table(data, "me", problem), problem)
    storage = _table(data, "storage", problem)
    for key in storage:
        if key != "url":
            problem(f"unknown key storage.{key}; known: url")
    storage_url = storage.get("url", "")
    scheme = storage_url.partition(":")[0].partition("+")[0] if isinstance(storage_url, str) else ""
    if not isinstance(storage_url, str) or (
        storage_url and scheme not in ("sqlite", "postgresql", "postgres")
    ):
        problem(
            'storage.url must be a sqlite:/// or postgresql:// URL, e.g. "sqlite:///~/followup.db"'
        )
        storage_url = ""
    storage_url = _expand_sqlite_url(storage_url)

    mail = _parse_sources(data.get("mail", []), "mail", problem, calendar=False)
    calendars = _parse_sources(data.get("calendar", []), "calendar", problem, calendar=True)
    rules = _parse_rules(_table(data, "rules", problem), problem)
    digest = _parse_digest(_table(data, "digest", problem), problem, me)
    nlp = _parse_nlp(_table(data, "nlp", problem), problem)
    if digest.imap_account is not None and not any(
        m.name == digest.imap_account and m.kind == "imap" for m in mail
    ):
        problem(
            f"digest.imap_account = {digest.imap_account!r} names no [[mail]] account of "
            'kind "imap"; use the name of one, or set [digest.smtp] instead'
        )

    if problems:
        raise UserError(problems)
    home = followup_home()
    return Config(
        me=me,
        storage_url=storage_url,
        mail=mail,
        calendars=calendars,
        rules=rules,
        digest=digest,
        nlp=nlp,
        path=path,
        home=home,
    )


def _table(data: dict[str, Any], key: str, problem: Any) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        problem(f"[{key}] must be a table")
        return {}
    return value


def _str_list(value: Any, key: str, problem: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problem(f'{key} must be a list of strings, e.g. ["a@example.com"]')
        return ()
    return tuple(value)


def _parse_me(t: dict[str, Any], problem: Any) -> MeSettings:
    for key in t:
        if key not in _ME_KEYS:
            problem(f"unknown key me.{key}; known: {', '.join(sorted(_ME_KEYS))}")
    addresses = tuple(
        a.strip().lower() for a in _str_list(t.get("addresses", []), "me.addresses", problem)
    )
    for a in addresses:
        bad = address_problem(a, "me.addresses")
        if bad:
            problem(bad)
    # Without the key, the domains of the user's own addresses (public providers aside):
    # with none, every colleague would count as outside. ``domains = []`` means none.
    domains = (
        tuple(
            d.strip().lower().lstrip("@")
            for d in _str_list(t.get("domains", []), "me.domains", problem)
        )
        if "domains" in t
        else own_domains(addresses)
    )
    tz = t.get("timezone", "UTC")
    try:
        ZoneInfo(str(tz))
    except (ZoneInfoNotFoundError, ValueError):
        problem(f'me.timezone: unknown time zone {tz!r}; use an IANA name like "Europe/Paris"')
        tz = "UTC"
    name = t.get("name", "")
    if not isinstance(name, str):
        problem("me.name must be a string")
        name = ""
    return MeSettings(name=name, addresses=addresses, domains=domains, timezone=str(tz))


def _parse_sources(
    value: Any, section: str, problem: Any, *, calendar: bool
) -> tuple[SourceSettings, ...]:
    from connectors import CALENDAR_KINDS, MAIL_KINDS, source_class

    kinds = CALENDAR_KINDS if calendar else MAIL_KINDS
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        problem(f"[[{section}]] must be an array of tables")
        return ()
    out: list[SourceSettings] = []
    seen: set[str] = set()
    for i, t in enumerate(value, 1):
        label = f"[[{section}]] #{i}"
        if not isinstance(t, dict):
            problem(f"{label} must be a table")
            continue
        name = t.get("name")
        if not isinstance(name, str) or not name.strip():
            problem(f'{label}: missing name = "..." (a short label, e.g. "work")')
            name = f"{section}{i}"
        label = f'[[{section}]] "{name}"'
        if name in seen:
            problem(f"{label}: the name is used twice; each {section} needs its own name")
        seen.add(name)
        kind = t.get("kind")
        if kind not in kinds:
            problem(f"{label}: kind = {kind!r} is not one of {', '.join(sorted(kinds))}")
            continue
        options = {k: v for k, v in t.items() if k not in ("name", "kind")}
        try:
            cls = source_class(kind, calendar=calendar)
        except ImportError as e:
            problem(f"{label}: kind {kind!r} is not available: {e}")
            continue
        unknown = [k for k in options if k not in cls.KEYS]
        for key in unknown:
            problem(
                f"{label}: unknown key {key!r} for kind {kind!r}; "
                f"known: {', '.join(sorted(cls.KEYS))}"
            )
        if not unknown:
            for line in _source_problems(cls, name, options):
                problem(f"{label}: {line}")
        out.append(SourceSettings(name=name, kind=kind, options=options))
    return tuple(out)


def _source_problems(
    cls: MailSourceClass | CalendarSourceClass, name: str, options: dict[str, Any]
) -> list[str]:
    """The source's own check of its options (``from_config``), as config problems.

    What the path on disk is like (missing, not a Maildir) is left to sync: a drive not
    mounted fails that source for the run (exit 1) while the others still sync.
    """
    from connectors.errors import SourceConfigError

    try:
        source = cls.from_config(name, dict(options))
    except SourceConfigError as e:
        path = options.get("path")
        on_disk = f"path {str(Path(str(path)).expanduser())!r}" if path else None
        return [line for line in e.problems if not (on_disk and line.startswith(on_disk))]
    except (TypeError, ValueError) as e:  # a source that does not say which option
        return [f"bad option: {e}"]
    source.close()
    return []


_NUMBER_RANGES = {
    "follow_up_factor": (0.1, 100.0),
    "reconnect_factor": (0.1, 100.0),
    "reconnect_min_exchanges": (1, 10_000),
}


def _parse_rules(t: dict[str, Any], problem: Any) -> RuleSettings:
    kwargs: dict[str, Any] = {}
    for key, value in t.items():
        if key in _RULE_DURATIONS:
            try:
                kwargs[key] = parse_duration(str(value))
            except ValueError as e:
                problem(f"rules.{key}: {e}")
        elif key in _RULE_NUMBERS:
            low, high = _NUMBER_RANGES[key]
            whole = key == "reconnect_min_exchanges"
            kind = int if whole else int | float
            if (
                not isinstance(value, kind)
                or isinstance(value, bool)
                or not math.isfinite(value)
                or not low <= value <= high
            ):
                what = "a whole number" if whole else "a number"
                problem(f"rules.{key} must be {what} from {low} to {high}, not {value!r}")
            else:
                kwargs[key] = int(value) if whole else float(value)
        elif key in _RULE_LISTS:
            addresses = tuple(v.strip().lower() for v in _str_list(value, f"rules.{key}", problem))
            for a in addresses:
                bad = address_problem(a, f"rules.{key}")
                if bad:
                    problem(bad)
            kwargs[key] = addresses
        else:
            known = sorted(_RULE_DURATIONS | _RULE_NUMBERS | _RULE_LISTS)
            problem(f"unknown key rules.{key}; known: {', '.join(known)}")
    return RuleSettings(**kwargs)


def _parse_digest(t: dict[str, Any], problem: Any, me: MeSettings) -> DigestSettings:
    for key in t:
        if key not in _DIGEST_KEYS:
            problem(f"unknown key digest.{key}; known: {', '.join(sorted(_DIGEST_KEYS))}")
    kwargs: dict[str, Any] = {"to_given": bool(t.get("to"))}
    default_to = me.addresses[0] if me.addresses else ""
    for key, field_name, default in (("to", "to", default_to), ("from", "sender", None)):
        value = t.get(key, kwargs.get("to", "") if default is None else default)
        if not isinstance(value, str):
            problem(f'digest.{key} must be a string, e.g. "penny@example.com"')
            value = ""
        elif key in t and value and not _is_mailbox(value):
            shown = repr(value) if len(value) <= 60 else repr(value[:57] + "...")
            problem(
                f'digest.{key}: {shown} is not an email address, e.g. "Penny <penny@example.com>"'
            )
        kwargs[field_name] = value
    if "at" in t:
        try:
            hh, mm = str(t["at"]).split(":")
            kwargs["at"] = time(int(hh), int(mm))
        except ValueError:
            problem(f'digest.at: {t["at"]!r} is not a time; use "HH:MM", e.g. "07:30"')
    if "max_items" in t:
        value = t["max_items"]
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1000:
            problem("digest.max_items must be a whole number from 1 to 1000")
        else:
            kwargs["max_items"] = value
    for key in ("send_empty",):
        if key in t:
            if not isinstance(t[key], bool):
                problem(f"digest.{key} must be true or false")
            else:
                kwargs[key] = t[key]
    for key in ("subject", "imap_account", "imap_folder"):
        if key in t:
            if not isinstance(t[key], str) or not t[key].strip():
                problem(f"digest.{key} must be a non-empty string")
            else:
                kwargs[key] = t[key]
    if "subject" in kwargs:
        try:
            kwargs["subject"].format(count=1, date="", summary="")
        except (KeyError, IndexError, ValueError, AttributeError):
            problem(
                "digest.subject: use only {count}, {date} and {summary} as placeholders "
                "(write {{ and }} for braces)"
            )
    if "caps" in t:
        kwargs["caps"] = _parse_caps(t["caps"], problem)
    if "min_score" in t:
        value = t["min_score"]
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or not 0 <= value <= 100
        ):
            problem(f"digest.min_score must be a number from 0 to 100, not {value!r}")
        else:
            kwargs["min_score"] = float(value)
    smtp = t.get("smtp")
    if smtp is not None:
        if not isinstance(smtp, dict):
            problem("[digest.smtp] must be a table")
        else:
            kwargs["smtp"] = _parse_smtp(smtp, problem)
    return DigestSettings(**kwargs)


def _parse_caps(value: Any, problem: Any) -> dict[str, int]:
    """[digest] caps = { reconnect = 3, follow_up = 4 }: the most of a kind shown a day."""
    from followup.nudges import KIND_ORDER

    caps = {"reconnect": 3}
    if not isinstance(value, dict):
        problem("digest.caps must be a table, e.g. caps = { reconnect = 3 }")
        return caps
    for kind, n in value.items():
        if kind not in KIND_ORDER:
            problem(f"digest.caps.{kind}: not a kind of nudge; known: {', '.join(KIND_ORDER)}")
        elif isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= 1000:
            problem(f"digest.caps.{kind} must be a whole number from 0 to 1000, not {n!r}")
        else:
            caps[kind] = n
    return caps


def _is_mailbox(value: str) -> bool:
    """One address, bare or with a display name ("Penny <penny@example.com>")."""
    from email.utils import getaddresses

    if any(c in value for c in "\r\n\0,"):
        return False
    found = getaddresses([value])
    return len(found) == 1 and is_address(found[0][1])


def _parse_smtp(t: dict[str, Any], problem: Any) -> SmtpSettings:
    for key in t:
        if key not in _SMTP_KEYS:
            problem(f"unknown key digest.smtp.{key}; known: {', '.join(sorted(_SMTP_KEYS))}")
    if "password" in t:
        problem(
            "digest.smtp.password: passwords are not read from the config file; "
            "use password_command, password_env or password_keyring"
        )
    security = t.get("security", "ssl")
    if security not in ("ssl", "starttls", "none"):
        problem('digest.smtp.security must be "ssl", "starttls" or "none"')
    host = t.get("host")
    if not host:
        problem('digest.smtp.host is missing, e.g. host = "smtp.example.com"')
    elif not isinstance(host, str):
        problem('digest.smtp.host must be a string, e.g. host = "smtp.example.com"')
        host = ""
    port = t.get("port", 465 if security == "ssl" else 587)
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        problem("digest.smtp.port must be a number from 1 to 65535")
        port = 465
    if security == "none" and t.get("allow_insecure") is not True:
        problem('digest.smtp.security = "none" needs allow_insecure = true (loopback only)')
    timeout = t.get("timeout", 30)
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, int | float)
        or not math.isfinite(timeout)
        or not 1 <= timeout <= 3600
    ):
        problem("digest.smtp.timeout must be a number of seconds from 1 to 3600")
        timeout = 30
    command = t.get("password_command")
    if command is not None and not (
        (isinstance(command, str) and command.strip())
        or (isinstance(command, list) and command and all(isinstance(c, str) for c in command))
    ):
        problem('digest.smtp.password_command must be a command, e.g. ["pass", "show", "smtp"]')
        command = None
    for key in ("username", "password_env"):
        if key in t and not isinstance(t[key], str):
            problem(f"digest.smtp.{key} must be a string")
    keyring = t.get("password_keyring")
    if keyring is not None and not isinstance(keyring, bool | str):
        problem("digest.smtp.password_keyring must be true, false or a keyring service name")
        keyring = None
    if "allow_insecure" in t and not isinstance(t["allow_insecure"], bool):
        problem("digest.smtp.allow_insecure must be true or false")
    return SmtpSettings(
        host=str(host or ""),
        port=port,
        security=str(security),
        username=str(t.get("username", "")),
        password_command=command,
        password_env=t.get("password_env") if isinstance(t.get("password_env"), str) else None,
        password_keyring=keyring,
        allow_insecure=t.get("allow_insecure") is True,
        timeout=float(timeout),
    )


def _parse_nlp(t: dict[str, Any], problem: Any) -> NlpSettings:
    kwargs: dict[str, Any] = {}
    for key, value in t.items():
        if key == "pipeline":
            if value not in ("auto", "rules", "model"):
                problem('nlp.pipeline must be "auto", "rules" or "model"')
            else:
                kwargs["pipeline"] = value
        elif key == "batch_size":
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10_000:
                problem("nlp.batch_size must be a whole number from 1 to 10000")
            else:
                kwargs["batch_size"] = value
        else:
            problem(f"unknown key nlp.{key}; known: batch_size, pipeline")
    return NlpSettings(**kwargs)


def _expand_sqlite_url(url: str) -> str:
    """Expand ~ in sqlite URLs so "sqlite:///~/x.db" works as users expect."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and url[len(prefix) :].startswith("~"):
        return prefix + str(Path(url[len(prefix) :]).expanduser())
    return url


def parse_since(value: Any) -> date | None:
    """A `since` value from config or the CLI: a TOML date or "YYYY-MM-DD"."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))
