"""The domain of cadre assessment: questionnaires, rosters, campaigns, invitations,
ballots and scoring.  Rules are pure functions; use cases take a session passed in.
"""
