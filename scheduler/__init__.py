"""The scheduler role: reminder waves and lifecycle jobs (built in the reminders issue)."""
