"""Tests of the lifecycle jobs and publication."""
