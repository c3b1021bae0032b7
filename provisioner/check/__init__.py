"""Checks of what the configuration does: test notifications, routing coverage, evidence."""
