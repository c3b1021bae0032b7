"""The Azure region names a spec may give as a location (docs/azure-behaviour.md#action-group-regions)."""

from __future__ import annotations

import difflib
from typing import Final

# `az account list-locations` names (and Azure.Core's AzureLocation list) of the public cloud,
# Azure Government and Azure China, plus the two canary regions. A region Microsoft opens after
# this list was written is refused until it is added here: say so in the message.
REGIONS: Final = frozenset(
    {
        # Americas
        "eastus", "eastus2", "centralus", "northcentralus", "southcentralus", "westcentralus",
        "westus", "westus2", "westus3", "canadacentral", "canadaeast", "brazilsouth",
        "brazilsoutheast", "mexicocentral", "chilecentral", "centraluseuap", "eastus2euap",
        # Europe
        "northeurope", "westeurope", "uksouth", "ukwest", "francecentral", "francesouth",
        "germanywestcentral", "germanynorth", "germanycentral", "germanynortheast",
        "switzerlandnorth", "switzerlandwest", "norwayeast", "norwaywest", "swedencentral",
        "swedensouth", "polandcentral", "italynorth", "spaincentral", "austriaeast",
        "belgiumcentral",
        # Asia Pacific
        "eastasia", "southeastasia", "japaneast", "japanwest", "koreacentral", "koreasouth",
        "australiaeast", "australiasoutheast", "australiacentral", "australiacentral2",
        "centralindia", "southindia", "westindia", "jioindiacentral", "jioindiawest",
        "newzealandnorth", "indonesiacentral", "malaysiawest",
        # Middle East and Africa
        "uaenorth", "uaecentral", "qatarcentral", "israelcentral", "southafricanorth",
        "southafricawest",
        # Azure Government
        "usgovvirginia", "usgovtexas", "usgovarizona", "usgoviowa", "usdodeast", "usdodcentral",
        # Azure China (21Vianet)
        "chinaeast", "chinaeast2", "chinaeast3", "chinanorth", "chinanorth2", "chinanorth3",
    }
)  # fmt: skip

GLOBAL = "global"


def region_key(location: str) -> str:
    """`Japan East` and `japaneast` are one region to ARM: compare without spaces or case."""
    return location.replace(" ", "").lower()


def is_known_location(location: str) -> bool:
    """True for Global or a region in REGIONS, in either spelling."""
    key = region_key(location)
    return key == GLOBAL or key in REGIONS


def closest_regions(location: str) -> list[str]:
    """The regions (or global) a misspelled location most likely meant: `japaneest` is one
    letter from both japaneast and japanwest."""
    return difflib.get_close_matches(
        region_key(location), sorted({GLOBAL, *REGIONS}), n=2, cutoff=0.8
    )
