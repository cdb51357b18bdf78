"""followup auth NAME: get the first OAuth2 token of any source that logs in with OAuth2.

A source says it does through the ``connectors.base.UsesOAuth`` capability; the flow and
the token file are the shared ones (``connectors.oauth_flow``, ``connectors.oauth_token``).
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, Any, NoReturn

import click

from followup.cli.context import AppContext, pass_app
from followup.errors import UserError

if TYPE_CHECKING:
    from connectors.base import CalendarSource, MailSource
    from connectors.oauth_client import OAuthSettings

    Source = MailSource | CalendarSource

logger = logging.getLogger(__name__)


@click.command()
@click.argument("name")
@click.option("--no-browser", is_flag=True, help="Only print the URL; don't open a browser.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    metavar="SECONDS",
    default=300,
    show_default=True,
    help="Seconds to wait for the browser to come back.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    metavar="PORT",
    default=0,
    help="Listen for the redirect on this port (default: any free one).",
)
@click.option("--no-verify", is_flag=True, help="Save the token without logging in to check it.")
@pass_app
def auth(
    app: AppContext, name: str, no_browser: bool, timeout: float, port: int, no_verify: bool
) -> None:
    """Authorise followup to read an OAuth2 source (Gmail, Google, Microsoft 365).

    NAME is a [[mail]] or [[calendar]] source that logs in with OAuth2 (for IMAP:
    auth = "xoauth2"; the Gmail API and Google Calendar sources, kind = "gmail" /
    "google", always). Opens the provider's consent page, receives the answer on
    127.0.0.1, saves the token to the source's token file (mode 0600) and logs in once
    to check it.

    \b
    Example usage:
        followup auth work
        followup auth work --no-browser      # print the URL only
        followup auth work --port 8765       # fixed port, e.g. for ssh -L 8765:127.0.0.1:8765
    """
    from connectors.base import Probing
    from connectors.errors import ConnectorError
    from connectors.oauth_flow import FlowTimeout, authorize
    from connectors.oauth_token import write_token_file

    if _google_sources(app, name):  # kind = "gmail" / "google": see _auth_google
        _auth_google(
            app, name, no_browser=no_browser, timeout=timeout, port=port, no_verify=no_verify
        )
        return
    source, oauth = _oauth_source(app, name)
    try:
        try:
            client = oauth.client(name)
        except ConnectorError as e:
            raise UserError([f"{name}: {line}" for line in e.message.splitlines()]) from e

        def show_url(url: str) -> None:
            whom = f" for {oauth.login_hint}" if oauth.login_hint else ""
            click.echo(
                f"Open this URL in a browser and allow access{whom}:\n\n"
                f"    {url}\n\nWaiting up to {timeout:g} s for the browser...",
                err=True,
            )
            if not no_browser:
                _open_browser(url)

        try:
            token = authorize(
                name,
                client,
                show_url=show_url,
                timeout=timeout,
                login_hint=oauth.login_hint,
                port=port,
            )
        except FlowTimeout as e:
            _fail(f"{e}: run `followup auth {name}` again (--timeout to wait longer)")
        except ConnectorError as e:
            _fail(str(e))
        path = oauth.token_file
        write_token_file(path, token)
        if not token.get("refresh_token"):
            click.echo(
                f"Warning: {name}: the provider gave no refresh token, so the token stops "
                "working when it expires (check the scope; Microsoft needs offline_access)",
                err=True,
            )
        if no_verify or not isinstance(source, Probing):
            click.echo(f"Token saved to {path}")
            return
        try:
            details = source.probe()
        except ConnectorError as e:
            _fail(f"Token saved to {path}, but the login failed: {e}")
        host, user = details.get("host"), details.get("username")
        where = f"logged in to {host} as {user}" if host and user else f"{name} answered"
        click.echo(f"Token saved to {path}; {where}")
    finally:
        source.close()


def _oauth_source(app: AppContext, name: str) -> tuple[Source, OAuthSettings]:
    """The configured source ``name`` (a [[mail]] or a [[calendar]]) and its OAuth
    settings; UserError when there is none or it does not log in with OAuth2."""
    from connectors.base import UsesOAuth
    from connectors.errors import ConnectorError
    from followup.sync import open_calendar_source, open_mail_source

    cfg = app.config
    named = [(s, False) for s in cfg.mail if s.name == name]
    named += [(s, True) for s in cfg.calendars if s.name == name]
    if not named:
        known = ", ".join(sorted({s.name for s in (*cfg.mail, *cfg.calendars)})) or "none"
        raise UserError(f"no source named {name!r} (configured: {known})")
    found: list[tuple[Source, OAuthSettings]] = []
    for settings, calendar in named:
        try:
            source: Source = (
                open_calendar_source(settings) if calendar else open_mail_source(settings)
            )
        except ConnectorError as e:
            raise UserError([f"{name}: {line}" for line in e.message.splitlines()]) from e
        oauth = source.oauth() if isinstance(source, UsesOAuth) else None
        if oauth is None:
            source.close()
        else:
            found.append((source, oauth))
    if len(found) > 1:
        for source, _ in found:
            source.close()
        raise UserError(
            f"{name}: a [[mail]] and a [[calendar]] of this name both use OAuth2: "
            "give them different names"
        )
    if not found:
        settings = named[0][0]
        raise UserError(
            f"{name}: followup auth is for sources that log in with OAuth2 "
            f'(auth = "xoauth2" and oauth_token_file set; this one is kind = '
            f'"{settings.kind}", auth = "{settings.options.get("auth", "password")}")'
        )
    return found[0]


# ---- Google sources (kind = "gmail" under [[mail]], "google" under [[calendar]]) ----
# The flow itself lives in connectors.google_auth (google-auth-oauthlib, PKCE); this
# only picks the scopes, shows the text and checks the token once.


def _google_sources(app: AppContext, name: str) -> list[tuple[Any, bool]]:
    """The Google sources named ``name`` with whether each is a calendar."""
    found = [(m, False) for m in app.config.mail if m.name == name and m.kind == "gmail"]
    found += [(c, True) for c in app.config.calendars if c.name == name and c.kind == "google"]
    return found


def _auth_google(
    app: AppContext, name: str, *, no_browser: bool, timeout: float, port: int, no_verify: bool
) -> None:
    from connectors.base import Probing
    from connectors.errors import ConnectorError
    from connectors.gmail_settings import SCOPES
    from connectors.google_auth import CALENDAR_READONLY, authorize_google_source
    from followup.sync import open_calendar_source, open_mail_source

    sources = _google_sources(app, name)
    settings, calendar = sources[0]
    options = dict(settings.options)
    token_file = options.get("oauth_token_file")
    # One consent for every Google source sharing this token file (Gmail + Calendar).
    scopes: set[str] = set()
    for s in (*app.config.mail, *app.config.calendars):
        if s.kind in ("gmail", "google") and s.options.get("oauth_token_file") == token_file:
            if s.kind == "google":
                scopes.add(CALENDAR_READONLY)
            else:
                scopes.add(SCOPES.get(str(s.options.get("scope", "metadata")), SCOPES["metadata"]))
    try:
        path, token = authorize_google_source(
            name,
            options,
            sorted(scopes),
            show=lambda line: click.echo(line, err=True),
            open_browser=not no_browser,
            port=port,
            timeout=timeout,
        )
    except ConnectorError as e:
        _fail(str(e))
    granted = ", ".join(s.rsplit("/", 1)[-1] for s in token.get("scopes", ()))
    if not token.get("refresh_token"):
        click.echo(
            f"Warning: {name}: Google gave no refresh token; run followup auth again", err=True
        )
    if no_verify:
        click.echo(f"Token saved to {path} (granted: {granted})")
        return
    source: MailSource | CalendarSource = (
        open_calendar_source(settings) if calendar else open_mail_source(settings)
    )
    try:
        if isinstance(source, Probing):
            source.probe()
    except ConnectorError as e:
        _fail(f"Token saved to {path}, but the check failed: {e}")
    finally:
        source.close()
    click.echo(f"Token saved to {path} (granted: {granted}); {name} answered")


def _open_browser(url: str) -> None:
    import webbrowser

    try:
        opened = webbrowser.open(url)
    except webbrowser.Error:
        opened = False
    if not opened:
        logger.info("No browser could be started; open the URL by hand")


def _fail(message: str) -> NoReturn:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)
