"""The review workflow: semantic diffs of builds, pull-request reports, eval records and the
gate that keys them by bundle hash (DESIGN §7).

`snapshot` builds one side of a comparison (the working tree, a git revision, bundle
files), `compare` pairs two sides prompt by prompt, and `markdown`, `textview` and `gate`
turn a comparison into a PR comment, a terminal diff and a CI verdict.
"""
