"""Use cases after the box is opened: opening it, outcomes, reports, summaries, appeals."""
