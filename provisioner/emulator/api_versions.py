"""The api-versions each modelled route accepts: what the SDKs send, plus what az CLI 2.91 sends.

az CLI 2.91 sends 2024-10-01-preview for action groups. actionRules at 2019-05-05-preview
(another body shape) is not modelled: it gets ARM's 400 listing the supported versions.
"""

from __future__ import annotations

ACTION_GROUP_VERSIONS = ("2023-01-01", "2024-10-01-preview")
RULE_VERSIONS = ("2021-08-08",)
VAULT_VERSIONS = ("2026-11-01", "2023-02-01")
SUBSCRIPTION_VERSIONS = (
    "2016-06-01",
    "2019-06-01",
    "2019-11-01",
    "2020-01-01",
    "2021-01-01",
    "2022-12-01",
)
RESOURCE_GROUP_VERSIONS = (
    "2019-10-01",
    "2020-06-01",
    "2021-04-01",
    "2022-09-01",
    "2023-07-01",
    "2024-03-01",
    "2024-07-01",
    "2024-11-01",
    "2025-04-01",
)
ALERT_VERSIONS = ("2019-05-05-preview",)  # azure-mgmt-alertsmanagement 1.0.1
PROTECTED_ITEM_VERSIONS = ("2026-10-01",)  # azure-mgmt-recoveryservicesbackup 11.2.0
COMPUTE_VERSIONS = ("2026-04-01",)  # azure-mgmt-compute 39.0.0
