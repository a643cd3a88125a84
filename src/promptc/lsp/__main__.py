"""`python -m promptc.lsp`: the language server over stdio (as `promptc lsp`)."""

from .server import serve

serve()
