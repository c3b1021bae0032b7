"""A local emulator of Azure Resource Manager for action groups, processing rules and vaults."""

from __future__ import annotations

from provisioner.emulator.client import EmulatorControl, EmulatorControlError
from provisioner.emulator.persistence import StateFileError
from provisioner.emulator.seed import SeedError
from provisioner.emulator.server import Emulator

__all__ = ["Emulator", "EmulatorControl", "EmulatorControlError", "SeedError", "StateFileError"]
