"""`python -m promptc …` is the `promptc` command."""

from .cli import main

main(prog_name="promptc")
