"""The composition root: settings and the ``cadre`` command line."""
