"""Tests of the pure rules: plain objects in, no database."""
