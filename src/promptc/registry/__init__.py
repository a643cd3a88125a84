"""Releases: a content-addressed store of bundles, labels, rollouts and a hash-chained audit log."""
