"""Compiled prompts for other tools: request bodies for the OpenAI and Anthropic APIs
(`requests`), a promptfoo configuration (`promptfoo`), and the token and cost report of
`promptc tokens` (`budget`). Everything starts from bundles as `compile_project` makes them.
"""

from .requests import ANTHROPIC_DEFAULT_MAX_TOKENS, ExportError, anthropic_body, openai_body
from .schema import clean_schema, strict_ok, strict_problem

__all__ = ["ANTHROPIC_DEFAULT_MAX_TOKENS", "ExportError", "anthropic_body", "clean_schema", "openai_body",
           "strict_ok", "strict_problem"]
