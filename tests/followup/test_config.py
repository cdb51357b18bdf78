"""Config: every problem listed at once, with the key and the fix; CLI shows them."""

from __future__ import annotations

from click.testing import CliRunner

from followup.cli import cli
from followup.config import load_config
from followup.durations import business_days_between, parse_duration

BAD = """
[me]
addresses = ["penny@example.com", "not-an-address"]
timezone = "Mars/Olympus"
colour = "blue"

[[mail]]
name = "work"
kind = "imapp"

[[mail]]
name = "archive"
kind = "mbox"

[rules]
reply_after = "soon"

[digest.smtp]
host = "smtp.example.com"
password = "hunter2"
"""


def test_every_problem_reported_with_key_and_fix(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(BAD)
    result = CliRunner().invoke(cli, ["--config", str(path), "digest"])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert all(line.startswith(f"Error: {path}: ") for line in lines)
    text = result.stderr
    assert "me.addresses: 'not-an-address' is not an email address" in text
    assert "me.timezone: unknown time zone 'Mars/Olympus'" in text
    assert "unknown key me.colour" in text
    assert "[[mail]] \"work\": kind = 'imapp' is not one of" in text
    assert "rules.reply_after: 'soon' is not a duration" in text
    assert "digest.smtp.password: passwords are not read from the config file" in text
    assert "hunter2" not in result.output + result.stderr  # never echo a secret


def test_missing_config_says_how_to_make_one(tmp_path):
    result = CliRunner().invoke(cli, ["--config", str(tmp_path / "none.toml"), "digest"])
    assert result.exit_code == 2
    assert "No config file at" in result.stderr and "followup init" in result.stderr


def test_invalid_toml_names_the_file_and_line(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("[me\nname='x'\n")
    result = CliRunner().invoke(cli, ["--config", str(path), "sync"])
    assert result.exit_code == 2
    assert f"{path}: not valid TOML" in result.stderr and "line 1" in result.stderr


def test_init_writes_the_example_which_loads(tmp_path):
    path = tmp_path / "new.toml"
    result = CliRunner().invoke(cli, ["--config", str(path), "init"])
    assert result.exit_code == 0, result.output
    cfg = load_config(path)
    assert cfg.me.addresses == ("penny@example.com",)
    assert cfg.mail[0].kind == "imap"
    again = CliRunner().invoke(cli, ["--config", str(path), "init"])
    assert again.exit_code == 2 and "--force" in again.stderr


def test_durations():
    assert parse_duration("3 business days").business
    assert parse_duration("2d").delta.days == 2
    assert parse_duration("6 weeks").delta.days == 42
    assert str(parse_duration("1 business day")) == "1 business day"


def test_business_days_skip_weekends():
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("America/Chicago")
    fri = datetime(2026, 3, 13, 22, 0, tzinfo=UTC)  # Fri 17:00 Chicago
    assert business_days_between(fri, datetime(2026, 3, 15, 18, 0, tzinfo=UTC), tz) == 0  # Sun
    assert business_days_between(fri, datetime(2026, 3, 16, 14, 0, tzinfo=UTC), tz) == 1  # Mon
    assert business_days_between(fri, datetime(2026, 3, 24, 14, 0, tzinfo=UTC), tz) == 7


def _me(tmp_path, lines: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "me.toml"
    path.write_text(f'[me]\n{lines}\n[[mail]]\nname = "a"\nkind = "mbox"\npath = "{tmp_path}"\n')
    return load_config(path).me


def test_domains_default_to_the_users_own_but_not_public_providers(tmp_path):
    mine = (
        'addresses = ["kim@acme.example", "kim.lee@gmail.com", "k@yahoo.co.uk",'
        ' "k@Lab.Acme.Example"]'
    )
    assert _me(tmp_path, mine).domains == ("acme.example", "lab.acme.example")
    # Said explicitly, the list is what the user wrote, empty included.
    assert _me(tmp_path, mine + '\ndomains = ["corp.example"]').domains == ("corp.example",)
    assert _me(tmp_path, mine + "\ndomains = []").domains == ()
    only_public = 'addresses = ["kim.lee@gmail.com", "kim@hotmail.fr"]'
    assert _me(tmp_path, only_public).domains == ()
