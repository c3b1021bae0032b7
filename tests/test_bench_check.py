"""The `check` benchmark row runs end to end (its requests asserted; no timing: `make bench`)."""

from __future__ import annotations

import pytest

from bench.check_coverage import VAULTS, check_row, expected_requests, run_check
from provisioner.emulator import Emulator

pytestmark = pytest.mark.slow  # end-to-end: each test runs the real CLI or processes


def test_check_row_lists_three_times_for_a_thousand_vaults(emulator: Emulator) -> None:
    run = run_check(emulator)
    assert (run.vaults, run.with_gaps) == (VAULTS, VAULTS)
    assert run.traffic.total == expected_requests() == 12  # 1 + 1 + 10 pages of vaults
    assert run.traffic.item_reads == 0
    assert "1000 vaults" in check_row(run)
