"""`python -m promptc`: the same entry point as the `promptc` command."""

from .fast import main

main()
