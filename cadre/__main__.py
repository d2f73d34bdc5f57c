"""``python -m cadre`` runs the ``cadre`` command."""

from cadre.cli import main

main()
