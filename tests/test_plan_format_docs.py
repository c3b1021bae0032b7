"""docs/plan-format.md and the README describe the JSON plan that alertsync really emits.

Each key table of the doc, its example and the README's summary are checked against the
document render_json writes for a plan with one of everything.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

from provisioner.model import VaultSelector
from provisioner.sync.diff import compute
from provisioner.sync.plan import Plan
from provisioner.sync.render import render_json
from provisioner.sync.selectors import Match
from tests.builders import OWNER, SUB, group, rule, rule_id, state, vault, vault_id

REPO = Path(__file__).resolve().parent.parent
DOC = (REPO / "docs" / "plan-format.md").read_text(encoding="utf-8")
README = (REPO / "README.md").read_text(encoding="utf-8")


def emitted() -> dict[str, Any]:
    """A plan with a change of fields, a problem, an orphan, an unsafe reason and a warning."""
    live = state(
        dataclasses.replace(group("ag-oncall"), enabled=True),
        group("ag-legacy", owner=None),
        group("ag-forgotten"),
        vault(job=False),
    )
    desired = state(
        dataclasses.replace(group("ag-oncall"), enabled=False),
        group("ag-legacy"),
        rule(groups=("ag-oncall",)),
        vault(),
    )
    plan = Plan.build(compute(desired, live), live.resources, [OWNER])
    match = Match(VaultSelector(SUB, "rg-backup"), (vault_id(),), "specs/x.yaml:3", rule_id("r"))
    plan = dataclasses.replace(plan, warnings=("a receiver unsubscribed",), selections=(match,))
    assert plan.changes and plan.problems and plan.orphans and plan.unsafe
    data: dict[str, Any] = json.loads(render_json(plan))
    return data


def objects(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each kind of object the doc has a table for, by the table's heading."""
    change = data["changes"][0]
    return {
        "The document": data,
        "A change": change,
        "A field": change["fields"][0],
        "A problem": data["problems"][0],
        "A selection": data["selections"][0],
        "`options`": data["options"],
        "`summary`": data["summary"],
    }


def documented_tables() -> dict[str, list[str]]:
    """Heading → the keys of the table under it, in the doc's order."""
    tables: dict[str, list[str]] = {}
    heading = ""
    for line in DOC.splitlines():
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
        elif key := re.match(r"\| `(\w+)` \|", line):
            tables.setdefault(heading, []).append(key[1])
    return tables


def test_every_key_is_documented_in_the_order_it_is_emitted() -> None:
    tables = documented_tables()
    for heading, obj in objects(emitted()).items():
        assert tables.get(heading) == list(obj), heading
    assert set(tables) == set(objects(emitted()))


def test_the_example_has_the_emitted_keys_in_the_emitted_order() -> None:
    (example,) = re.findall(r"```json\n(.*?)```", DOC, re.DOTALL)
    shown = objects(json.loads(example))
    for heading, obj in objects(emitted()).items():
        assert list(shown[heading]) == list(obj), heading


def test_the_readme_names_every_key_and_the_top_level_in_emitted_order() -> None:
    paragraph = next(p for p in README.split("\n\n") if p.startswith("The JSON plan"))
    names = [name.removesuffix("[]") for name in re.findall(r"`([^`]+)`", paragraph)]
    data = emitted()
    assert [n for n in names if n in data] == list(data)
    for heading, obj in objects(data).items():
        assert set(obj) <= set(names), heading
