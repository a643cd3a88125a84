"""One lint rule per module; `lint.registry.RULES` lists them."""
