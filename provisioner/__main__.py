"""`python -m provisioner` runs the alertsync command."""

from provisioner.cli import main

main()
