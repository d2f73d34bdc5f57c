"""Tests of rosters, campaigns and invitations."""
