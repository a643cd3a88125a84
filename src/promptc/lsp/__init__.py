"""The promptc language server (`promptc lsp`): diagnostics, hover, definition, symbols
and completion for `.prompt` modules, over the Language Server Protocol.

It needs the optional dependencies of the `lsp` extra (`pip install 'promptc[lsp]'`).
Everything is computed by `promptc.driver`, as for `promptc check`; the modules here only
decide what to compile and translate results to the protocol (`positions` converts
1-based code-point columns to the LSP's 0-based UTF-16 positions).
"""
