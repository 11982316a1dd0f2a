"""`python -m fased` runs the CLI."""

from fased.cli.main import main

main()
