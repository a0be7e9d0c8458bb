"""`python -m recoupe` runs the `recoupe` command."""

from recoupe.web.cli import main

main()
