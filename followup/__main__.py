from followup.cli import cli

cli()
