"""The hostile-input sweep: bad input of every kind into every command, as a careless or hostile
user would type it, against the emulator.

For each case: the documented exit code, the message (naming FILE:LINE where the input has a
position, else the path or variable), as many lines as there are mistakes, no traceback, and no
write request in the emulator's request log. Cases are data: to add one, append a `Case` to a
table below (or a row to BAD_SPECS, which runs through validate, plan, apply and test-notify).
`pytest tests/test_hostile_inputs.py` prints the count: every case passed is a case answered
correctly.

Cases run in process through the real entry point (`provisioner.cli.main`, with sys.argv and
the streams swapped as click's CliRunner does), so a few hundred take seconds; those that would
hang on a regression (FIFOs) run as the real `alertsync` process, under a timeout. `make test`
runs every case; `make test-fast` runs each BAD_SPECS and TREES row through one command (the
commands taking turns) and every other in-process case.
"""

from __future__ import annotations

import codecs
import json
import os
import re
import subprocess
import sys
import traceback
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner

from provisioner.cli import main
from tests.e2e import alertsync
from tests.seeds import VAULT_NAME

if TYPE_CHECKING:
    from provisioner.emulator import Emulator

SUB = "00000000-0000-0000-0000-000000000000"
SPEC_FILE = "specs/s.yaml"

# A valid spec: each bad spec below is this with one mistake (line numbers refer to it).
SPEC = f"""\
apiVersion: alertsync/v1
owner: sweep
subscription: {SUB}
resourceGroup: rg-monitoring
actionGroups:
  - name: ag-sweep
    shortName: sweep
    emailReceivers:
      - {{name: oncall, address: oncall@example.com}}
"""


def edit(line: int, text: str) -> str:
    """SPEC with line `line` (1-based) replaced by text."""
    lines = SPEC.splitlines()
    lines[line - 1] = text
    return "\n".join(lines) + "\n"


def plus(text: str) -> str:
    """SPEC with text appended."""
    return SPEC + text


RULE = """\
alertProcessingRules:
  - name: apr-sweep
    scopes: [{resourceGroup: rg-backup}]
    actionGroups: [ag-sweep]
"""


@dataclass(frozen=True)
class Case:
    """One hostile input and what alertsync must answer."""

    id: str
    args: tuple[str, ...]
    code: int
    says: str  # a fragment of the message
    at: str | None = (
        None  # in a line that says what is wrong: "specs/s.yaml:7:", "FILE:", "error: "
    )
    files: Mapping[str, str | bytes] = field(default_factory=dict)  # written before the run
    make: Callable[[Path], None] | None = None  # FIFOs, links, …, in the case's folder
    env: Mapping[str, str | None] = field(default_factory=dict)  # over the emulator's env
    lines: int = 1  # stderr lines that say what is wrong (one per mistake)
    real_process: bool = False  # could hang on a regression: run `alertsync` under a timeout
    # Emulator faults added just before the run (EmulatorControl.add_fault keywords): Azure, or
    # something between, answering outside the documented shape.
    faults: tuple[Mapping[str, Any], ...] = ()
    slow: bool = False  # left out of `make test-fast` (real processes are always left out)


# Ten aliases of ten aliases, six levels deep: a million values from a few hundred bytes.
BOMB = "bomb:\n  l0: &l0 [x]\n" + "".join(
    f"  l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]\n" for i in range(1, 7)
)


# --- spec files with one mistake each: through validate, plan, apply --prune and test-notify ---

BAD_SPECS: list[tuple[str, str | bytes, int | None, str]] = [
    # (id, file content, line of the mistake or None when the file as a whole is refused, says)
    ("owner-misspelled", edit(2, "ownr: sweep"), 2, "unknown key 'ownr'; did you mean 'owner'?"),
    ("owner-capitalised", edit(2, "Owner: sweep"), 2, "unknown key 'Owner'; did you mean"),
    ("owner-zero-width", edit(2, "owner\u200b: sweep"), 2, "unknown key 'owner\\u200b'"),
    ("owner-missing", edit(2, "# no owner"), 1, "missing required key 'owner'"),
    ("owner-list", edit(2, "owner: [a, b]"), 2, "owner must be a string"),
    ("owner-5000-digits", edit(2, "owner: " + "7" * 5000), 2, "a number of 5000 digits"),
    ("owner-custom-tag", edit(2, "owner: !custom sweep"), 2, "YAML tag !custom is not supported"),
    (
        "owner-python-tag",
        edit(2, "owner: !!python/object/apply:os.system [id]"),
        2,
        "YAML tag !!python/object/apply:os.system is not supported",
    ),
    ("owner-binary-tag", edit(2, "owner: !!binary c3dlZXA="), 2, "YAML tag !!binary is not"),
    ("owner-int-tag", edit(2, "owner: !!int sweep"), 2, "'sweep' is not a value of YAML tag !!int"),
    ("api-version-unknown", edit(1, "apiVersion: alertsync/v2"), 1, "unknown apiVersion"),
    ("api-version-number", edit(1, "apiVersion: 1"), 1, "apiVersion must be a string"),
    ("subscription-not-guid", edit(3, "subscription: my-sub"), 3, "subscription 'my-sub'"),
    ("subscription-set-tag", edit(3, "subscription: !!set {a}"), 3, "YAML tag !!set"),
    ("resource-group-long", edit(4, "resourceGroup: " + "r" * 91), 4, "is 91 characters"),
    ("resource-group-slash", edit(4, "resourceGroup: rg/../x"), 4, "resourceGroup 'rg/../x'"),
    ("name-empty", edit(6, "  - name: ''"), 6, "name must not be empty"),
    ("name-infinite", edit(6, "  - name: 1e999"), 6, "name must be a string, not the number inf"),
    ("name-null", edit(6, "  - name:"), 6, "name must be a string, not empty (null)"),
    ("short-name-long", edit(7, "    shortName: sweepsweepsweep"), 7, "at most 12"),
    ("short-name-5000-digits", edit(7, "    shortName: " + "9" * 5000), 7, "5000 digits"),
    ("short-name-list", edit(7, "    shortName: [a]"), 7, "shortName must be a string"),
    ("short-name-bool", edit(7, "    shortName: true"), 7, "put it in quotes"),
    ("short-name-float-tag", edit(7, "    shortName: !!float 1"), 7, "must be a string"),
    (
        "email-not-an-address",
        edit(9, "      - {name: oncall, address: not-an-address}"),
        9,
        "is not valid",
    ),
    ("email-control-character", edit(9, "      - {name: a, address: \x07}"), 9, "U+0007"),
    ("receivers-not-a-list", edit(9, "      oops: 1"), 9, "emailReceivers must be a list"),
    ("section-typo", plus("actionGroup: []\n"), 10, "unknown key 'actionGroup'; did you mean"),
    (
        "section-mapping",
        SPEC.split("  - name", maxsplit=1)[0] + "  {}\n",
        6,
        "actionGroups must be a list",
    ),
    (
        "duplicate-key",
        edit(7, "    shortName: a\n    shortName: b"),
        8,
        "duplicate key 'shortName'",
    ),
    ("merge-key", plus("<<: {tags: {}}\n"), 10, "merge keys (<<) are not supported"),
    ("alias-cycle", plus("tags: &t {a: *t}\n"), 10, "a cycle"),
    ("tab-indent", edit(7, "\tshortName: sweep"), 7, "YAML syntax error"),
    ("unclosed-quote", edit(7, '    shortName: "sweep'), 7, "YAML syntax error"),
    ("unclosed-flow", edit(9, "      - {name: oncall"), 9, "YAML syntax error"),
    ("two-documents", plus("---\napiVersion: alertsync/v1\n"), 11, "one YAML document per file"),
    ("top-level-list", "- a\n- b\n", 1, "must be a mapping"),
    ("top-level-scalar", "just text\n", 1, "must be a mapping"),
    ("empty", "", 1, "the file is empty"),
    ("only-comments", "# nothing\n# here\n", 1, "the file is empty"),
    ("nested-1000-deep", plus("tags: " + "[" * 1000 + "]" * 1000 + "\n"), 10, "nested more than"),
    ("alias-bomb", plus(BOMB), None, "aliases expand to more than 100000 values"),
    ("latin-1", edit(2, "owner: caf\xe9").encode("latin-1"), 2, "not UTF-8: byte 0xe9"),
    ("utf-16", codecs.BOM_UTF16_LE + SPEC.encode("utf-16-le"), 1, "not UTF-8: byte 0xff"),
    ("nul-byte", edit(7, "    shortName: a\x00b"), 7, "U+0000 is not allowed"),
    ("key-10000-chars", plus("k" * 10_000 + ": 1\n"), 10, "a key is at most 1024 characters"),
    ("tags-not-text", plus("tags: {team: 5}\n"), 10, "must be a string"),
    ("reserved-tag", plus("tags: {alertsync-owner: me}\n"), 10, "is reserved"),
    ("name-bidi-override", edit(6, '  - name: "ag-\u202eesrever"'), 6, "holds U+202E"),
    (
        "receiver-name-bidi-isolate",
        edit(9, '      - {name: "on\u2066call", address: a@b.co}'),
        9,
        "holds U+2066",
    ),
    ("tag-name-bidi", plus('tags: {"te\u202dam": ops}\n'), 10, "holds U+202D"),
    (
        "location-unknown",
        edit(7, "    shortName: sweep\n    location: mars central"),
        8,
        "location 'mars central' is not Global or an Azure region",
    ),
    (
        "location-typo",
        edit(7, "    shortName: sweep\n    location: japaneest"),
        8,
        "did you mean 'japanwest' or 'japaneast'?",
    ),
    (
        "role-not-notifiable",
        plus("    armRoleReceivers: [{name: r, roleId: 18d7d88d-d35e-4fb5-a5c3-7773c20a72d9}]\n"),
        10,
        "is not a role action groups can notify",
    ),
    (
        "sms-receivers-11",
        plus(
            "    smsReceivers:\n"
            + "".join(
                f"      - {{name: s{i}, countryCode: '1', phoneNumber: '5555550{i:03}'}}\n"
                for i in range(11)
            )
        ),
        11,
        "smsReceivers lists 11 items; at most 10",
    ),
    (
        "description-100k",
        plus(RULE + "    description: " + "d" * 100_000 + "\n"),
        14,
        "is 100000 characters; at most 4096",
    ),
    ("rule-unknown-group", plus(RULE.replace("[ag-sweep]", "[ag-typo]")), 13, "ag-typo"),
    (
        "rule-scope-other-subscription",
        plus(RULE.replace("{resourceGroup: rg-backup}", f"/subscriptions/{SUB[:-1]}1")),
        12,
        "cannot span subscriptions",
    ),
]


def _at(line: int | None) -> str:
    return f"{SPEC_FILE}:{line}:" if line is not None else f"{SPEC_FILE}:"


SPEC_COMMANDS: dict[str, tuple[str, ...]] = {
    "validate": ("validate", "specs"),
    "plan": ("plan", "specs"),
    "apply": ("apply", "--yes", "--prune", "specs"),
    "test-notify": ("test-notify", "ag-sweep", "--specs", "specs"),
}


def _taking_turns(row: int, column: int, columns: int) -> bool:
    """Whether a row of a table run through several commands is slow through this one:
    `make test-fast` runs each row through one command, the commands taking turns, so every
    row and every command stay in the inner loop; `make test` runs every pair."""
    return row % columns != column


SPEC_CASES = [
    Case(
        f"{command}/{name}",
        args,
        1,
        says,
        _at(line),
        files={SPEC_FILE: text},
        slow=_taking_turns(row, column, len(SPEC_COMMANDS)),
    )
    for row, (name, text, line, says) in enumerate(BAD_SPECS)
    for column, (command, args) in enumerate(SPEC_COMMANDS.items())
]


# --- the spec tree: what cannot be read is an error, never skipped -----------------------------


def _link(name: str, target: str) -> Callable[[Path], None]:
    return lambda folder: (folder / "specs" / name).symlink_to(target)


def _fifo(name: str) -> Callable[[Path], None]:
    return lambda folder: os.mkfifo(folder / name)


def _loop(folder: Path) -> None:
    (folder / "specs" / "a.yaml").symlink_to("b.yaml")
    (folder / "specs" / "b.yaml").symlink_to("a.yaml")


TREES: list[tuple[str, Callable[[Path], None] | None, tuple[str, ...], str, str, int]] = [
    # (id, make, paths, at, says, lines)
    ("dangling-link", _link("gone.yaml", "nowhere.yaml"), ("specs",), "specs/gone.yaml:",
     "is a broken symbolic link", 1),
    ("dangling-folder-link", _link("shared", "/nowhere"), ("specs",), "specs/shared:",
     "is a broken symbolic link", 1),
    ("link-loop", _loop, ("specs",), "specs/a.yaml:", "is a symbolic link loop", 2),
    ("fifo-found", _fifo("specs/pipe.yaml"), ("specs",), "specs/pipe.yaml:",
     "is a FIFO (named pipe), not a regular file", 1),
    ("fifo-given", _fifo("pipe"), ("specs", "pipe"), "pipe:", "is a FIFO (named pipe)", 1),
    ("device-given", None, ("specs", "/dev/null"), "/dev/null:", "is a character device", 1),
    ("missing-path", None, ("specs", "nope.yaml"), "nope.yaml:", "no such file or directory", 1),
    ("empty-folder", lambda f: (f / "empty").mkdir(), ("specs", "empty"), "empty:",
     "no spec files", 1),
    ("huge-file", lambda f: (f / "specs" / "big.yaml").write_bytes(b"#" * (9 * 2**20)),
     ("specs",), "specs/big.yaml:", "is over the size limit of 8 MiB", 1),
]  # fmt: skip

TREE_COMMANDS: dict[str, tuple[str, ...]] = {
    "validate": ("validate",),
    "plan": ("plan",),
    "apply": ("apply", "--yes", "--prune"),
}

TREE_CASES = [
    Case(
        f"{command}/tree-{name}",
        (*verb, *paths),
        1,
        says,
        at,
        files={SPEC_FILE: SPEC},
        make=make,
        lines=lines,
        real_process="fifo" in name,  # opening a FIFO by mistake would block forever
        slow=_taking_turns(row, column, len(TREE_COMMANDS)),
    )
    for row, (name, make, paths, at, says, lines) in enumerate(TREES)
    for column, (command, verb) in enumerate(TREE_COMMANDS.items())
]


# --- reviewed plan files (apply --plan FILE) ---------------------------------------------------

PLAN: dict[str, Any] = {
    "formatVersion": 1,
    "checksum": "sha256:" + "0" * 64,
    "options": {"prune": False, "adopt": False, "force": False},
    "summary": {"create": 1, "update": 0, "adopt": 0, "delete": 0},
    "changes": [{"action": "create"}],
}


def plan_with(key: str, value: Any) -> str:
    return json.dumps({**PLAN, key: value})


BAD_PLANS: list[tuple[str, str | bytes, str]] = [
    ("summary-string", plan_with("summary", {"create": "1"}), "summary is not a mapping"),
    ("summary-null", plan_with("summary", {"create": None}), "summary is not a mapping"),
    ("summary-infinite", plan_with("summary", {"create": 1e999}), "Infinity is not a JSON"),
    ("summary-fraction", plan_with("summary", {"create": 0.5}), "summary is not a mapping"),
    ("summary-negative", plan_with("summary", {"delete": -3}), "summary is not a mapping"),
    ("summary-true", plan_with("summary", {"create": True}), "summary is not a mapping"),
    ("summary-5000-digits", plan_with("summary", {}).replace("{}", "{\"a\": " + "9" * 5000 + "}"),
     "digits"),
    ("options-text", plan_with("options", {"prune": "yes"}), "options is not a mapping"),
    ("options-list", plan_with("options", []), "options is not a mapping"),
    ("checksum-number", plan_with("checksum", 1), "checksum is not a string"),
    ("changes-text", plan_with("changes", "all"), "changes is not a list"),
    ("changes-of-numbers", plan_with("changes", [1]), "changes is not a list"),
    ("version-2", plan_with("formatVersion", 2), "plan format version 2 is not supported"),
    ("version-true", plan_with("formatVersion", True), "format version True is not supported"),
    ("no-checksum", json.dumps({"formatVersion": 1}), "no formatVersion/checksum"),
    ("a-list", "[]", "no formatVersion/checksum"),
    ("nan", plan_with("summary", {"create": 1}).replace("1}", "NaN}"), "NaN is not a JSON"),
    ("invalid-json", "{formatVersion: 1}", "invalid JSON"),
    ("empty", "", "invalid JSON"),
    ("deep-lists", "[" * 100_000 + "]" * 100_000, "nested too deep"),
    ("deep-objects", '{"a":' * 100_000 + "1" + "}" * 100_000, "nested too deep"),
    ("latin-1", b'{"checksum": "caf\xe9"}', "byte 0xe9 is not UTF-8"),
    ("utf-16", codecs.BOM_UTF16_LE + json.dumps(PLAN).encode("utf-16-le"), "it is UTF-16"),
    ("utf-16-no-bom", json.dumps(PLAN).encode("utf-16-be"), "it is UTF-16"),
    ("yaml-not-json", "formatVersion: 1\nchecksum: x\n", "invalid JSON"),
]  # fmt: skip

PLAN_CASES = [
    Case(
        f"apply/plan-{name}",
        ("apply", "--yes", "--plan", "plan.json", "specs"),
        1,
        says,
        "plan.json:",
        files={SPEC_FILE: SPEC, "plan.json": text},
    )
    for name, text, says in BAD_PLANS
] + [
    Case("apply/plan-fifo", ("apply", "--yes", "--plan", "fifo", "specs"), 1,
         "cannot read plan file fifo: it is a FIFO (named pipe)", "error: cannot read plan file",
         files={SPEC_FILE: SPEC}, make=_fifo("fifo"), real_process=True),
    Case("apply/plan-dev-zero", ("apply", "--yes", "--plan", "/dev/zero", "specs"), 1,
         "it is a character device", "error: cannot read plan file /dev/zero",
         files={SPEC_FILE: SPEC}, real_process=True),
    Case("apply/plan-folder", ("apply", "--yes", "--plan", "specs", "specs"), 2,
         "is a directory", files={SPEC_FILE: SPEC}),
    Case("apply/plan-missing", ("apply", "--yes", "--plan", "nope.json", "specs"), 2,
         "does not exist", files={SPEC_FILE: SPEC}),
]  # fmt: skip


# --- the environment: one line naming the variable, before any request -------------------------

BAD_ENV: list[tuple[str, dict[str, str | None], str]] = [
    ("authority-http", {"AZURE_AUTHORITY_HOST": "http://login.example.com"},
     "AZURE_AUTHORITY_HOST must be an https URL"),
    ("authority-no-host", {"AZURE_AUTHORITY_HOST": "https://"},
     "AZURE_AUTHORITY_HOST must be an https URL"),
    ("arm-http", {"ALERTSYNC_ARM_ENDPOINT": "http://127.0.0.1:1/"},
     "ALERTSYNC_ARM_ENDPOINT must be an https URL"),
    ("arm-broken-ipv6", {"ALERTSYNC_ARM_ENDPOINT": "https://[::1"},
     "ALERTSYNC_ARM_ENDPOINT must be an https URL"),
    ("cloud-unknown", {"ALERTSYNC_CLOUD": "Mars"}, 'unknown Azure cloud "Mars"'),
    ("tenant-path", {"AZURE_TENANT_ID": "../../x"}, "AZURE_TENANT_ID must be a tenant ID"),
    ("throttle-budget-text", {"ALERTSYNC_THROTTLE_BUDGET": "soon"},
     "ALERTSYNC_THROTTLE_BUDGET must be a number of seconds"),
    ("throttle-budget-negative", {"ALERTSYNC_THROTTLE_BUDGET": "-1"},
     "ALERTSYNC_THROTTLE_BUDGET must be a number of seconds"),
]  # fmt: skip

ENV_COMMANDS: dict[str, tuple[str, ...]] = {
    "plan": ("plan", "specs"),
    "apply": ("apply", "--yes", "specs"),
    "export": ("export", "--out", "-"),
    "test-notify": ("test-notify", "ag-sweep", "--specs", "specs"),
}

ENV_CASES = [
    Case(f"{command}/env-{name}", args, 1, says, "error: ", files={SPEC_FILE: SPEC}, env=env)
    for name, env, says in BAD_ENV
    for command, args in ENV_COMMANDS.items()
]


# --- usage errors: exit 2, as click reports them -----------------------------------------------

USAGE_CASES = [
    Case(f"usage/{name}", args, 2, says, "Error: ", files={SPEC_FILE: SPEC})
    for name, args, says in [
        ("validate-unknown-option", ("validate", "--bogus"), "No such option '--bogus'"),
        ("validate-empty-path", ("validate", ""), "an empty path names no spec file"),
        ("plan-format", ("plan", "--format", "yaml", "specs"), "'yaml' is not one of"),
        ("plan-out-no-value", ("plan", "--out"), "Option '--out' requires an argument"),
        ("apply-empty-checksum", ("apply", "--checksum", "", "specs"), "is not a plan checksum"),
        ("apply-short-checksum", ("apply", "--checksum", "sha256:abc"), "is not a plan checksum"),
        ("apply-plan-and-checksum", ("apply", "--plan", SPEC_FILE, "--checksum", "sha256:" + "0" * 64),
         "give --plan or --checksum, not both"),
        ("test-notify-no-group", ("test-notify",), "Missing argument 'ACTION_GROUP'"),
        ("test-notify-alert-type", ("test-notify", "ag-sweep", "--alert-type", "backup"),
         "choose from"),
        ("export-unknown-option", ("export", "--bogus"), "No such option '--bogus'"),
        ("check-at", ("check", "--at", "saturday", "specs"), "'saturday' is not a time"),
        ("check-window-words", ("check", "--window", "7 days", "specs"), "is not a duration"),
        ("check-window-zero", ("check", "--window", "0s", "specs"), "must be longer than 0"),
        ("check-window-huge", ("check", "--window", "9" * 400 + "d", "specs"), "at most 366 days"),
        ("check-since-beyond-30d", ("check", "--since", "4w3d", "specs"), "at most 30d"),
        ("emulator-port", ("emulator", "--port", "99999"), "not in the range"),
        ("emulator-latency", ("emulator", "--latency-ms", "-1"), "not in the range"),
        ("unknown-command", ("destroy",), "No such command 'destroy'"),
        ("plan-out-over-a-spec", ("plan", "--out", SPEC_FILE, "specs"),
         "specs/s.yaml is inside the spec folder specs"),
        ("plan-out-into-the-tree", ("plan", "--out", "specs/plan.json", "specs"),
         "specs/plan.json is inside the spec folder specs"),
    ]
]  # fmt: skip


# --- export and test-notify: what they are pointed at ------------------------------------------

AG_ID = (
    f"/subscriptions/{SUB}/resourceGroups/rg-monitoring/providers/Microsoft.Insights/actionGroups"
)

TARGET_CASES = [
    Case(f"{name}", args, code, says, "error: ", files={SPEC_FILE: SPEC})
    for name, args, code, says in [
        ("export/subscription-unknown",
         ("export", "--subscription", SUB[:-1] + "9", "--out", "-"), 1, "subscription"),
        ("export/resource-group-unknown",
         ("export", "--resource-group", "rg-nope", "--out", "-"), 1, "rg-nope"),
        ("export/subscription-not-guid", ("export", "--subscription", "my-sub", "--out", "-"), 1,
         "my-sub"),
        ("export/resource-group-empty", ("export", "--resource-group", "", "--out", "-"), 1,
         "resource group"),
        ("export/resource-group-traversal",
         ("export", "--resource-group", "../../etc", "--out", "-"), 1, "../../etc"),
        ("export/owner-invalid", ("export", "--owner", "bad owner!", "--out", "-"), 1,
         "bad owner!"),
        ("export/out-is-a-file", ("export", "--owner", "o", "--out", SPEC_FILE), 1, SPEC_FILE),
        ("export/out-is-a-device", ("export", "--owner", "o", "--out", "/dev/null"), 1,
         "cannot export into /dev/null: it is a character device, not a folder"),
        ("test-notify/not-declared", ("test-notify", "ag-typo", "--specs", "specs"), 1,
         'no action group named "ag-typo"'),
        ("test-notify/not-in-azure", ("test-notify", f"{AG_ID}/ag-nowhere"), 1,
         "run `alertsync apply` first"),
        ("test-notify/id-of-a-vault",
         ("test-notify", f"/subscriptions/{SUB}/resourceGroups/rg-backup/providers/"
          "Microsoft.RecoveryServices/vaults/RSV-JPE-LRS"), 1, "is not an action group ID"),
        ("test-notify/id-broken", ("test-notify", "/subscriptions/"), 1, "/subscriptions/"),
    ]
] + [
    Case("export/empty-subscription", ("export", "--subscription", "", "--out", "-"), 2,
         "an empty value names no subscription", "Error: ", env={"AZURE_SUBSCRIPTION_ID": None}),
    Case("export/blank-subscription", ("export", "--subscription", SUB, "--subscription", " "), 2,
         "an empty value names no subscription", "Error: "),
    Case("export/out-is-a-broken-link", ("export", "--owner", "o", "--out", "gone"), 1,
         "cannot export into gone: it is a broken symbolic link (its target", "error: ",
         make=lambda folder: (folder / "gone").symlink_to(folder / "nowhere")),
    Case("export/out-is-a-fifo", ("export", "--owner", "o", "--out", "fifo"), 1,
         "cannot export into fifo: it is a FIFO (named pipe), not a folder", "error: ",
         make=_fifo("fifo"), real_process=True),
    Case("test-notify/bad-specs-folder", ("test-notify", "ag-sweep", "--specs", "nowhere"), 1,
         "no such file or directory", "nowhere:", files={SPEC_FILE: SPEC}),
]  # fmt: skip


# --- emulator seed files: the seed file and line -----------------------------------------------

SEED_CASES = [
    Case(f"emulator/seed-{name}", ("emulator", "--port", "0", "--data-dir", "emu", "--seed",
         "seed.yaml"), 1, says, at, files={"seed.yaml": text}, real_process=True)
    for name, text, at, says in [
        ("unclosed", "subscriptions:\n  - id: x\n    resourceGroups: [\n", "error: emulator: "
         "seed.yaml:4:1", "not valid YAML"),
        ("tab", "subscriptions:\n\t- id: x\n", "error: emulator: seed.yaml:2:1",
         "not valid YAML"),
        ("subscription-not-guid", "subscriptions:\n  - id: x\n",
         "error: emulator: seed.yaml:2:", "is not a subscription id"),
        ("unknown-key", f"subscriptions:\n  - id: {SUB}\n    groups: []\n",
         "error: emulator: seed.yaml:2:", "unknown key 'groups'"),
        ("latin-1", b"subscriptions:\n  - id: caf\xe9\n", "error: emulator: seed.yaml",
         "not UTF-8"),
        ("deep", "a: " + "[" * 5000 + "]" * 5000 + "\n", "error: emulator: seed.yaml", "YAML"),
    ]
]  # fmt: skip


# --- live answers outside the documented shape (a broken proxy, say): plan and apply --------

RULES_LIST = "resourceGroups/rg-monitoring/providers/Microsoft.AlertsManagement/actionRules$"
VAULTS_LIST = "resourceGroups/rg-backup/providers/Microsoft.RecoveryServices/vaults$"
APR = f"/subscriptions/{SUB}/resourceGroups/rg-monitoring/providers/Microsoft.AlertsManagement/actionRules/apr-x"
VAULT = f"/subscriptions/{SUB}/resourceGroups/rg-backup/providers/Microsoft.RecoveryServices/vaults/rsv-x"


def _rule(**properties: Any) -> dict[str, Any]:
    return {
        "id": APR,
        "location": "Global",
        "properties": {"scopes": [], "actions": [], **properties},
    }


BAD_ANSWERS: list[tuple[str, str, Any, str]] = [
    # (id, path of the list, the page Azure answers, says)
    ("rules-page-text", RULES_LIST, "<html>proxy error</html>", "a page is not a JSON object"),
    ("rules-value-object", RULES_LIST, {"value": {"a": 1}}, "value is not a list of objects"),
    ("rules-item-number", RULES_LIST, {"value": [7]}, "value is not a list of objects"),
    ("rules-next-link-number", RULES_LIST, {"value": [], "nextLink": 5}, "nextLink is not a URL"),
    ("rules-next-link-elsewhere", RULES_LIST,
     {"value": [], "nextLink": "https://attacker.example/page2"}, "nextLink leads off"),
    ("rule-without-id", RULES_LIST, {"value": [{"location": "Global"}]}, "without an id"),
    ("rule-scopes-number", RULES_LIST, {"value": [_rule(scopes=5)]},
     "apr-x: scopes is a number, not a list"),
    ("rule-scope-not-an-id", RULES_LIST, {"value": [_rule(scopes=["rg-x"])]},
     "'rg-x' is not an ARM ID"),
    ("rule-enabled-text", RULES_LIST, {"value": [_rule(enabled="yes")]},
     "enabled is text, not true or false"),
    ("rule-days-text", RULES_LIST, {"value": [_rule(schedule={"recurrences": [
        {"recurrenceType": "Monthly", "daysOfMonth": ["1st"]}]})]},
     "an item of daysOfMonth is text, not a whole number"),
    ("rule-tag-number", RULES_LIST, {"value": [{**_rule(), "tags": {"owner": 1}}]},
     "tag 'owner' is a number, not text"),
    ("vault-settings-list", VAULTS_LIST, {"value": [{"id": VAULT, "properties": {
        "monitoringSettings": []}}]}, "rsv-x: monitoringSettings is a list, not an object"),
]  # fmt: skip

# A rule that scopes a vault, so that plan lists the vaults of its resource group too.
VAULT_RULE = RULE.replace(
    "{resourceGroup: rg-backup}", f"{{resourceGroup: rg-backup, vault: {VAULT_NAME}}}"
)

ANSWER_CASES = [
    Case(f"{command}/answer-{name}", args, 1, says, "error: listing ",
         files={SPEC_FILE: plus(VAULT_RULE)},
         faults=({"method": "GET", "path": path, "body": body},))
    for name, path, body, says in BAD_ANSWERS
    for command, args in (("plan", ("plan", "specs")), ("apply", ("apply", "--yes", "specs")))
]  # fmt: skip


CASES: list[Case] = [
    *SPEC_CASES,
    *TREE_CASES,
    *PLAN_CASES,
    *ENV_CASES,
    *USAGE_CASES,
    *TARGET_CASES,
    *SEED_CASES,
    *ANSWER_CASES,
]


# --- running a case ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str
    crash: str | None  # the traceback of an exception that escaped the entry point


def run_in_process(args: tuple[str, ...], env: Mapping[str, str | None]) -> Outcome:
    """`alertsync ARGS` through the real entry point, in this process."""
    code, crash = 0, None
    with CliRunner().isolation(env=env) as (out, err, _):
        saved, sys.argv = sys.argv, ["alertsync", *args]
        try:
            main()
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else int(done.code is not None)
        except BaseException:  # escaping main() is a traceback in a real run
            code, crash = -1, traceback.format_exc()
        finally:
            sys.argv = saved
        return Outcome(code, out.getvalue().decode(), err.getvalue().decode(), crash)


def run_process(args: tuple[str, ...], env: Mapping[str, str | None], cwd: Path) -> Outcome:
    """The real `alertsync` command, under e2e's timeout (a hang fails, the suite goes on)."""
    full = {k: v for k, v in {**os.environ, **env}.items() if v is not None}
    try:
        done = alertsync(full, cwd, *args)
    except subprocess.TimeoutExpired:
        return Outcome(-1, "", "", f"alertsync {' '.join(args)} did not finish")
    return Outcome(done.code, done.out, done.err, None)


_NOT_A_SENTENCE = re.compile(r"^(Usage: |Try '|error: \d+ problem\(s\) in the specs$)")


def said(err: str) -> list[str]:
    """The stderr lines that say what is wrong: not click's usage lines, not the count of spec
    problems that follows them."""
    return [line for line in err.splitlines() if line.strip() and not _NOT_A_SENTENCE.match(line)]


def writes(requests: list[dict[str, Any]]) -> list[str]:
    """Every request in the emulator's log that changes something (test notifications too);
    signing in (a POST for a token) changes nothing."""
    return [
        f"{r['method']} {r['path']}"
        for r in requests
        if r["method"] != "GET" and not r["path"].endswith("/oauth2/v2.0/token")
    ]


def prepare(case: Case, folder: Path) -> None:
    for name, content in case.files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    if case.make is not None:
        case.make(folder)


def check(case: Case, outcome: Outcome, requests: list[dict[str, Any]]) -> list[str]:
    """What the case got wrong, in words; empty when alertsync answered correctly."""
    wrong = []
    if outcome.crash is not None or "Traceback" in outcome.err:
        wrong.append(f"traceback:\n{outcome.crash or outcome.err}")
    if outcome.code != case.code:
        wrong.append(f"exit {outcome.code}, documented: {case.code}")
    if case.says not in outcome.err:
        wrong.append(f"stderr does not say {case.says!r}")
    lines = said(outcome.err)
    if case.at is not None and not any(case.at in line for line in lines):
        wrong.append(f"no line points at {case.at}")
    if len(lines) != case.lines:
        wrong.append(f"{len(lines)} lines say what is wrong, expected {case.lines}")
    if writes(requests):
        wrong.append(f"writes reached the emulator: {writes(requests)}")
    return wrong


@pytest.fixture(scope="module")
def sweep_world(emulator: Emulator) -> Iterator[Emulator]:
    from tests.seeds import DEFAULT_SEED  # noqa: PLC0415

    emulator.control.reset(seed=DEFAULT_SEED)
    yield emulator


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(c, marks=pytest.mark.slow, id=c.id) if c.real_process or c.slow else c
        for c in CASES
    ],
    ids=lambda c: c.id,
)
def test_hostile_input_is_refused_cleanly(
    case: Case, sweep_world: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    prepare(case, tmp_path)
    env = {**sweep_world.env(), **case.env}
    sweep_world.control.clear_requests()
    for fault in case.faults:
        sweep_world.control.add_fault(**fault)
    try:
        if case.real_process:
            outcome = run_process(case.args, env, tmp_path)
        else:
            outcome = run_in_process(case.args, env)
    finally:
        sweep_world.control.clear_faults()
    wrong = check(case, outcome, sweep_world.control.requests())
    assert not wrong, "\n".join([*wrong, "stderr:", outcome.err[:3000]])


def test_the_sweep_covers_every_command_with_at_least_150_cases() -> None:
    commands = {case.args[0] for case in CASES}
    assert {"validate", "plan", "apply", "export", "test-notify"} <= commands
    assert len(CASES) >= 150
    assert len({case.id for case in CASES}) == len(CASES), "case ids must be unique"
