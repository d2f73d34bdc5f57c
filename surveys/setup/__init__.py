"""Use cases before a campaign opens: HR accounts, rosters, campaigns, invitations, channels."""
