from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from followup.cli import cli
from followup.cli.nlp_commands import evaluate, extract


def test_extract_jsonl_one_line_per_input() -> None:
    lines = [
        {"id": "a", "text": "Can you send the deck by Friday?", "date": "2024-02-21T10:00:00-06:00",
         "tz": "America/Chicago"},
        {"id": 2, "text": "The meeting went well."},
        {"id": "c", "text": "I'll call you tomorrow.", "date": "2024-02-21T10:00:00Z",
         "from_me": True},
    ]  # fmt: skip
    stdin = "\n".join(json.dumps(x) for x in lines) + "\n\n"
    result = CliRunner().invoke(extract, ["--jsonl", "--pipeline", "rules"], input=stdin)
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.output.splitlines()]
    assert [o["id"] for o in out] == ["a", 2, "c"]
    first = out[0]["findings"][0]
    assert first["kind"] == "request"
    assert first["owner"] == "reader"
    assert first["action"] == "send the deck"
    assert first["due"] == "2024-02-23T23:59:00-06:00"
    assert first["firm"] is True
    assert out[1]["findings"] == []
    (promise,) = [f for f in out[2]["findings"] if f["kind"] == "commitment"]
    assert (promise["owner"], promise["firm"]) == ("writer", True)
    assert promise["due"] == "2024-02-22T23:59:00+00:00"
    assert set(out[0]) == {"id", "findings", "people"}


def test_extract_rejects_bad_json() -> None:
    result = CliRunner().invoke(cli, ["extract", "--jsonl", "--pipeline", "rules"], input="{nope\n")
    assert (result.exit_code, result.stderr.splitlines()) == (
        2,
        ["Error: line 1: not JSON (Expecting property name enclosed in double quotes)"],
    )


def test_extract_rejects_missing_text() -> None:
    result = CliRunner().invoke(
        cli, ["extract", "--jsonl", "--pipeline", "rules"], input='{"id": 1}\n'
    )
    assert (result.exit_code, result.stderr.splitlines()) == (
        2,
        ['Error: line 1: expected an object with a string "text"'],
    )


def test_evaluate_without_data_says_so(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("FOLLOWUP_SHARED_DATA", raising=False)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["evaluate", "--pipeline", "rules"])
    assert result.exit_code == 2
    assert "No labelled data found" in result.stderr


def test_evaluate_on_a_small_labelled_set(tmp_path: Path) -> None:
    rows = [
        {"id": "p1", "text": "Can you send me the file?", "labels": ["intent"]},
        {"id": "p2", "text": "The weather was nice.", "labels": []},
        {"id": "p3", "text": "We should meet.", "labels": []},
    ]
    (tmp_path / "parakweet_train.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    result = CliRunner().invoke(
        evaluate, ["--data", str(tmp_path), "--pipeline", "rules", "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    score = report["corpora"]["parakweet"]["all"]["request"]
    # "We should meet." is a proposal: a false positive against these labels.
    assert (score["tp"], score["fp"], score["fn"]) == (1, 1, 0)
    assert score["precision"] == 0.5


def test_commands_have_help() -> None:
    for command in (extract, evaluate):
        result = CliRunner().invoke(command, ["--help"])
        assert result.exit_code == 0
        assert "Example usage" in result.output


def test_extract_resolves_in_the_dates_own_offset_without_tz() -> None:
    # Wednesday 22:30 at -05:00 is already Thursday in UTC: "tomorrow" is still Thursday.
    line = {"id": 1, "text": "I'll send it tomorrow.", "date": "2024-02-21T22:30:00-05:00"}
    result = CliRunner().invoke(extract, ["--jsonl", "--pipeline", "rules"], input=json.dumps(line))
    assert result.exit_code == 0, result.output
    findings = json.loads(result.output)["findings"]
    assert findings and {f["due"] for f in findings} == {"2024-02-22T23:59:00-05:00"}


def test_extract_links_first_names_to_the_correspondents_given() -> None:
    text = "Hi Dana,\n\nCould you send me the lease by Friday?\n\nThanks,\nKim"
    lines = [
        {"id": 1, "text": text, "correspondents": [
            {"email": "dana.whitfield@example.com"}, {"name": "Kim Grant", "email": "kg@x.example"},
        ]},
        # Two correspondents named Dana: the mention stays a first name.
        {"id": 2, "text": text, "correspondents": [
            {"name": "Dana Whitfield", "email": "dw@example.com"},
            {"name": "Dana Moreau", "email": "dm@example.com"},
        ]},
        {"id": 3, "text": text},
    ]  # fmt: skip
    result = CliRunner().invoke(extract, ["--jsonl"], input="\n".join(map(json.dumps, lines)))
    assert result.exit_code == 0, result.output
    people = {o["id"]: o["people"] for o in map(json.loads, result.output.splitlines())}
    assert people[1] == [
        {"name": "Dana Whitfield", "email": "dana.whitfield@example.com"},
        {"name": "Kim Grant", "email": "kg@x.example"},
    ]
    assert {"name": "Dana"} in people[2] and {"name": "Dana"} in people[3]


def test_extract_rejects_a_correspondent_without_address() -> None:
    line = json.dumps({"id": 1, "text": "Hi Dana", "correspondents": [{"name": "Dana"}]})
    result = CliRunner().invoke(cli, ["extract", "--jsonl"], input=line + "\n")
    assert result.exit_code == 2
    assert 'line 1: each of "correspondents" needs a string "email"' in result.stderr
