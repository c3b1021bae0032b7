"""Tenant-wide reads: the subscriptions a sign-in can see (only `export` asks, so only it imports this)."""

from __future__ import annotations

from dataclasses import dataclass

from azure.mgmt.resource.subscriptions import SubscriptionClient

from provisioner.azure.client import Azure
from provisioner.azure.errors import READER_ROLE, calling


@dataclass(frozen=True, slots=True)
class VisibleSubscription:
    """A subscription the signed-in principal can see (Subscriptions - List)."""

    id: str  # the GUID, lower case
    name: str  # its display name
    state: str  # Enabled, Disabled, Warned, PastDue, Deleted


def list_subscriptions(azure: Azure) -> list[VisibleSubscription]:
    """Every subscription the signed-in principal can see, in ARM's order (pages followed;
    docs/azure-behaviour.md#subscriptions-list), over the facade's session and pacing."""
    client = azure.clients.for_tenant(SubscriptionClient)
    found = calling(
        "listing the subscriptions you can see",
        READER_ROLE,
        azure.settings,
        lambda: list(client.subscriptions.list()),
        azure.clients.pacer.clock,
    )
    return [
        VisibleSubscription(
            str(s.subscription_id or "").lower(),
            str(s.display_name or ""),
            str(s.state or ""),
        )
        for s in found
    ]
