"""Persistence: SQLModel tables, engines and sessions, queries and migrations.

This package imports nothing else of the project's.
"""
