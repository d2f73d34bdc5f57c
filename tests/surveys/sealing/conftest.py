"""Tests of the sealed box, the ledgers, and the attackers who hold the database files."""
