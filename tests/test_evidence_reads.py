"""The evidence reads (provisioner.azure.evidence) through the real SDK clients against the
emulator: fired alerts and their history, protected VMs, instance views, and what they cost."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from provisioner.azure.client import Azure
from provisioner.azure.evidence import EvidenceReader
from provisioner.azure.settings import AzureSettings
from provisioner.check import agents, history
from provisioner.check.evidence import read_agents, read_alerts
from provisioner.emulator import Emulator
from provisioner.evidence import AlertTimeRange
from provisioner.ids import ResourceId
from tests.emulator.conftest import AG_ID, EVIDENCE_SEED, RULE_PATH, VAULT_ID, VM_PATH
from tests.seeds import DEFAULT_SUBSCRIPTION, rule_seed

VAULT = ResourceId.parse(VAULT_ID)


@pytest.fixture
def evidence(world: Emulator) -> Emulator:
    world.control.reset(seed=EVIDENCE_SEED)
    world.control.clear_requests()
    return world


@pytest.fixture
def reader(evidence: Emulator) -> Iterator[EvidenceReader]:
    with Azure(AzureSettings.from_env(evidence.env())) as azure:
        yield EvidenceReader(azure)


def test_protected_vms_are_read_by_json_name(reader: EvidenceReader) -> None:
    items = {i.name: i for i in reader.list_protected_vms(VAULT)}
    assert set(items) == {"vm-app", "vm-db"}
    db = items["vm-db"]
    assert db.vm == ResourceId.parse(f"{VM_PATH}/vm-db")
    assert db.last_backup_status == "Failed"
    assert db.last_backup_error is not None
    assert "UserErrorGuestAgentStatusUnavailable" in db.last_backup_error
    assert items["vm-app"].last_backup_error is None


def test_instance_views_give_agent_and_power_state(reader: EvidenceReader) -> None:
    app = reader.vm_instance(ResourceId.parse(f"{VM_PATH}/vm-app"))
    db = reader.vm_instance(ResourceId.parse(f"{VM_PATH}/vm-db"))
    off = reader.vm_instance(ResourceId.parse(f"{VM_PATH}/vm-off"))
    gone = reader.vm_instance(ResourceId.parse(f"{VM_PATH}/vm-gone"))
    assert (agents.agent_status(app), agents.power_state(app)) == ("Ready", "running")
    assert (agents.agent_status(db), agents.power_state(db)) == ("Not Ready", "running")
    assert db.agent_version == "Unknown"
    assert (agents.agent_status(off), agents.power_state(off)) == ("Unknown", "deallocated")
    assert not gone.found


def test_agents_find_the_stopped_agent_and_report_the_deallocated_vm(
    evidence: Emulator, reader: EvidenceReader
) -> None:
    evidence.control.seed(
        {
            "subscriptions": [
                {
                    "id": DEFAULT_SUBSCRIPTION,
                    "resourceGroups": [
                        {
                            "name": "rg-backup",
                            "location": "japaneast",
                            "vaults": [
                                {
                                    "name": "RSV-OFF",
                                    "location": "japaneast",
                                    "protectedItems": [{"vm": "vm-off"}],
                                }
                            ],
                        }
                    ],
                }
            ]
        }
    )
    off_vault = ResourceId.parse(VAULT_ID.replace("RSV-JPE-LRS", "RSV-OFF"))
    evidence.control.clear_requests()
    found = {a.protected.name: a for a in read_agents(reader, [VAULT, off_vault])}
    assert found["vm-db"].problem is not None
    assert found["vm-db"].problem.code == agents.AGENT_NOT_READY
    assert "RdAgent" in found["vm-db"].problem.message
    assert "waagent" in found["vm-db"].problem.message
    assert found["vm-app"].problem is None
    assert (found["vm-off"].problem, found["vm-off"].power) == (None, "deallocated")
    assert "deallocated" in found["vm-off"].note
    counters = _arm(evidence.control.counters())
    # One protected-item list per vault, one instance view per VM: nothing else.
    lists = {k: v for k, v in counters.items() if "protected" in k.lower()}
    views = {k: v for k, v in counters.items() if "instanceview" in k.lower()}
    assert sum(lists.values()) == 2, counters
    assert sum(views.values()) == 3, counters
    assert sum(counters.values()) == 5, counters


def test_stopping_an_agent_is_seen_at_once(evidence: Emulator, reader: EvidenceReader) -> None:
    vm = f"{VM_PATH}/vm-app"
    evidence.control.set_agent(vm, "Not Ready")
    found = {a.protected.name: a for a in read_agents(reader, [VAULT])}
    assert found["vm-app"].status == "Not Ready"
    assert found["vm-app"].problem is not None
    evidence.control.set_agent(vm, "Ready")
    found = {a.protected.name: a for a in read_agents(reader, [VAULT])}
    assert found["vm-app"].problem is None


def test_fired_alert_routed_to_the_oncall_group_reads_as_notified(
    evidence: Emulator, reader: EvidenceReader
) -> None:
    alert_id = evidence.control.fire_alert(VAULT_ID)["alertId"]
    evidence.control.clear_requests()
    found = read_alerts(reader, [DEFAULT_SUBSCRIPTION], [VAULT], timedelta(days=1), _now())
    (one,) = found.evidence
    assert one.alert.guid == alert_id
    assert one.outcome == history.NOTIFIED
    assert one.vault == VAULT
    assert [r.rule.lower() for r in one.rules] == [f"{RULE_PATH}/apr-backup".lower()]
    assert [g.lower() for g in one.triggered] == [AG_ID.lower()]
    counters = _arm(evidence.control.counters())
    assert counters == {"GET alerts.getAll": 1, "GET alerts.getHistory": 1}  # one list, one history


def test_suppressed_alert_names_the_rule_and_is_a_problem(
    evidence: Emulator, reader: EvidenceReader
) -> None:
    _put_suppression(evidence)
    evidence.control.fire_alert(VAULT_ID)
    found = read_alerts(reader, [DEFAULT_SUBSCRIPTION], [VAULT], timedelta(days=7), _now())
    (one,) = found.evidence
    assert one.outcome == history.SUPPRESSED
    assert any(r.rule.lower().endswith("/apr-quiet") for r in one.rules)
    problem = history.undelivered_problem(found.of(VAULT), "then")
    assert problem is not None
    assert problem.code == history.ALERT_NOT_DELIVERED
    assert "apr-quiet" in problem.message.lower()


def test_alerts_outside_the_window_or_on_other_targets_are_left_out(
    evidence: Emulator, reader: EvidenceReader
) -> None:
    evidence.control.fire_alert(VAULT_ID, firedAt=(_now() - timedelta(days=3)).isoformat())
    evidence.control.fire_alert(f"{VM_PATH}/vm-app", alertRule="CPU high", severity="Sev3")
    one_day = read_alerts(reader, [DEFAULT_SUBSCRIPTION], [VAULT], timedelta(days=1), _now())
    assert one_day.evidence == ()
    custom = read_alerts(reader, [DEFAULT_SUBSCRIPTION], [VAULT], timedelta(days=4), _now())
    assert len(custom.evidence) == 1


def test_many_alerts_are_one_paged_list_and_one_history_each(
    evidence: Emulator, reader: EvidenceReader
) -> None:
    evidence.control.settings(pageSize=2)
    for _ in range(5):
        evidence.control.fire_alert(VAULT_ID)
    evidence.control.clear_requests()
    found = read_alerts(reader, [DEFAULT_SUBSCRIPTION], [VAULT], timedelta(days=1), _now())
    assert len(found.evidence) == 5
    counters = _arm(evidence.control.counters())
    histories = sum(v for k, v in counters.items() if "history" in k.lower())
    assert histories == 5, counters
    # pageCount=250 asks for few pages; the emulator honours it over its own page size.
    assert sum(counters.values()) - histories <= 3, counters


def test_named_and_custom_time_ranges() -> None:
    now = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
    assert AlertTimeRange.last(timedelta(days=7), now) == AlertTimeRange(time_range="7d")
    assert AlertTimeRange.last(timedelta(days=30), now) == AlertTimeRange(time_range="30d")
    assert AlertTimeRange.last(timedelta(days=3), now) == AlertTimeRange(
        custom_time_range="2026-11-30T10:00:00Z/2026-12-03T10:00:00Z"
    )


def _arm(counters: dict[str, int]) -> dict[str, int]:
    """ARM requests only (not the sign-in)."""
    return {k: v for k, v in counters.items() if " auth." not in k}


def _now() -> datetime:
    return datetime.now(UTC) + timedelta(seconds=1)


def _put_suppression(world: Emulator) -> None:
    world.control.seed(
        rule_seed(
            f"{RULE_PATH}/apr-quiet",
            {"scopes": [VAULT_ID], "actions": [{"actionType": "RemoveAllActionGroups"}]},
        )
    )
