"""Tests of outcomes, reports and shared summaries after the box is opened."""
