"""Tests of the scheduler role in real processes."""
