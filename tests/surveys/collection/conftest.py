"""Tests of submission and reminder waves."""
