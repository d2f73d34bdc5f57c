"""Tests of tables, engines and migrations."""
