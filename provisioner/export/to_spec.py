"""Canonical models → spec documents (plain dicts in the spec language): the inverse of desired.py.

Each kind's entry is written by its export half (provisioner.export.kinds).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from provisioner import kinds
from provisioner.export.behaviour.common import Document, SpecContext, put
from provisioner.export.kinds import EXPORT_KINDS
from provisioner.ids import ResourceId
from provisioner.model import Resource

__all__ = ["API_VERSION", "Document", "SpecContext", "file_document"]

API_VERSION: Final = "alertsync/v1"


def file_document(context: SpecContext, resources: Sequence[Resource]) -> Document:
    """A spec file in the docs' key order, sections in the kinds' order, entries by ID; file
    defaults make the entries short."""
    document: Document = {
        "apiVersion": API_VERSION,
        "owner": context.owner,
        "subscription": context.subscription,
        "resourceGroup": context.resource_group,
    }
    for kind in kinds.KINDS:
        of_kind = sorted((r for r in resources if r.KIND is kind), key=_by_id)
        put(document, kind.section, [EXPORT_KINDS[kind].entry(r, context) for r in of_kind])
    return document


def _by_id(resource: Resource) -> ResourceId:
    return resource.id
