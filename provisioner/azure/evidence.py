"""Read-only evidence calls: fired alerts and their history, a vault's protected VMs, VM instance views."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Final, TypeVar

from azure.mgmt.alertsmanagement import AlertsManagementClient
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.recoveryservicesbackup import RecoveryServicesBackupClient

from provisioner.azure.client import Azure
from provisioner.azure.errors import READER_ROLE, calling, not_found_code
from provisioner.azure.mappings import fired_alerts, protected_vms, vm_instances
from provisioner.errors import AzureError
from provisioner.evidence import AlertTimeRange, FiredAlert, ProtectedVm, VmInstance
from provisioner.ids import ResourceId

log = logging.getLogger(__name__)
T = TypeVar("T")

# Alerts of vaults only: a server-side filter (it accepts the full type), checked again by the
# caller, as the service's matching of it is not documented.
VAULT_ALERT_TYPE: Final = "microsoft.recoveryservices/vaults"
# The most alerts one page may hold without the context (spec: pageCount 1-250): fewer list
# calls against the limit of about 100 per minute per subscription.
ALERTS_PAGE_COUNT: Final = 250


class EvidenceReader:
    """The calls `check --since` and `check --agents` make, over the facade's clients (one
    session, one request count), each SDK error wrapped once into AzureError."""

    def __init__(self, azure: Azure) -> None:
        self.azure = azure

    def _call(self, action: str, fn: Callable[[], T]) -> T:
        return calling(action, READER_ROLE, self.azure.settings, fn, self.azure.clients.pacer.clock)

    def list_fired_alerts(self, subscription: str, window: AlertTimeRange) -> list[FiredAlert]:
        """Every alert fired on a vault of the subscription in the window (one paged list)."""
        alerts = self.azure.clients.extra(subscription, AlertsManagementClient).alerts
        found = self._call(
            f'listing fired alerts in subscription "{subscription}"',
            lambda: list(
                alerts.get_all(
                    target_resource_type=VAULT_ALERT_TYPE,
                    time_range=window.time_range,
                    custom_time_range=window.custom_time_range,
                    page_count=ALERTS_PAGE_COUNT,
                )
            ),
        )
        return [fired_alerts.from_arm(a, subscription) for a in found]

    def with_history(self, alert: FiredAlert) -> FiredAlert | None:
        """The alert with its history (one GET); None when Azure no longer has it (kept 30 days)."""
        alerts = self.azure.clients.extra(alert.subscription, AlertsManagementClient).alerts
        try:
            found = self._call(
                f"reading the history of alert {alert.guid}",
                lambda: alerts.get_history(alert.guid),
            )
        except AzureError as error:
            if not_found_code(error) is None:
                raise
            log.info("alert %s is gone: %s", alert.id, error)
            return None
        return replace(alert, history=fired_alerts.history_from_arm(found))

    def list_protected_vms(self, vault: ResourceId) -> list[ProtectedVm]:
        """The vault's Azure VM protected items (one paged list)."""
        client = self.azure.clients.extra(vault.subscription, RecoveryServicesBackupClient)
        rg = vault.resource_group or ""
        found = self._call(
            f"listing the protected VMs of {vault.describe()}",
            lambda: list(
                client.backup_protected_items.list(
                    vault.name, rg, filter=protected_vms.AZURE_VM_FILTER
                )
            ),
        )
        return [protected_vms.from_arm(item, vault) for item in found]

    def vm_instance(self, vm: ResourceId) -> VmInstance:
        """The VM's instance view (one GET); a VM Azure no longer has reads as not found."""
        client = self.azure.clients.extra(vm.subscription, ComputeManagementClient)
        rg = vm.resource_group or ""
        try:
            view = self._call(
                f'reading the instance view of VM "{vm.name}" (rg "{rg}")',
                lambda: client.virtual_machines.instance_view(rg, vm.name),
            )
        except AzureError as error:
            if not_found_code(error) is None:
                raise
            return vm_instances.not_found(vm)
        return vm_instances.from_arm(view, vm)
