"""The followup command line. Commands stay thin: parse, call the library, print.

The commands' modules are imported only when their command runs (``COMMANDS``): the
store, the config, rich and the NLP pipeline cost more start-up than a ``--help`` or
a ``digest`` should pay for the others.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import sys
from pathlib import Path
from typing import Any

import click

from followup import __version__
from followup.errors import ConnectorError, FollowupError, SourceConfigError, UserError

logger = logging.getLogger("followup")

# name -> (module, attribute, the short help `followup --help` shows without importing
# the module; tests/followup/test_cli_lazy.py checks it is the command's own).
COMMANDS: dict[str, tuple[str, str, str]] = {
    "auth": ("followup.cli.auth_command", "auth",
             "Authorise followup to read an OAuth2 source (Gmail, Google, Microsoft 365)."),
    "daemon": ("followup.cli.daemon_command", "daemon",
               "Run the full cycle in a loop until stopped (SIGTERM or Ctrl-C)."),
    "demo": ("followup.cli.demo", "demo",
             "Run sync, analysis and planning on the bundled demo data and print the digest."),
    "digest": ("followup.cli.commands", "digest",
               "Show the nudges due now, the top scores first."),
    "dismiss": ("followup.cli.actions", "dismiss",
                "Dismiss nudges that are not worth doing; they will not come back."),
    "doctor": ("followup.cli.doctor", "doctor",
               "Check the config, the database, the NLP pipeline and each source's login."),
    "done": ("followup.cli.actions", "done", "Mark nudges done; they stay done across runs."),
    "evaluate": ("followup.cli.nlp_commands", "evaluate",
                 "Score the findings against labelled data: precision, recall, F1 per corpus."),
    "extract": ("followup.cli.nlp_commands", "extract",
                "Find requests, commitments, due dates and people in texts."),
    "forget": ("followup.cli.privacy", "forget",
               "Remove a person from the store: their mail, findings, nudges and flags."),
    "important": ("followup.cli.actions", "important",
                  "Mark people as important: they get reconnect nudges whatever the history."),
    "init": ("followup.cli.commands", "init", "Write a commented config file to edit."),
    "mute": ("followup.cli.actions", "mute",
             "Never nudge about these people again (until unmuted)."),
    "people": ("followup.cli.actions", "people",
               "List who matters most: strength, last contact, usual rhythm."),
    "person": ("followup.cli.actions", "person",
               "Show one person: history, rhythm, and the open nudges about them."),
    "purge": ("followup.cli.privacy", "purge",
              "Remove mail and meetings from before a date, for good."),
    "reopen": ("followup.cli.actions", "reopen",
               "Reopen nudges marked done, dismissed or snoozed."),
    "run": ("followup.cli.run_command", "run",
            "Run one full cycle: sync, analyse, plan, and send the digest if due."),
    "snooze": ("followup.cli.actions", "snooze",
               "Hide nudges until later (3d, 2 weeks, tomorrow, until Monday, 2026-04-01)."),
    "sync": ("followup.cli.commands", "sync",
             "Read the configured mail and calendar sources into the store."),
    "unmute": ("followup.cli.actions", "unmute", "Nudge about these people again."),
}  # fmt: skip


class FollowupGroup(click.Group):
    """Turns every known error into one clear line on stderr (one place for all), and
    loads each command's module on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(COMMANDS))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module, attribute, _ = COMMANDS[cmd_name]
            self.add_command(getattr(importlib.import_module(module), attribute), cmd_name)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(n) for n in names)
        rows = []
        for name in names:
            # A command not loaded is shortened as click would, from its listed line.
            cmd = self.commands.get(name) or click.Command(name, help=COMMANDS[name][2])
            rows.append((name, cmd.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        from followup.cli.context import AppContext

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
    from followup.cli.context import AppContext

    ctx.obj = AppContext(config_path=config_path, verbose=verbose)


def main() -> None:
    """The program: the CLI, then its exit without the interpreter's teardown.

    A run holds the mailbox's state in memory, hundreds of thousands of objects at 100k
    messages; freeing them one by one at exit took 0.15 s of every such run. Nothing is
    skipped but that: the atexit handlers run (logging's flush among them) and stdout
    and stderr are flushed. With another thread still alive, Python's own exit (which
    waits for it) is kept, as it is under a profiler or a debugger.
    """
    status: str | int | None = 0
    try:
        cli(prog_name="followup")
    except SystemExit as e:
        status = e.code
    import threading

    # Another thread still running, or a profiler or debugger that reports at exit.
    if threading.active_count() > 1 or sys.getprofile() or sys.gettrace():
        sys.exit(status)
    if status is None:
        status = 0
    elif not isinstance(status, int):  # as sys.exit prints a message and exits 1
        sys.stderr.write(f"{status}\n")
        status = 1
    import atexit

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe (`| head`)
            stream.flush()
    os._exit(status)
