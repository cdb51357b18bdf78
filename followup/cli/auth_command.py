"""followup auth NAME: get the first OAuth2 token of an XOAUTH2 mail account."""

from __future__ import annotations

import logging
import sys
from typing import Any, NoReturn

import click

from followup.cli.context import AppContext, pass_app
from followup.errors import UserError

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
    """Authorise followup to read an OAuth2 (Gmail, Microsoft 365) mail account.

    NAME is a [[mail]] account with auth = "xoauth2", or a Gmail API / Google Calendar
    source (kind = "gmail" / "google"). Opens the provider's consent page,
    receives the answer on 127.0.0.1, saves the token to oauth_token_file (mode 0600)
    and logs in once to check it.

    \b
    Example usage:
        followup auth work
        followup auth work --no-browser      # print the URL only
        followup auth work --port 8765       # fixed port, e.g. for ssh -L 8765:127.0.0.1:8765
    """
    from connectors.errors import ConnectorError
    from connectors.imap import ImapMailSource, settings_from_options
    from connectors.imap_auth import write_token_file
    from connectors.oauth_client import oauth_client_from_options
    from connectors.oauth_flow import FlowTimeout, authorize

    if _google_sources(app, name):  # kind = "gmail" / "google": see _auth_google
        _auth_google(
            app, name, no_browser=no_browser, timeout=timeout, port=port, no_verify=no_verify
        )
        return
    options = _xoauth2_options(app, name)
    try:
        settings = settings_from_options(name, options)
        client = oauth_client_from_options(name, options)
    except ConnectorError as e:
        raise UserError([f"{name}: {line}" for line in e.message.splitlines()]) from e
    assert settings.oauth_token_file is not None

    def show_url(url: str) -> None:
        click.echo(
            f"Open this URL in a browser and allow access for {settings.username}:\n\n"
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
            login_hint=settings.username,
            port=port,
        )
    except FlowTimeout as e:
        _fail(f"{e}: run `followup auth {name}` again (--timeout to wait longer)")
    except ConnectorError as e:
        _fail(str(e))
    path = settings.oauth_token_file
    write_token_file(path, token)
    if not token.get("refresh_token"):
        click.echo(
            f"Warning: {name}: the provider gave no refresh token, so the token stops working "
            "when it expires (check the scope; Microsoft needs offline_access)",
            err=True,
        )
    if no_verify:
        click.echo(f"Token saved to {path}")
        return
    source = ImapMailSource(name, settings)
    try:
        source.probe()
    except ConnectorError as e:
        _fail(f"Token saved to {path}, but the login failed: {e}")
    finally:
        source.close()
    click.echo(f"Token saved to {path}; logged in to {settings.host} as {settings.username}")


def _xoauth2_options(app: AppContext, name: str) -> dict[str, Any]:
    """The [[mail]] table ``name``, which must be IMAP with auth = "xoauth2"."""
    accounts = {m.name: m for m in app.config.mail}
    mail = accounts.get(name)
    if mail is None:
        known = ", ".join(sorted(accounts)) or "none"
        raise UserError(f"no [[mail]] account named {name!r} (configured: {known})")
    if mail.kind != "imap" or mail.options.get("auth") != "xoauth2":
        raise UserError(
            f'{name}: followup auth is for IMAP accounts with auth = "xoauth2" and '
            f'oauth_token_file set (this one is kind = "{mail.kind}", '
            f'auth = "{mail.options.get("auth", "password")}")'
        )
    return dict(mail.options)


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
    from connectors.errors import ConnectorError
    from connectors.gmail_settings import SCOPES
    from connectors.google_auth import CALENDAR_READONLY, authorize_google_source
    from followup.sync import build_source

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
    source = build_source(settings, calendar=calendar)
    try:
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
