"""`alertsync export`: live models → spec YAML → the same models; and the real command end to end."""

from __future__ import annotations

import dataclasses
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from provisioner.export.build import (
    SCHEMA_URL,
    Export,
    ExportError,
    Snapshot,
    SpecFile,
    choose_owner,
    export,
    summary_lines,
    variable_namings,
)
from provisioner.export.io import schema_reference, write_files
from provisioner.export.spec_yaml import reads_back, to_yaml
from provisioner.ids import ACTION_GROUP_TYPE, ResourceId
from provisioner.model import (
    MANAGED_BY_TAG,
    MANAGED_BY_VALUE,
    OWNER_TAG,
    ActionGroup,
    AlertProcessingRule,
    ArmRoleReceiver,
    Condition,
    EmailReceiver,
    Recurrence,
    Resource,
    Schedule,
    Secret,
    SmsReceiver,
    VaultAlertSettings,
    WebhookReceiver,
    make_tags,
)
from provisioner.spec import desired
from provisioner.spec import files as spec_files
from provisioner.spec.yaml_loader import load_yaml
from tests.builders import OWNER, SUB, group, group_id, owned_tags, rule, vault_id
from tests.e2e import SEED_SCENARIO, alertsync, write_spec
from tests.properties import examples
from tests.seeds import DEFAULT_SEED

FOREIGN_GROUP = ResourceId.for_resource(SUB, "rg-shared", ACTION_GROUP_TYPE, "ag-noc")
OTHER_SCOPE = ResourceId.parse(
    f"/subscriptions/{SUB}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm1"
)


# --- a live world with every feature ---------------------------------------------------------


def _every_condition() -> tuple[Condition, ...]:
    built = (
        Condition.build("Severity", "Equals", ["Sev1", "Sev0"]),
        Condition.build("SignalType", "NotEquals", ["Metric"]),
        Condition.build("TargetResource", "Contains", ["rsv-"]),
        Condition.build("AlertContext", "DoesNotContain", ["SQLDataBase;MSSQLSERVER;scratch"]),
        Condition.build("MonitorService", "Equals", ["Azure Backup"]),
        Condition.build("Description", "NotEquals", ["yes"]),  # a YAML 1.1 boolean, as text
    )
    return tuple(sorted(built, key=lambda c: c.field))


def _every_recurrence() -> tuple[Recurrence, ...]:
    return (
        Recurrence("Daily", "22:00:00", "06:00:00"),
        Recurrence("Weekly", days_of_week=("Sunday", "Saturday")),
        Recurrence("Weekly", "01:00:00", "02:00:00", days_of_week=("Monday",)),
        Recurrence("Monthly", "01:00:00", "03:00:00", days_of_month=(1, 15)),
    )


def _oncall(tags: tuple[tuple[str, str], ...]) -> ActionGroup:
    return group(
        "ag-oncall",
        owner=None,
        tags=tags,
        email_receivers=(
            EmailReceiver("backup-team", "backup-team@example.com"),
            EmailReceiver("oncall", "oncall@example.com", True),
        ),
        sms_receivers=(SmsReceiver("duty-phone", "81", "09012345678"),),
        webhook_receivers=(
            WebhookReceiver("ops hook", Secret("https://hooks.example.com/ops?key=s3cret"), True),
            WebhookReceiver(
                "secured",
                Secret("https://hooks.example.com/secured"),
                use_aad_auth=True,
                object_id="11111111-1111-1111-1111-111111111111",
                identifier_uri="api://alert-receiver",
                tenant_id="22222222-2222-2222-2222-222222222222",
            ),
        ),
        arm_role_receivers=(ArmRoleReceiver("owners", "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"),),
    )


def _europe(tags: tuple[tuple[str, str], ...]) -> ActionGroup:
    eu = dataclasses.replace(
        group("ag-europe", owner=None, tags=tags, enabled=False, location="swedencentral"),
        short_name="backup-eu",
    )
    return dataclasses.replace(eu, id=group_id("ag-europe", "rg-monitoring-eu"))


def _routing(tags: tuple[tuple[str, str], ...]) -> AlertProcessingRule:
    return rule(
        "apr-routing",
        owner=None,
        tags=tags,
        description="Mail on-call: backup job failures",
        scopes=tuple(
            sorted(
                (vault_id(), ResourceId(SUB, "rg-backup-eu"), ResourceId(SUB), OTHER_SCOPE),
            )
        ),
        action_group_ids=tuple(sorted((group_id("ag-oncall"), FOREIGN_GROUP))),
        conditions=_every_condition(),
    )


def _silence(tags: tuple[tuple[str, str], ...]) -> AlertProcessingRule:
    return rule(
        "Night silence (don't page)",  # spaces and apostrophes are valid rule names
        groups=(),
        owner=None,
        tags=tags,
        action_type="RemoveAllActionGroups",
        enabled=False,
        conditions=(),
        schedule=Schedule(
            "2026-12-01T00:00:00", "2027-12-31T23:59:59", "Tokyo Standard Time", _every_recurrence()
        ),
    )


def every_feature(owner: str | None) -> Snapshot:
    """Live models as the SDK mapping makes them: canonical, tagged by `owner` (or untagged)."""
    extra = {"cost-center": "4711", "team": "platform", "note": "1e5"}
    tags = owned_tags(owner, **extra) if owner else make_tags(extra)
    return Snapshot(
        subscription=SUB,
        action_groups=(_oncall(tags), _europe(tags)),
        rules=(_routing(tags), _silence(tags)),
        vaults=(
            VaultAlertSettings(vault_id(), True, False),
            VaultAlertSettings(vault_id("RSV-EU-GRS", "rg-backup-eu"), False, True),
        ),
    )


def resources_of(snapshot: Snapshot) -> dict[ResourceId, Resource]:
    everything: list[Resource] = [*snapshot.action_groups, *snapshot.rules, *snapshot.vaults]
    return {r.id: r for r in everything}


def with_ownership(resource: Resource, owner: str) -> Resource:
    """What the specs declare for a live resource: its tags plus (or with) alertsync's."""
    if isinstance(resource, VaultAlertSettings):
        return resource
    tags = dict(resource.tags) | {MANAGED_BY_TAG: MANAGED_BY_VALUE, OWNER_TAG: owner}
    return dataclasses.replace(resource, tags=make_tags(tags))


def rebuild(result: Export, folder: Path) -> desired.DesiredState:
    """desired.build(load(export)): write the files, load them as `plan` would, with secrets set."""
    write_files(result.files, folder)
    env = {v.name: v.value.value for v in result.variables}
    return desired.build(spec_files.load([folder]), env=env)


# --- round trips -----------------------------------------------------------------------------


@pytest.mark.parametrize("owner", [None, OWNER], ids=["unmanaged", "managed"])
def test_every_feature_round_trips(owner: str | None, tmp_path: Path) -> None:
    live = every_feature(owner)
    result = export(live, owner=None if owner else "brownfield")
    state = rebuild(result, tmp_path)
    expected = {rid: with_ownership(r, result.owner) for rid, r in resources_of(live).items()}
    assert dict(state.resources) == expected
    assert result.skipped == ()


def test_every_feature_owner_and_adopt_hints() -> None:
    unmanaged = export(every_feature(None), owner="brownfield")
    assert unmanaged.owner == "brownfield"
    assert len(unmanaged.unmanaged) == 4  # 2 groups, 2 rules; vaults carry no tags
    managed = export(every_feature(OWNER))
    assert (managed.owner, managed.unmanaged) == (OWNER, ())


def test_one_file_per_resource_group_with_file_defaults() -> None:
    result = export(every_feature(OWNER))
    assert [f.name for f in result.files] == [
        "rg-backup.yaml",
        "rg-backup-eu.yaml",
        "rg-monitoring.yaml",
        "rg-monitoring-eu.yaml",
    ]
    for file in result.files:
        assert file.text.startswith(f"# yaml-language-server: $schema={SCHEMA_URL}\n")
        assert list(file.document)[:4] == ["apiVersion", "owner", "subscription", "resourceGroup"]
        for section in ("actionGroups", "alertProcessingRules", "vaults"):
            for entry in file.document.get(section, ()):
                assert "resourceGroup" not in entry and "subscription" not in entry


def test_rule_references_scopes_conditions_and_schedule_in_spec_language() -> None:
    monitoring = _file(export(every_feature(OWNER)), "rg-monitoring.yaml")
    routing, silence = monitoring["alertProcessingRules"]
    assert routing["scopes"] == [  # in the model's (ID) order
        {"subscription": SUB},
        str(OTHER_SCOPE),
        {"vault": "RSV-JPE-LRS", "resourceGroup": "rg-backup"},
        {"resourceGroup": "rg-backup-eu"},
    ]
    assert routing["actionGroups"] == ["ag-oncall", str(FOREIGN_GROUP)]  # in the export: a name
    assert routing["conditions"] == {
        "severity": ["Sev0", "Sev1"],
        "monitorService": ["Azure Backup"],
        "signalType": {"notEquals": ["Metric"]},
        "targetResource": {"contains": ["rsv-"]},
        "description": {"notEquals": ["yes"]},
        "alertContext": {"doesNotContain": ["SQLDataBase;MSSQLSERVER;scratch"]},
    }
    assert silence["enabled"] is False and silence["suppressNotifications"] is True
    assert silence["schedule"]["recurrences"] == [
        {"daily": {"startTime": "22:00:00", "endTime": "06:00:00"}},
        {"weekly": {"daysOfWeek": ["Sunday", "Saturday"]}},
        {"weekly": {"daysOfWeek": ["Monday"], "startTime": "01:00:00", "endTime": "02:00:00"}},
        {"monthly": {"daysOfMonth": [1, 15], "startTime": "01:00:00", "endTime": "03:00:00"}},
    ]


def test_defaults_are_omitted_and_the_text_reads_like_the_docs() -> None:
    minimal = group("ag-minimal", email_receivers=(EmailReceiver("ops", "ops@example.com"),))
    result = export(Snapshot(SUB, action_groups=(minimal,)))
    assert result.files[0].text == (
        f"# yaml-language-server: $schema={SCHEMA_URL}\n"
        "apiVersion: alertsync/v1\n"
        f"owner: {OWNER}\n"
        f"subscription: {SUB}\n"
        "resourceGroup: rg-monitoring\n"
        "\n"
        "actionGroups:\n"
        "  - name: ag-minimal\n"
        "    shortName: ag-minimal\n"
        "    emailReceivers:\n"
        "      - {name: ops, address: ops@example.com}\n"
    )


def test_webhook_urls_are_never_written_only_variable_names() -> None:
    result = export(every_feature(OWNER))
    text = "".join(f.text for f in result.files)
    assert "hooks.example.com" not in text and "s3cret" not in text
    assert [v.name for v in result.variables] == [
        "ALERTSYNC_WEBHOOK_AG_ONCALL_OPS_HOOK",
        "ALERTSYNC_WEBHOOK_AG_ONCALL_SECURED",
    ]
    lines = summary_lines(result, "exported")
    assert any("ALERTSYNC_WEBHOOK_AG_ONCALL_OPS_HOOK" in line for line in lines)
    assert all("s3cret" not in line for line in lines)


def test_webhook_variable_names_stay_unique() -> None:
    def hooked(name: str, rg: str) -> ActionGroup:
        hook = WebhookReceiver("hook", Secret(f"https://example.com/{rg}"))
        return dataclasses.replace(group(name, webhook_receivers=(hook,)), id=group_id(name, rg))

    result = export(Snapshot(SUB, action_groups=(hooked("ag-x", "rg-a"), hooked("ag_x", "rg-b"))))
    assert [v.name for v in result.variables] == [
        "ALERTSYNC_WEBHOOK_AG_X_HOOK",
        "ALERTSYNC_WEBHOOK_AG_X_HOOK_2",
    ]


def _hooked_in(subscription: str, *names: str) -> Snapshot:
    """A snapshot of `subscription` whose groups each have one webhook receiver `pager`."""
    groups = tuple(
        dataclasses.replace(
            group(name, webhook_receivers=(WebhookReceiver("pager", Secret(f"https://h/{n}")),)),
            id=ResourceId.for_resource(subscription, "rg-monitoring", ACTION_GROUP_TYPE, name),
        )
        for n, name in enumerate(names)
    )
    return Snapshot(subscription, action_groups=groups)


def _variables(snapshots: list[Snapshot]) -> dict[str, list[str]]:
    namings = variable_namings(snapshots)
    return {
        s.subscription: [v.name for v in export(s, naming=namings[s.subscription]).variables]
        for s in snapshots
    }


def test_webhook_variables_of_several_subscriptions_are_unique_and_stable() -> None:
    # The same group and receiver in two subscriptions: one variable would give both one URL.
    prod = _hooked_in("1a2b3c4d-0000-0000-0000-000000000001", "ag-oncall", "ag-prod")
    dev = _hooked_in("5e6f7a8b-0000-0000-0000-000000000002", "ag-oncall", "ag-dev")
    expected = {
        prod.subscription: [
            "ALERTSYNC_WEBHOOK_AG_ONCALL_PAGER_SUB_1A2B3C4D",
            "ALERTSYNC_WEBHOOK_AG_PROD_PAGER",  # only this subscription has it: left as is
        ],
        dev.subscription: [
            "ALERTSYNC_WEBHOOK_AG_DEV_PAGER",
            "ALERTSYNC_WEBHOOK_AG_ONCALL_PAGER_SUB_5E6F7A8B",
        ],
    }
    assert _variables([prod, dev]) == _variables([dev, prod]) == expected
    assert _variables([prod]) == {
        prod.subscription: ["ALERTSYNC_WEBHOOK_AG_ONCALL_PAGER", "ALERTSYNC_WEBHOOK_AG_PROD_PAGER"]
    }


def test_subscriptions_sharing_their_first_digits_are_told_apart_by_the_whole_id() -> None:
    first = _hooked_in("aaaaaaaa-0000-0000-0000-000000000001", "ag-oncall")
    second = _hooked_in("aaaaaaaa-0000-0000-0000-000000000002", "ag-oncall")
    names = _variables([first, second])
    assert names[second.subscription] == [
        "ALERTSYNC_WEBHOOK_AG_ONCALL_PAGER_SUB_AAAAAAAA000000000000000000000002"
    ]
    assert len({n for found in names.values() for n in found}) == 2


def test_same_group_name_in_two_resource_groups_is_referenced_by_id(tmp_path: Path) -> None:
    twin = dataclasses.replace(group("ag-oncall"), id=group_id("AG-ONCALL", "rg-other"))
    routing = rule("apr-jobs", groups=("ag-oncall",))
    routing = dataclasses.replace(
        routing, action_group_ids=tuple(sorted((group_id("ag-oncall"), twin.id)))
    )
    live = Snapshot(SUB, action_groups=(group("ag-oncall"), twin), rules=(routing,))
    result = export(live)
    (entry,) = _file(result, "rg-monitoring.yaml")["alertProcessingRules"]
    assert entry["actionGroups"] == [str(group_id("ag-oncall")), str(twin.id)]
    state = rebuild(result, tmp_path)
    assert state.resources[routing.id] == routing


def test_tags_that_look_like_other_types_are_quoted(tmp_path: Path) -> None:
    odd = ["1e5", "yes", "off", "0123", "22:00", "true", "null", "", "a: b", "#x", "[x]", "0o17"]
    tags = owned_tags(**{f"t{i}": value for i, value in enumerate(odd)})
    result = export(Snapshot(SUB, action_groups=(group(tags=tags),)))
    (entry,) = load_yaml(result.files[0].text).data["actionGroups"]
    assert list(entry["tags"].values()) == [v for _, v in tags if v in odd]
    assert rebuild(result, tmp_path).resources[group_id("ag-oncall")] == group(tags=tags)


@examples(300)
@given(st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{0,12}", fullmatch=True))
def test_plain_words_skip_the_trial_parse_only_when_it_would_agree(word: str) -> None:
    parsed = yaml.safe_load(word) == word and load_yaml(word).data == word
    assert reads_back(word) == parsed


@pytest.mark.parametrize("word", ["Yes", "NO", "on", "Off", "TRUE", "false", "Null"])
def test_yaml_keywords_are_not_plain_words(word: str) -> None:
    assert not reads_back(word)


# --- owners and what is left out --------------------------------------------------------------


def test_owner_comes_from_the_shared_tag() -> None:
    assert choose_owner([group(), rule(owner=None)], None) == OWNER


@pytest.mark.parametrize(
    ("resources", "message"),
    [
        ([group(owner=None)], "give --owner NAME"),
        ([group(owner="a"), rule(owner="b")], "several owners (a, b)"),
    ],
    ids=["none", "several"],
)
def test_owner_unknown_needs_the_option(resources: list[Any], message: str) -> None:
    with pytest.raises(ExportError, match=message.replace("(", r"\(").replace(")", r"\)")):
        choose_owner(resources, None)


def test_invalid_owner_option_is_refused() -> None:
    with pytest.raises(ExportError, match="not valid"):
        choose_owner([], "-bad owner")


def test_other_owners_resources_are_skipped_and_referenced_by_id() -> None:
    theirs = group("ag-theirs", owner="other-team")
    mine = rule("apr-mine", groups=("ag-theirs",))
    result = export(Snapshot(SUB, action_groups=(theirs,), rules=(mine,)), owner=OWNER)
    assert [s.id for s in result.skipped] == [theirs.id]
    (entry,) = result.files[0].document["alertProcessingRules"]
    assert entry["actionGroups"] == [str(theirs.id)]
    assert "actionGroups" not in result.files[0].document
    assert any('managed by owner "other-team"' in line for line in summary_lines(result, "x"))


def test_groups_with_unsupported_receivers_are_skipped() -> None:
    voice = group("ag-voice")
    live = Snapshot(SUB, action_groups=(voice,), unsupported={voice.id: ("voiceReceivers[ops]",)})
    result = export(live)
    assert result.files == ()
    assert "voiceReceivers[ops]" in result.skipped[0].reason


def test_nothing_to_export() -> None:
    result = export(Snapshot(SUB))
    assert result.files == ()
    assert summary_lines(result, "exported") == ["Nothing to export."]


# --- writing files ---------------------------------------------------------------------------


def _file(result: Export, name: str) -> dict[str, Any]:
    return dict(next(f.document for f in result.files if f.name == name))


def test_existing_files_are_not_overwritten_without_force(tmp_path: Path) -> None:
    files = [SpecFile("rg-a.yaml", {}, "new\n")]
    (tmp_path / "rg-a.yaml").write_text("old\n")
    with pytest.raises(ExportError, match="already exists; use --force"):
        write_files(files, tmp_path)
    assert (tmp_path / "rg-a.yaml").read_text() == "old\n"
    write_files(files, tmp_path, force=True)
    assert (tmp_path / "rg-a.yaml").read_text() == "new\n"


def test_a_forced_export_refuses_to_leave_stale_spec_files_behind(tmp_path: Path) -> None:
    # rg-gone.yaml came from an earlier export; its resources are gone from Azure since.
    (tmp_path / "rg-gone.yaml").write_text("old\n")
    (tmp_path / "notes.txt").write_text("not a spec\n")
    files = [SpecFile("rg-a.yaml", {}, "new\n")]
    with pytest.raises(ExportError, match=r"also holds rg-gone\.yaml, which this export does not"):
        write_files(files, tmp_path, force=True)
    assert not (tmp_path / "rg-a.yaml").exists()  # nothing written: all checked first
    (tmp_path / "rg-gone.yaml").unlink()
    write_files(files, tmp_path, force=True)
    assert (tmp_path / "rg-a.yaml").read_text() == "new\n"


def test_output_folder_that_is_a_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "out").write_text("")
    with pytest.raises(ExportError, match="it is a file, not a folder"):
        write_files([SpecFile("rg-a.yaml", {}, "x\n")], tmp_path / "out")


def test_a_file_where_a_subscription_folder_goes_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "sub-a").write_text("")
    files = [SpecFile("sub-b/rg.yaml", {}, "x\n"), SpecFile("sub-a/rg.yaml", {}, "x\n")]
    with pytest.raises(ExportError, match=r"into .*sub-a: it is a file, not a folder"):
        write_files(files, tmp_path)
    assert not (tmp_path / "sub-b").exists()  # refused before anything was written


def test_schema_reference_is_relative_inside_the_repo(tmp_path: Path) -> None:
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "alertsync.schema.json").write_text("{}")
    out = tmp_path / "exported" / "prod"
    assert schema_reference(out, tmp_path) == "../../schemas/alertsync.schema.json"
    assert schema_reference(out, tmp_path / "exported") == SCHEMA_URL
    assert to_yaml({"a": 1}, "x.json").startswith("# yaml-language-server: $schema=x.json\n")


# --- end to end: the real command against the emulator ----------------------------------------

MONITORING = f"/subscriptions/{SUB}/resourceGroups/rg-monitoring"
HOOK_URL = "https://hooks.example.com/alerts?code=s3cret"
HOOK_VARIABLE = "ALERTSYNC_WEBHOOK_LEGACY_ONCALL_OPS_HOOK"


def _brownfield_seed() -> dict[str, Any]:
    """The default world plus what someone clicked together in the portal (no ownership tags)."""
    seed: dict[str, Any] = json.loads(json.dumps(DEFAULT_SEED))  # a deep copy
    groups = seed["subscriptions"][0]["resourceGroups"]
    groups[0]["resources"] = [_legacy_group(), _legacy_rule(), _legacy_silence()]
    groups[1]["vaults"][0]["properties"] = {
        "monitoringSettings": {
            "azureMonitorAlertSettings": {"alertsForAllJobFailures": "Disabled"},
            "classicAlertSettings": {"alertsForCriticalOperations": "Enabled"},
        }
    }
    return seed


def _legacy_group() -> dict[str, Any]:
    return {
        "id": f"{MONITORING}/providers/Microsoft.Insights/actionGroups/legacy-oncall",
        "body": {
            "location": "Global",
            "tags": {"team": "platform"},
            "properties": {
                "groupShortName": "legacy",
                "enabled": True,
                "emailReceivers": [{"name": "oncall", "emailAddress": "oncall@example.com"}],
                "smsReceivers": [
                    {"name": "phone", "countryCode": "81", "phoneNumber": "09012345678"}
                ],
                "webhookReceivers": [
                    {"name": "ops hook", "serviceUri": HOOK_URL, "useCommonAlertSchema": True}
                ],
                "armRoleReceivers": [
                    {"name": "owners", "roleId": "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"}
                ],
            },
        },
    }


def _legacy_rule() -> dict[str, Any]:
    vault = f"/subscriptions/{SUB}/resourceGroups/rg-backup/providers/Microsoft.RecoveryServices/vaults/RSV-JPE-LRS"
    return {
        "id": f"{MONITORING}/providers/Microsoft.AlertsManagement/actionRules/backup failures",
        "body": {
            "location": "Global",
            "properties": {
                "scopes": [vault, f"/subscriptions/{SUB}/resourceGroups/rg-backup"],
                "conditions": [
                    {"field": "Severity", "operator": "Equals", "values": ["Sev1", "Sev0"]},
                    {"field": "AlertRuleName", "operator": "Contains", "values": ["Backup"]},
                ],
                "actions": [
                    {
                        "actionType": "AddActionGroups",
                        "actionGroupIds": [
                            f"{MONITORING}/providers/Microsoft.Insights/actionGroups/legacy-oncall"
                        ],
                    }
                ],
                "description": "Page on backup failures",
                "enabled": True,
            },
        },
    }


def _legacy_silence() -> dict[str, Any]:
    return {
        "id": f"{MONITORING}/providers/Microsoft.AlertsManagement/actionRules/weekend-silence",
        "body": {
            "location": "Global",
            "properties": {
                "scopes": [f"/subscriptions/{SUB}"],
                "actions": [{"actionType": "RemoveAllActionGroups"}],
                "schedule": {
                    "timeZone": "Tokyo Standard Time",
                    "recurrences": [
                        {"recurrenceType": "Weekly", "daysOfWeek": ["Saturday", "Sunday"]},
                        {"recurrenceType": "Daily", "startTime": "22:00:00", "endTime": "06:00:00"},
                    ],
                },
                "enabled": False,
            },
        },
    }


@pytest.fixture
def brownfield(arm_env: dict[str, str], world: Any) -> dict[str, str]:
    """The emulator holding the brownfield world; the env has the webhook variable set."""
    world.control.reset(seed=_brownfield_seed())
    return arm_env | {HOOK_VARIABLE: HOOK_URL}


@pytest.mark.slow
def test_brownfield_export_validate_adopt_then_no_changes(
    brownfield: dict[str, str], tmp_path: Path
) -> None:
    exported = alertsync(brownfield, tmp_path, "export", "--owner", "backup-alerts", "--out", "out")
    assert exported.code == 0, exported.err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "rg-backup.yaml",
        "rg-monitoring.yaml",
    ]
    assert HOOK_VARIABLE in exported.out and "--adopt" in exported.out
    assert HOOK_URL not in exported.out + (tmp_path / "out" / "rg-monitoring.yaml").read_text()
    assert alertsync(brownfield, tmp_path, "validate", "out").code == 0
    adopt = alertsync(
        brownfield, tmp_path, "plan", "out", "--adopt", "--detailed-exitcode", "--format", "json"
    )
    assert adopt.code == 2, adopt.err
    changes = json.loads(adopt.out)["changes"]
    assert {c["action"] for c in changes} == {"adopt"} and len(changes) == 3
    paths = {f["path"] for c in changes for f in c["fields"]}
    assert paths == {"tags[managed-by]", "tags[alertsync-owner]"}  # nothing but the adoption
    applied = alertsync(brownfield, tmp_path, "apply", "out", "--yes", "--adopt")
    assert applied.code == 0, applied.out + applied.err
    after = alertsync(brownfield, tmp_path, "plan", "out", "--detailed-exitcode")
    assert after.code == 0, after.out + after.err


@pytest.mark.slow
def test_export_of_managed_resources_plans_no_changes(
    arm_env: dict[str, str], tmp_path: Path
) -> None:
    write_spec(tmp_path, "backup.yaml", SEED_SCENARIO)
    assert alertsync(arm_env, tmp_path, "apply", "--yes").code == 0
    exported = alertsync(arm_env, tmp_path, "export", "--out", "exported")
    assert exported.code == 0, exported.err
    assert 'owner "backup-alerts"' in exported.out and "--adopt" not in exported.out
    plan = alertsync(arm_env, tmp_path, "plan", "exported", "--detailed-exitcode")
    assert plan.code == 0, plan.out + plan.err
    again = alertsync(arm_env, tmp_path, "export", "--out", "exported")
    assert again.code == 1 and "already exist" in again.err and "--force" in again.err
    assert alertsync(arm_env, tmp_path, "export", "--out", "exported", "--force").code == 0


@pytest.mark.slow
def test_export_one_resource_group_to_stdout(brownfield: dict[str, str], tmp_path: Path) -> None:
    run = alertsync(
        brownfield,
        tmp_path,
        "export",
        "--resource-group",
        "rg-backup",
        "--owner",
        "x",
        "--out",
        "-",
    )
    assert run.code == 0, run.err
    data = load_yaml(run.out).data
    assert data["resourceGroup"] == "rg-backup"
    assert data["vaults"] == [
        {"name": "RSV-JPE-LRS", "jobFailureAlerts": False, "classicAlerts": True}
    ]
    assert "Exported 0 action groups, 0 alert processing rules, 1 vault" in run.err
    assert not list(tmp_path.iterdir())


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--resource-group", "rg-nowhere"], 'resource group "rg-nowhere"'),
        (["--subscription", "11111111-1111-1111-1111-111111111111"], "does not exist"),
        (["--subscription", "not-a-guid"], "not a subscription ID"),
        ([], "give --owner NAME"),
    ],
    ids=["missing-group", "missing-subscription", "bad-subscription", "no-owner"],
)
def test_export_errors_are_one_clear_sentence(
    brownfield: dict[str, str], tmp_path: Path, args: list[str], message: str
) -> None:
    run = alertsync(brownfield, tmp_path, "export", *args)
    assert run.code == 1
    assert message in run.err and "Traceback" not in run.err


# --- any text Azure holds is written so that it reads back identical -------------------------

# Strings that broke the writer (PyYAML's trial parse raised) or that a reviewer cannot see.
NASTY_TEXT = [
    "@team",
    "*alias",
    "!tag",
    "%directive",
    "`backtick",
    "line one\nline two",
    "tab\there",
    "trailing space ",
    " leading space",
    "a: b",
    "- item",
    "? key",
    "#comment",
    "'single'",
    '"double"',
    "C:\\path\\",
    "bell\x07",
    "nul\x00",
    "esc\x1b[31m",
    "\x85next line",
    "line\u2028separator",
    "\u202eevil\u202c",
    "zero\u200bwidth",
    "\ufeffbom",
    "no\u00a0break",
    "emoji \U0001f600 and \U00010348",
    "日本語の説明",
    "~",
    "null",
    "1e5",
    "0x1F",
    "2026-12-01",
    "",
]


def _with_text(value: Any, draw: Any) -> Any:
    """The document with every string (and every tag name) replaced by drawn text."""
    if isinstance(value, str):
        return draw()
    if isinstance(value, list):
        return [_with_text(v, draw) for v in value]
    if isinstance(value, dict):
        return {
            (draw() if k.startswith("tag-") else k): _with_text(v, draw) for k, v in value.items()
        }
    return value


def _every_string_document() -> dict[str, Any]:
    """An exported file holding every kind of string field, tag names made recognisable."""
    tags = owned_tags(**{"tag-a": "x", "tag-b": "y"})
    live = every_feature(None)
    live = dataclasses.replace(
        live,
        action_groups=tuple(dataclasses.replace(g, tags=tags) for g in live.action_groups),
        rules=tuple(dataclasses.replace(r, tags=tags) for r in live.rules),
    )
    documents = [dict(f.document) for f in export(live, owner="brownfield").files]
    return {"files": documents}


EVERY_STRING_DOCUMENT = _every_string_document()


@examples(150)
@given(st.data())
def test_any_text_in_any_string_field_reads_back_identical(data: st.DataObject) -> None:
    document = _with_text(EVERY_STRING_DOCUMENT, lambda: data.draw(st.text()))
    for file in document["files"]:
        text = to_yaml(file)
        loaded = load_yaml(text)
        assert loaded.problems == [] and loaded.data == file
        assert yaml.safe_load(text) == file  # YAML 1.1 readers (PyYAML, editors) agree


@pytest.mark.parametrize("text", NASTY_TEXT, ids=range(len(NASTY_TEXT)))
def test_nasty_text_reads_back_identical(text: str) -> None:
    document = {"description": text, "tags": {text or "t": text}, "values": [text, "x"]}
    assert load_yaml(to_yaml(document)).data == document


@pytest.mark.parametrize("text", ["\u202eevil", "zero\u200bwidth", "no\u00a0break", "bell\x07"])
def test_text_a_reviewer_cannot_see_is_written_as_escapes(text: str) -> None:
    written = to_yaml({"description": text}).splitlines()[1]
    assert written.isascii() and written.startswith('description: "')


def test_a_resource_the_spec_checks_refuse_is_left_out_and_named(tmp_path: Path) -> None:
    # Azure keeps what the spec language refuses (an address without a domain dot): the file
    # must still validate, and the user must learn which resource was left out and why.
    odd = group("ag-intranet", email_receivers=(EmailReceiver("ops", "ops@intranet"),))
    result = export(Snapshot(SUB, action_groups=(odd, group("ag-oncall"))))
    (skipped,) = result.skipped
    assert skipped.id == odd.id
    assert "would not pass validation" in skipped.reason and "emailReceivers[0]" in skipped.reason
    assert set(rebuild(result, tmp_path).resources) == {group_id("ag-oncall")}
    assert any("ag-intranet" in line for line in summary_lines(result, "out"))


def _nasty_seed() -> dict[str, Any]:
    """The default world plus a portal-made group and rule holding every nasty string."""
    seed: dict[str, Any] = json.loads(json.dumps(DEFAULT_SEED))
    group_body = _legacy_group()
    group_body["body"]["tags"] = {f"t{i}": text for i, text in enumerate(NASTY_TEXT)}
    del group_body["body"]["properties"]["webhookReceivers"]
    rule_body = _legacy_rule()
    properties = rule_body["body"]["properties"]
    properties["description"] = "|".join(NASTY_TEXT)
    properties["conditions"] = [
        {"field": "AlertRuleName", "operator": "Contains", "values": [t for t in NASTY_TEXT if t]},
        {"field": "Description", "operator": "DoesNotContain", "values": NASTY_TEXT[:10]},
    ]
    rule_body["body"]["tags"] = group_body["body"]["tags"]
    seed["subscriptions"][0]["resourceGroups"][0]["resources"] = [group_body, rule_body]
    return seed


@pytest.mark.slow
def test_nasty_live_text_exports_validates_adopts_and_plans_clean(
    arm_env: dict[str, str], world: Any, tmp_path: Path
) -> None:
    world.control.reset(seed=_nasty_seed())
    exported = alertsync(arm_env, tmp_path, "export", "--owner", "brownfield", "--out", "out")
    assert exported.code == 0 and "Skipped" not in exported.out, exported.out + exported.err
    assert alertsync(arm_env, tmp_path, "validate", "out").code == 0
    adopt = alertsync(arm_env, tmp_path, "plan", "out", "--adopt", "--format", "json")
    assert adopt.code == 0, adopt.err
    paths = {f["path"] for c in json.loads(adopt.out)["changes"] for f in c["fields"]}
    assert paths == {"tags[managed-by]", "tags[alertsync-owner]"}  # the text itself unchanged
    applied = alertsync(arm_env, tmp_path, "apply", "out", "--yes", "--adopt")
    assert applied.code == 0, applied.out + applied.err
    after = alertsync(arm_env, tmp_path, "plan", "out", "--detailed-exitcode")
    assert after.code == 0, after.out + after.err


@examples(40)
@given(
    description=st.text(max_size=40),
    tag_value=st.text(max_size=40),
    values=st.lists(st.text(min_size=1, max_size=20), min_size=1, max_size=3),
)
def test_any_free_text_round_trips_through_the_specs(
    description: str, tag_value: str, values: list[str]
) -> None:
    live = rule(
        description=description,
        tags=owned_tags(note=tag_value),
        conditions=(Condition.build("AlertContext", "Contains", values),),
    )
    result = export(Snapshot(SUB, action_groups=(group(),), rules=(live,)))
    with tempfile.TemporaryDirectory() as folder:
        assert rebuild(result, Path(folder)).resources[live.id] == live
