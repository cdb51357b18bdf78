"""Every user mistake is one clear line on stderr and exit 2, through the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from followup.cli import cli

BASE = """
[me]
name = "Penny Example"
addresses = ["penny@example.com"]
timezone = "America/Chicago"

[storage]
url = "sqlite:///{db}"
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(BASE.format(db=tmp_path / "state.db"))
    return path


def invoke(config: Path, *args: str):
    return CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)


def lines(result) -> list[str]:
    return result.stderr.splitlines()


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["digest", "--now", "9999-12-31T23:59"],
            "Error: --now '9999-12-31T23:59' is out of range: use a date from 1900 to 9000",
        ),
        (
            ["run", "--no-send", "--now", "0001-01-01T00:00"],
            "Error: --now '0001-01-01T00:00' is out of range: use a date from 1900 to 9000",
        ),
        (
            ["digest", "--now", "tomorrow"],
            "Error: --now 'tomorrow' is not an ISO-8601 date/time, e.g. 2026-03-17T07:30",
        ),
        (
            ["done", "99999999999999999999999"],
            "Error: No nudge 99999999999999999999: 'followup digest' lists them with their numbers",
        ),
        (
            ["dismiss", "0"],
            "Error: No nudge 0: 'followup digest' lists them with their numbers",
        ),
        (
            ["reopen", "²"],
            "Error: '²' is not a nudge number: 'followup digest' lists them with their numbers",
        ),
        (
            ["snooze", "9999999 weeks", "1"],
            "Error: '9999999 weeks' is too long: at most 100 years",
        ),
        (
            ["snooze", "99999999999999999999999999 days", "1"],
            "Error: '99999999999999999999999999 days' is too long: at most 100 years",
        ),
        (
            ["snooze", "soonish", "1"],
            "Error: 'soonish' is not a duration: "
            "use e.g. '3 business days', '2 days', '6 weeks', '12 hours'",
        ),
        (
            ["mute", "dana@exa\u202emple.com"],
            "Error: address: 'dana@exa\\u202emple.com' is not an email address, "
            "e.g. dana@example.com",
        ),
        (
            ["important", "not-an-address"],
            "Error: address: 'not-an-address' is not an email address, e.g. dana@example.com",
        ),
        (
            ["unmute", "a@b"],
            "Error: address: 'a@b' is not an email address, e.g. dana@example.com",
        ),
    ],
)
def test_bad_arguments(config, args, line):
    r = invoke(config, *args)
    assert (r.exit_code, lines(r)) == (2, [line])


@pytest.mark.parametrize(
    ("section", "line"),
    [
        ('[rules]\nreply_after = "99999999999 days"\n',
         "rules.reply_after: '99999999999 days' is too long: at most 100 years"),
        ("[rules]\nfollow_up_factor = nan\n",
         "rules.follow_up_factor must be a number from 0.1 to 100.0, not nan"),
        ("[rules]\nfollow_up_factor = inf\n",
         "rules.follow_up_factor must be a number from 0.1 to 100.0, not inf"),
        ("[rules]\nfollow_up_factor = -2\n",
         "rules.follow_up_factor must be a number from 0.1 to 100.0, not -2"),
        ("[rules]\nreconnect_min_exchanges = 2.5\n",
         "rules.reconnect_min_exchanges must be a whole number from 1 to 10000, not 2.5"),
        ('[rules]\nmute = ["dana"]\n',
         "rules.mute: 'dana' is not an email address, e.g. dana@example.com"),
        ("[digest]\nmax_items = 99999999999999999999\n",
         "digest.max_items must be a whole number from 1 to 1000"),
        ('[digest]\nsend_empty = "no"\n', "digest.send_empty must be true or false"),
        ('[digest]\nsubject = "{nope"\n',
         "digest.subject: use only {count}, {date} and {summary} as placeholders "
         "(write {{ and }} for braces)"),
        ('[digest.smtp]\nhost = "smtp.example.com"\ntimeout = "soon"\n',
         "digest.smtp.timeout must be a number of seconds from 1 to 3600"),
        ('[digest.smtp]\nhost = "smtp.example.com"\nport = 99999\n',
         "digest.smtp.port must be a number from 1 to 65535"),
        ("[nlp]\nbatch_size = true\n", "nlp.batch_size must be a whole number from 1 to 10000"),
        ('[digest]\nto = "penny"\n',
         'digest.to: \'penny\' is not an email address, e.g. "Penny <penny@example.com>"'),
        ('[[mail]]\nname = "m"\nkind = "mbox"\npath = "/"\nsince = "yesterday"\n',
         "[[mail]] \"m\": since: expected a date like 2024-01-01, got 'yesterday'"),
        ('[[mail]]\nname = "m"\nkind = "mbox"\npath = "/"\nmax_excerpt = -1\n',
         '[[mail]] "m": max_excerpt must be a whole number of characters >= 0, not -1'),
        ('[[mail]]\nname = "w"\nkind = "imap"\nhost = "h"\nusername = "u"\n'
         'password_env = "P"\nport = 0\n',
         '[[mail]] "w": port must be a number between 1 and 65535, not 0'),
        ('[[calendar]]\nname = "c"\nkind = "ics"\n',
         '[[calendar]] "c": give either path = "..." (an .ics file or a directory of them) '
         'or url = "https://..."'),
    ],
)  # fmt: skip
def test_config_mistakes_exit_2(config, section, line):
    config.write_text(config.read_text() + section)
    for command in (["digest"], ["run", "--no-send"], ["done", "1"]):
        r = invoke(config, *command)
        assert (r.exit_code, lines(r)) == (2, [f"Error: {config}: {line}"]), command


def test_every_config_problem_is_listed_at_once(config):
    config.write_text(
        config.read_text()
        + '[rules]\nfollow_up_factor = nan\nlookback = "forever"\n[nlp]\nbatch_size = 0\n'
    )
    r = invoke(config, "digest")
    assert r.exit_code == 2
    assert len(lines(r)) == 3 and all(x.startswith(f"Error: {config}: ") for x in lines(r))


def test_config_not_utf8(config):
    config.write_bytes(b'[me]\nname = "P\xe9nny"\n')
    r = invoke(config, "digest")
    assert (r.exit_code, lines(r)) == (
        2,
        [f"Error: {config}: not UTF-8 text (byte 14): save the config as UTF-8"],
    )


def test_config_not_toml(config):
    config.write_text("just some words, = not toml\n")
    r = invoke(config, "digest")
    assert r.exit_code == 2 and len(lines(r)) == 1
    assert lines(r)[0].startswith(f"Error: {config}: not valid TOML: ")


def test_config_nested_too_deep(config):
    config.write_text("a = " + "[" * 5000 + "]" * 5000 + "\n")
    r = invoke(config, "digest")
    assert (r.exit_code, lines(r)) == (2, [f"Error: {config}: not valid TOML: nested too deeply"])


def test_missing_source_path_still_fails_only_that_source(config, tmp_path):
    config.write_text(
        config.read_text() + f'[[mail]]\nname = "m"\nkind = "maildir"\npath = "{tmp_path}/no"\n'
    )
    r = invoke(config, "sync")
    assert r.exit_code == 1
    assert lines(r) == [f"Error: m: path '{tmp_path}/no' does not exist"]


def test_extract_bad_input_is_exit_2():
    r = CliRunner().invoke(cli, ["extract", "--jsonl", "--pipeline", "rules"], input="not json\n")
    assert (r.exit_code, r.stderr.splitlines()) == (
        2,
        ["Error: line 1: not JSON (Expecting value)"],
    )


def test_evaluate_without_data_is_exit_2(tmp_path):
    r = CliRunner().invoke(cli, ["evaluate", "--data", str(tmp_path / "none")])
    assert r.exit_code == 2
    assert r.stderr.splitlines() == [
        f"Error: No labelled data found in {tmp_path / 'none'}; give --data DIR."
    ]


def test_connector_errors_reach_the_error_boundary():
    """Whatever command lets one escape: a source's config is exit 2, a failure exit 1."""
    import click

    from connectors.errors import ConnectorError, SourceConfigError
    from followup.cli import FollowupGroup

    group = FollowupGroup("t")

    @group.command()
    @click.argument("which")
    def fail(which: str) -> None:
        if which == "config":
            raise SourceConfigError("work", "port must be a number\nhost is required")
        raise ConnectorError("work", "the server closed the connection", retryable=True)

    r = CliRunner().invoke(group, ["fail", "config"])
    assert (r.exit_code, r.stderr.splitlines()) == (
        2,
        ["Error: work: port must be a number", "Error: work: host is required"],
    )
    r = CliRunner().invoke(group, ["fail", "network"])
    assert (r.exit_code, r.stderr.splitlines()) == (
        1,
        ["Error: work: the server closed the connection"],
    )


def test_storage_url_of_no_known_database(config):
    text = config.read_text()
    config.write_text(text.replace('url = "sqlite:///', 'url = "mysql:///'))
    r = invoke(config, "digest")
    assert (r.exit_code, lines(r)) == (
        2,
        [
            f"Error: {config}: storage.url must be a sqlite:/// or postgresql:// URL, "
            'e.g. "sqlite:///~/followup.db"'
        ],
    )
