"""What makes ballots secret and tamper-evident.

The sealed ballot box, the ballot ledger and the audit trail.
"""
