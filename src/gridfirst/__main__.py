"""``python -m gridfirst`` runs the command line."""

from gridfirst.cli import main

main()
