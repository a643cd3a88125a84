"""Parsing: front matter, the module grammar and text blocks, into a positioned AST."""

from .parser import parse_module

__all__ = ["parse_module"]
