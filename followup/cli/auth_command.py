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

    NAME is a [[mail]] account with auth = "xoauth2". Opens the provider's consent page,
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
    from connectors.oauth_client import oauth_client_from_options
    from connectors.oauth_flow import FlowTimeout, authorize
    from connectors.oauth_token import write_token_file

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
