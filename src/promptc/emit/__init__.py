"""Lowering to the portable IR, bundle emission and the lockfile."""
