"""Use cases after the box is opened: opening it, outcomes, reports, official forms,
profiles, early warnings, suggestions, summaries, appeals."""
