"""Use cases while a campaign is open: ballots from forms and chats, progress, reminder waves."""
