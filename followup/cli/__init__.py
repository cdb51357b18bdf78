"""The followup command line. Commands stay thin: parse, call the library, print."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

import click

from followup import __version__
from followup.cli.context import AppContext
from followup.errors import ConnectorError, FollowupError, SourceConfigError, UserError

logger = logging.getLogger("followup")


class FollowupGroup(click.Group):
    """Turns every known error into one clear line on stderr (one place for all)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except UserError as e:
            for p in e.problems:
                _error(str(p))
            sys.exit(2)
        except SourceConfigError as e:  # a source's options: the config's mistake
            for line in e.message.splitlines():
                _error(f"{e.source}: {line}")
            sys.exit(2)
        except (FollowupError, ConnectorError) as e:
            _error(str(e))
            sys.exit(1)
        except (click.exceptions.Exit, click.ClickException, SystemExit, KeyboardInterrupt):
            raise
        except Exception as e:
            verbose = ctx.obj.verbose if isinstance(ctx.obj, AppContext) else 0
            if verbose:
                raise
            _error(f"unexpected {_describe(e)} (run with -v for the traceback)")
            sys.exit(1)
        finally:
            if isinstance(ctx.obj, AppContext):
                ctx.obj.close()


def _error(text: str) -> None:
    """One line on stderr: errors quote servers, files and configs, so it is cleaned."""
    from followup.safe_text import clean_line

    click.echo(f"Error: {clean_line(text, 500)}", err=True)


def _describe(e: Exception) -> str:
    """An unexpected error's class and message; a database's without its SQL, parameters
    or PostgreSQL DETAIL (which echo mail). SQLAlchemy is only looked up if it was loaded."""
    exc = sys.modules.get("sqlalchemy.exc")
    if exc is not None and isinstance(e, exc.SQLAlchemyError):
        from followup.store.store import db_error_text

        return db_error_text(e)
    return f"{e.__class__.__name__}: {e}"


@click.group(cls=FollowupGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="followup")
@click.option(
    "--config",
    "-c",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="FOLLOWUP_CONFIG",
    help="Config file (default: $FOLLOWUP_CONFIG, else the platform's config dir).",
)
@click.option("-v", "--verbose", count=True, help="More logging (-vv for debug).")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, verbose: int) -> None:
    """Keep your relationships from going quiet by accident.

    \b
    Example usage:
        followup demo              # try it on the bundled demo data
        followup init              # write a config to edit
        followup run               # sync, analyse, plan, send the digest (cron)
        followup digest            # what needs you now
    """
    level = logging.WARNING - 10 * verbose
    from followup.safe_text import SafeFormatter

    # Log records quote file names, folders and server answers: one clean line each.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(SafeFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=max(level, logging.DEBUG), handlers=[handler])
    # Whatever followup creates (store, lock, demo, tokens) is the owner's alone.
    from followup.private_files import PRIVATE_UMASK

    old_umask = os.umask(PRIVATE_UMASK)
    ctx.call_on_close(lambda: os.umask(old_umask))
    ctx.obj = AppContext(config_path=config_path, verbose=verbose)


def _register() -> None:
    from followup.cli import actions, commands, demo, doctor

    for cmd in (
        commands.init,
        commands.sync,
        commands.digest,
        commands.run,
        doctor.doctor,
        demo.demo,
        actions.done,
        actions.snooze,
        actions.dismiss,
        actions.reopen,
        actions.mute,
        actions.unmute,
        actions.important,
        actions.people,
        actions.person,
    ):
        cli.add_command(cmd)
    from followup.cli.auth_command import auth
    from followup.cli.daemon_command import daemon
    from followup.cli.nlp_commands import evaluate, extract
    from followup.cli.privacy import forget, purge

    for cmd in (auth, daemon, extract, evaluate, forget, purge):
        cli.add_command(cmd)


_register()
