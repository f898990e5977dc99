"""Unit tests of auth/ (no network, no subprocesses)."""
