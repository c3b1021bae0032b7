"""Secrets: masked in all output, fingerprints a reader cannot test guesses against, URLs checked."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest

from provisioner import masking
from provisioner.errors import AlertsyncError
from provisioner.fingerprint import KEY_VARIABLE, fingerprint, key_from_env
from provisioner.model import Secret, WebhookReceiver
from provisioner.spec.behaviour.action_groups import webhook_url_flaw
from provisioner.sync.diff import compute
from provisioner.sync.plan import Plan
from tests.builders import group, state
from tests.e2e import SUB, alertsync, write_spec

URL = "https://hooks.example.com/alerts?code=s3cret-0123456789"
VARIABLE = "ALERTSYNC_WEBHOOK_OPS"
KEY = "0123456789abcdef0123456789abcdef"


# --- masking ------------------------------------------------------------------------------------


def test_every_spelling_of_a_known_secret_is_masked() -> None:
    Secret(URL)  # made: known from now on
    text = f"a {URL} b {URL!r} c {json.dumps({'u': URL})} d code=s3cret-0123456789 e"
    masked = masking.mask(text)
    assert "s3cret" not in masked and masked.count(masking.MASK) == 4
    assert masking.mask("nothing secret here") == "nothing secret here"


def test_the_masking_stream_masks_each_write_and_passes_the_rest_on() -> None:
    Secret(URL)
    target = io.StringIO()
    stream = masking.MaskingStream(target)  # type: ignore[arg-type]
    stream.write(f"error: {URL} refused\n")
    assert target.getvalue() == f"error: {masking.MASK} refused\n"
    with pytest.raises(TypeError):
        stream.write(b"")  # type: ignore[arg-type]  # click's probe for binary streams


def test_short_values_are_not_masked_as_they_would_garble_output() -> None:
    masking.remember("abc")
    assert masking.mask("abc def") == "abc def"


# --- fingerprints -------------------------------------------------------------------------------


def _webhook_plan(url: str, key: bytes | None) -> Plan:
    hook = WebhookReceiver("ops", Secret(url))
    want = group(webhook_receivers=(hook,))
    found = compute(state(want), state())
    return Plan.build(found, {}, {"backup-alerts"}, fingerprint_key=key)


def test_the_checksum_depends_on_the_key_so_a_reader_without_it_cannot_test_guesses() -> None:
    keyed = _webhook_plan(URL, KEY.encode()).checksum()
    assert keyed == _webhook_plan(URL, KEY.encode()).checksum()  # plan and apply agree
    assert keyed != _webhook_plan(URL, b"another key, 32 characters long!").checksum()
    assert keyed != _webhook_plan(URL, None).checksum()
    assert keyed != _webhook_plan(URL + "x", KEY.encode()).checksum()


def test_without_a_key_the_fingerprint_is_scrypt_salted_per_receiver() -> None:
    # The old fingerprint, sha256(url)[:12], let 124 guesses recover a URL in 0.08 s.
    context = "/subscriptions/x/…/actiongroups/ag\0webhookReceivers[ops].serviceUri"
    slow = fingerprint(URL, context, None)
    salt = hashlib.sha256(b"alertsync secret fingerprint v1\0" + context.encode()).digest()
    expected = hashlib.scrypt(URL.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    assert slow == "scrypt:" + expected.hex()
    assert hashlib.sha256(URL.encode()).hexdigest()[:12] not in slow
    assert fingerprint(URL, context + "2", None) != slow  # one guess tests one receiver


def test_a_short_key_is_refused_naming_the_variable_not_the_value() -> None:
    assert key_from_env({}) is None
    with pytest.raises(AlertsyncError, match=f"{KEY_VARIABLE} is too short") as raised:
        key_from_env({KEY_VARIABLE: "hunter2"})
    assert "hunter2" not in str(raised.value)


# --- webhook URLs -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "flaw"),
    [
        ("not a url", "whitespace"),
        ("https://hooks.example.com/a\nb", "whitespace"),
        (URL + "\n", "trailing newline"),
        ("https://hooks.example.com/\x00", "control character"),
        ("ftp://hooks.example.com/x", "https URL"),
        ("http://hooks.example.com/x", "https URL"),
        ("https:///path-only", "https URL"),
        ("hooks.example.com/x", "https URL"),
        ("https://[::1/x", "https URL"),
        ("", "not set or empty"),
    ],
)
def test_a_webhook_value_must_be_a_bare_https_url(value: str, flaw: str) -> None:
    found = webhook_url_flaw(value)
    assert found is not None and flaw in found


def test_a_valid_https_url_has_no_flaw() -> None:
    assert webhook_url_flaw(URL) is None and webhook_url_flaw("HTTPS://h.example.com") is None


# --- the real command ---------------------------------------------------------------------------

HOOK_SPEC = f"""
    apiVersion: alertsync/v1
    owner: backup-alerts
    subscription: {SUB}
    resourceGroup: rg-monitoring
    actionGroups:
      - name: ag-hooked
        shortName: hooked
        emailReceivers:
          - {{name: oncall, address: oncall@example.com}}
        webhookReceivers:
          - {{name: ops, serviceUriFromEnv: {VARIABLE}}}
"""


@pytest.fixture
def hooked(arm_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    write_spec(tmp_path, "hooked.yaml", HOOK_SPEC)
    return arm_env | {VARIABLE: URL}


@pytest.mark.slow
@pytest.mark.parametrize("status", [400, 500])
@pytest.mark.parametrize("debug", [[], ["--debug"]], ids=["plain", "debug"])
def test_azure_echoing_the_url_in_an_error_never_prints_it(
    hooked: dict[str, str], tmp_path: Path, world: object, status: int, debug: list[str]
) -> None:
    echo = f"Webhook {URL} did not answer; serviceUri '{URL}' is invalid"
    world.control.add_fault(  # type: ignore[attr-defined]
        "PUT", "actionGroups/ag-hooked", status=status, count=10, message=echo
    )
    run = alertsync(hooked, tmp_path, *debug, "apply", "--yes")
    assert run.code == 1
    assert "did not answer" in run.out + run.err  # Azure's message is shown…
    assert "s3cret" not in run.out + run.err  # …without the secret
    if debug:
        assert "Traceback" in run.err or "DEBUG" in run.err


@pytest.mark.slow
def test_a_failed_test_notification_never_prints_the_url(
    hooked: dict[str, str], tmp_path: Path, world: object
) -> None:
    assert alertsync(hooked, tmp_path, "apply", "--yes").code == 0
    world.control.fail_test_notifications({"ops": f"POST {URL} returned 404"})  # type: ignore[attr-defined]
    run = alertsync(hooked, tmp_path, "test-notify", "ag-hooked")
    assert run.code == 1 and "returned 404" in run.out
    assert "s3cret" not in run.out + run.err


@pytest.mark.slow
@pytest.mark.parametrize("value", ["not a url", f"{URL}\nsecond line", "ftp://h.example.com/x"])
def test_a_bad_webhook_value_names_the_variable_never_the_value(
    hooked: dict[str, str], tmp_path: Path, world: object, value: str
) -> None:
    run = alertsync(hooked | {VARIABLE: value}, tmp_path, "plan")
    assert run.code == 1 and VARIABLE in run.err, run.err
    assert value.splitlines()[0] not in run.err and "Traceback" not in run.err
    writes = [r for r in world.control.requests() if r["method"] != "GET"]  # type: ignore[attr-defined]
    assert writes == []


@pytest.mark.slow
def test_a_plan_made_with_a_key_is_stale_for_an_apply_without_it(
    hooked: dict[str, str], tmp_path: Path
) -> None:
    keyed = hooked | {KEY_VARIABLE: KEY}
    plan = alertsync(keyed, tmp_path, "plan", "--out", "plan.json")
    assert plan.code == 0, plan.err
    assert "s3cret" not in (tmp_path / "plan.json").read_text()
    unkeyed = alertsync(hooked, tmp_path, "apply", "--plan", "plan.json", "--yes")
    assert unkeyed.code == 3
    assert f"{KEY_VARIABLE} must be the same for plan and apply" in unkeyed.err
    assert alertsync(keyed, tmp_path, "apply", "--plan", "plan.json", "--yes").code == 0
