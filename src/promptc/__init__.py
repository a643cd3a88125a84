"""promptc: compile `.prompt` modules into versioned, hash-addressed prompt bundles."""

__version__ = "0.1.0"
