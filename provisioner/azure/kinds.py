"""The SDK half of the kind registry: each kind's operations object, list, write and mappings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from provisioner import kinds
from provisioner.azure.arm_lists import SendsRequests
from provisioner.azure.clients import SdkClients
from provisioner.azure.errors import BACKUP_ROLE, MONITORING_ROLE
from provisioner.azure.mappings import action_groups, processing_rules, vaults
from provisioner.kinds import Kind


def _no_unsupported(resource: Any) -> tuple[str, ...]:
    return ()


def _create_or_update(operations: Any, rg: str, name: str, body: Any) -> Any:
    return operations.create_or_update(rg, name, body)


def _patch_and_wait(operations: Any, rg: str, name: str, body: Any) -> Any:
    # A long-running operation in api 2026-11-01: the answer is the vault once it is done.
    return operations.begin_update(rg, name, body).result()


@dataclass(frozen=True, slots=True)
class JsonList:
    """A kind whose lists are read as JSON pages through its SDK client (provisioner.azure.arm_lists)."""

    client: Callable[[SdkClients], SendsRequests]  # the SDK client that sends them
    api_version: str  # the one its typed calls use too


@dataclass(frozen=True, slots=True)
class SdkKind:
    """How one kind is read and written with the SDK."""

    kind: Kind
    operations: Callable[[SdkClients], Any]  # the SDK's operations object of the kind
    list_in_subscription: str  # the name of its subscription-wide list method
    from_arm: Callable[[Any], Any]  # a listed or written resource -> our model
    to_arm: Callable[[Any], Any]  # our model -> the body of its write
    write: Callable[[Any, str, str, Any], Any]  # (operations, rg, name, body) -> as stored
    write_action: str  # the words before the resource in an error: "creating or updating"
    write_role: str  # the built-in role a write needs
    # The parts of a listed resource the model cannot carry ("voiceReceivers[ops]").
    unsupported: Callable[[Any], tuple[str, ...]] = _no_unsupported
    # Lists read as JSON (from_arm then reads the JSON, and the SDK models of writes, which
    # are mappings of the same wire names); None: the SDK's typed list and models.
    list_as_json: JsonList | None = None


SDK_KINDS: Final[dict[Kind, SdkKind]] = {
    kinds.ACTION_GROUP: SdkKind(
        kinds.ACTION_GROUP,
        operations=lambda clients: clients.monitor.action_groups,
        list_in_subscription="list_by_subscription_id",
        from_arm=action_groups.from_arm,
        to_arm=action_groups.to_arm,
        write=_create_or_update,
        write_action="creating or updating",
        write_role=MONITORING_ROLE,
        unsupported=action_groups.unsupported_receivers,
    ),
    kinds.PROCESSING_RULE: SdkKind(
        kinds.PROCESSING_RULE,
        operations=lambda clients: clients.rules.alert_processing_rules,
        list_in_subscription="list_by_subscription",
        from_arm=processing_rules.from_arm,
        to_arm=processing_rules.to_arm,
        write=_create_or_update,
        write_action="creating or updating",
        write_role=MONITORING_ROLE,
        list_as_json=JsonList(lambda clients: clients.rules, processing_rules.API_VERSION),
    ),
    kinds.VAULT: SdkKind(
        kinds.VAULT,
        operations=lambda clients: clients.vaults.vaults,
        list_in_subscription="list_by_subscription_id",
        from_arm=vaults.from_arm,
        to_arm=vaults.to_patch,
        write=_patch_and_wait,
        write_action="updating alert settings of",
        write_role=BACKUP_ROLE,
        list_as_json=JsonList(lambda clients: clients.vaults, vaults.API_VERSION),
    ),
}
