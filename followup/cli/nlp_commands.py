"""``followup extract`` and ``followup evaluate``: thin commands over ``nlp``.

The integrator registers them on the root group::

    from followup.cli.nlp_commands import evaluate, extract
    cli.add_command(extract)
    cli.add_command(evaluate)
"""

from __future__ import annotations

import json
import sys
from typing import TextIO

import click

from followup.errors import UserError

pipeline_option = click.option(
    "--pipeline",
    "prefer",
    type=click.Choice(["auto", "rules", "model"]),
    default="auto",
    show_default=True,
    help="Which NLP pipeline to use (auto: the English model where installed).",
)


@click.command()
@click.option("--jsonl", "jsonl", is_flag=True, required=True, help="Read and write JSON lines.")
@pipeline_option
@click.option(
    "--input",
    "input_",
    type=click.File("r", encoding="utf-8"),
    default="-",
    help="Read from this file instead of stdin.",
)
def extract(jsonl: bool, prefer: str, input_: TextIO) -> None:
    """Find requests, commitments, due dates and people in texts.

    Reads JSON lines {"id", "text", "date"?, "from_me"?, "tz"?} on stdin and writes one
    JSON line per input: {"id", "findings": [...], "people": [...]}.

    \b
    Example usage:
        echo '{"id": 1, "text": "Can you send the deck by Friday?"}' | followup extract --jsonl
    """
    from nlp import load_pipeline
    from nlp.jsonl import InputError, run_jsonl

    pipeline = load_pipeline(prefer)
    try:
        for line in run_jsonl(input_, pipeline):
            click.echo(line)
    except InputError as exc:
        raise UserError(str(exc)) from None


@click.command()
@click.option(
    "--data",
    "data",
    type=click.Path(file_okay=False),
    default=None,
    help="Folder of labelled JSONL (default: $FOLLOWUP_SHARED_DATA or ../shared/data/nlp).",
)
@pipeline_option
@click.option("json_", "--json", is_flag=True, help="Output as JSON")
def evaluate(data: str | None, prefer: str, json_: bool) -> None:
    """Score the findings against labelled data: precision, recall, F1 per corpus.

    \b
    Example usage:
        followup evaluate --data ../shared/data/nlp --pipeline rules
    """
    from nlp import load_pipeline
    from nlp.corpora import find_data_dir
    from nlp.evaluate import format_table, run

    data_dir = find_data_dir(data)
    if data_dir is None:
        where = data or "$FOLLOWUP_SHARED_DATA or ../shared/data/nlp"
        raise UserError(f"No labelled data found in {where}; give --data DIR.")
    if not json_ and sys.stderr.isatty():
        click.echo(f"Evaluating on {data_dir} ...", err=True)
    report = run(load_pipeline(prefer), data_dir)
    if json_:
        click.echo(json.dumps(report, indent=2))
    else:
        click.echo(format_table(report))
