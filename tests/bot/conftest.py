"""Tests of the bot core and both runtimes against a fake Bot API."""
