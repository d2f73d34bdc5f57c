"""One module per area of the ``cadre`` command; each has ``register(cli)``."""
