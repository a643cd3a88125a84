"""The release commands."""

COMMANDS: list = []
