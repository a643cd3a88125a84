"""Names, types and template checking: from parsed modules to a typed program."""
