"""`make bench`: alertsync against a naive sequential baseline on the ARM emulator (issue 4 §8)."""
