"""`python -m promptc …` is the `promptc` command (the same entry point)."""

from .fast import main

main()
