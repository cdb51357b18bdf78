"""Command-line interface (filled in by the application)."""

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Keep your relationships from going quiet by accident."""
