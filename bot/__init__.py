"""The Telegram bot (built in the Telegram bot issue; nothing here yet)."""
