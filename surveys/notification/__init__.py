"""What goes out to people: the outbox, publication, and the lifecycle jobs that drive them."""
