"""Tests of the ``cadre`` command, run in-process with Click's runner or as a child."""
