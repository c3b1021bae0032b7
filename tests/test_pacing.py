"""The pacer against a fake clock: it never exceeds ARM's bucket, follows its headers and stops
writes at once on an interrupt. No test sleeps: time moves only when the pacer waits.

ARM's side is the emulator's own token bucket (provisioner.emulator.throttling.Bucket) running on
the same fake clock, so "never exceeds the bucket" means that model never refuses a request.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pytest

from provisioner.azure.pacing import (
    PROBE_HOLD,
    PROBE_WINDOW,
    BucketKey,
    Interrupted,
    Pacer,
    Permit,
    operation_of,
    remaining_header,
    scope_of,
)
from provisioner.emulator.throttling import Bucket
from tests.clock import FakeClock

SUB = "00000000-0000-0000-0000-000000000001"
WRITES: BucketKey = (SUB, "writes")
READS: BucketKey = (SUB, "reads")
LATENCY = 0.05  # seconds from sending a request to its response; ARM handles it halfway
BUDGET = 300.0


@dataclass
class Arm:
    """One ARM bucket on the fake clock, counting what it accepted and refused."""

    clock: FakeClock
    bucket: Bucket
    accepted: int = 0
    refused: int = 0

    @classmethod
    def writes(cls, clock: FakeClock, tokens: float = 200) -> Arm:
        return cls(clock, Bucket(200, 10.0, tokens, clock.now()))

    def handle(self) -> tuple[bool, int, int]:
        """(accepted, tokens left as the header says, Retry-After when refused)."""
        ok = self.bucket.take(self.clock.now())
        if ok:
            self.accepted += 1
        else:
            self.refused += 1
        return ok, int(self.bucket.tokens), 0 if ok else self.bucket.retry_after()


@dataclass
class Run:
    """`workers` threads' worth of requests through the pacer, simulated on the fake clock."""

    pacer: Pacer
    clock: FakeClock
    arm: Arm
    key: BucketKey = WRITES
    workers: int = 16
    in_flight: int = 0
    todo: int = 0
    sent_at: list[float] = field(default_factory=list)

    def send(self, count: int) -> None:
        """Send `count` requests, each as soon as a worker is free and the pacer lets it go; a
        refused one is sent again (after the pause the pacer takes from its Retry-After)."""
        self.todo += count
        while self.todo or self.clock.run_next():
            if not self.todo:
                continue
            if self.in_flight >= self.workers:
                assert self.clock.run_next()
                continue
            self.todo -= 1
            self._one()

    def _one(self) -> None:
        permit = self.pacer.acquire(self.key, self.clock.now() + BUDGET, interruptible=True)
        self.sent_at.append(self.clock.now())
        self.in_flight += 1
        self.clock.after(LATENCY / 2, lambda: self._arrive(permit))

    def _arrive(self, permit: Permit) -> None:
        ok, remaining, retry_after = self.arm.handle()
        self.clock.after(LATENCY / 2, lambda: self._respond(permit, ok, remaining, retry_after))

    def _respond(self, permit: Permit, ok: bool, remaining: int, retry_after: int) -> None:
        self.in_flight -= 1
        self.pacer.settle(permit, remaining, None if ok else float(retry_after))
        if not ok:
            self.todo += 1


def _floor(writes: int, start_tokens: float = 200) -> float:
    return max(0.0, writes - start_tokens) / 10.0


@pytest.mark.parametrize("writes", [150, 600, 2000])
def test_a_first_apply_never_exceeds_the_bucket_and_finishes_at_the_floor(writes: int) -> None:
    clock = FakeClock()
    start = clock.now()
    run = Run(Pacer(clock), clock, Arm.writes(clock))
    run.send(writes)
    assert run.arm.refused == 0
    assert run.arm.accepted == writes
    took = run.sent_at[-1] + LATENCY - start
    # The first few requests learn the bucket's level, the burst goes as fast as
    # 16 workers can send it, the rest at 10 a second.
    rounds = math.ceil(writes / 16) * LATENCY
    assert _floor(writes) <= took <= max(_floor(writes) * 1.01, rounds) + 2 * LATENCY


def test_the_burst_goes_out_without_waiting() -> None:
    clock = FakeClock()
    run = Run(Pacer(clock), clock, Arm.writes(clock))
    run.send(190)
    assert clock.waited == pytest.approx(LATENCY)  # only for the first answer
    assert run.arm.refused == 0


def test_after_the_burst_requests_are_spread_at_the_refill_rate() -> None:
    clock = FakeClock()
    run = Run(Pacer(clock), clock, Arm.writes(clock))
    run.send(260)
    # (The burst took ~0.6 s, in which a few more tokens came: look at the last 50.)
    gaps = [b - a for a, b in zip(run.sent_at[-50:], run.sent_at[-49:], strict=False)]
    assert gaps == pytest.approx([0.1] * len(gaps))


def test_a_bucket_another_run_emptied_is_learnt_from_the_first_answer() -> None:
    clock = FakeClock()
    run = Run(Pacer(clock), clock, Arm.writes(clock, tokens=20))
    run.send(100)
    assert run.arm.refused == 0
    assert run.sent_at[-1] - run.sent_at[0] == pytest.approx(_floor(100, 20), abs=0.2)


def test_a_burst_of_another_client_on_the_same_bucket_is_followed_from_the_header() -> None:
    clock = FakeClock()
    arm = Arm.writes(clock)
    run = Run(Pacer(clock), clock, arm, workers=4)
    run.send(50)
    for _ in range(120):  # another pipeline with the same principal spends 120 tokens at once
        assert arm.bucket.take(clock.now())
    run.send(100)
    # Without the header the model would still hold ~150 tokens and send them all at once.
    assert arm.refused <= 1
    assert arm.accepted == 150


def test_a_429_pauses_its_bucket_until_retry_after_then_spreads_the_resends() -> None:
    clock = FakeClock()
    pacer = Pacer(clock)
    first = pacer.acquire(WRITES, clock.now() + BUDGET, interruptible=True)
    pacer.settle(first, remaining=0, pause=3.0)
    paused_at = clock.now()
    sent = []
    for _ in range(4):
        pacer.acquire(WRITES, clock.now() + BUDGET, interruptible=True)
        sent.append(clock.now() - paused_at)
    assert sent == pytest.approx([3.0, 3.1, 3.2, 3.3])


def test_answers_out_of_order_leave_no_token_short_for_good() -> None:
    # Two writes in flight reach ARM in the other order: the first answer's level already
    # counts the second, which the model subtracts again as still on its way.
    clock = FakeClock()
    arm, pacer = Arm.writes(clock, tokens=10), Pacer(clock)
    first = pacer.acquire(WRITES, clock.now() + BUDGET, interruptible=True)
    second = pacer.acquire(WRITES, clock.now() + BUDGET, interruptible=True)
    _, after_second, _ = arm.handle()  # the second arrives first
    _, after_first, _ = arm.handle()
    pacer.settle(first, after_first)
    assert pacer.tokens(WRITES) == after_first - 1  # one short while the second is on its way
    pacer.settle(second, after_second)
    assert pacer.tokens(WRITES) == after_first == 8  # nothing in flight: ARM's level, exactly


def test_a_pause_still_holds_when_an_earlier_write_answers_after_the_429() -> None:
    clock = FakeClock()
    pacer = Pacer(clock)
    earlier = pacer.acquire(WRITES, clock.now() + BUDGET, interruptible=True)
    refused = pacer.acquire(WRITES, clock.now() + BUDGET, interruptible=True)
    pacer.settle(refused, remaining=0, pause=5.0)
    pacer.settle(earlier, remaining=3)  # its answer left ARM before the 429's
    pacer.acquire(WRITES, clock.now() + BUDGET, interruptible=True)
    assert clock.now() == pytest.approx(1000.0 + 5.0)


def test_reads_never_wait_behind_writes() -> None:
    clock = FakeClock()
    pacer = Pacer(clock)
    write = pacer.acquire(WRITES, clock.now() + BUDGET, interruptible=True)
    pacer.settle(write, remaining=0, pause=30.0)  # the write bucket is paused for 30 s
    reads = []

    def read() -> None:
        permit = pacer.acquire(READS, clock.now() + BUDGET, interruptible=False)
        pacer.settle(permit, remaining=249)
        reads.append(clock.now())

    # Reads arrive while a write waits for its token, and on their own afterwards.
    clock.after(1.0, read)
    clock.after(2.0, read)
    pacer.acquire(WRITES, clock.now() + BUDGET, interruptible=True)
    wrote_at = clock.now()
    read()
    assert reads[:2] == [1000.0 + 1.0, 1000.0 + 2.0]  # each at once, not after the write
    assert reads[2] == wrote_at
    assert wrote_at == pytest.approx(1000.0 + 30.0)


def test_each_subscription_has_its_own_bucket() -> None:
    clock = FakeClock()
    pacer = Pacer(clock)
    other: BucketKey = ("00000000-0000-0000-0000-000000000002", "writes")
    permit = pacer.acquire(WRITES, clock.now() + BUDGET, interruptible=True)
    pacer.settle(permit, remaining=0, pause=10.0)
    pacer.acquire(other, clock.now() + BUDGET, interruptible=True)
    assert clock.waited == 0
    assert pacer.tokens(other) == 199
    assert pacer.tokens(WRITES) < -90


def test_an_interrupt_stops_a_waiting_write_at_once() -> None:
    clock = FakeClock()
    pacer = Pacer(clock)
    permit = pacer.acquire(WRITES, clock.now() + BUDGET, interruptible=True)
    pacer.settle(permit, remaining=0, pause=30.0)
    clock.after(2.0, pacer.interrupt)
    with pytest.raises(Interrupted):
        pacer.acquire(WRITES, clock.now() + BUDGET, interruptible=True)
    assert clock.now() == 1000.0 + 2.0  # not a moment later: no token was waited for
    with pytest.raises(Interrupted):  # and no later write starts either
        pacer.acquire(WRITES, clock.now() + BUDGET, interruptible=True)
    assert clock.now() == 1000.0 + 2.0


def test_after_an_interrupt_reads_still_wait_for_their_token() -> None:
    clock = FakeClock()
    pacer = Pacer(clock)
    permit = pacer.acquire(READS, clock.now() + BUDGET, interruptible=False)
    pacer.settle(permit, remaining=0, pause=2.0)
    pacer.interrupt()
    pacer.acquire(READS, clock.now() + BUDGET, interruptible=False)
    assert clock.now() == pytest.approx(1000.0 + 2.0)


def test_past_its_deadline_a_request_stops_waiting_and_lets_arm_decide() -> None:
    clock = FakeClock()
    pacer = Pacer(clock)
    permit = pacer.acquire(WRITES, clock.now() + BUDGET, interruptible=True)
    pacer.settle(permit, remaining=0, pause=60.0)
    pacer.acquire(WRITES, clock.now() + 5.0, interruptible=True)
    assert clock.now() == 1000.0 + 5.0


def test_until_the_first_answer_only_a_few_requests_go() -> None:
    clock = FakeClock()
    pacer = Pacer(clock)
    first = [pacer.acquire(WRITES, clock.now() + BUDGET, interruptible=True) for _ in range(4)]
    assert clock.waited == 0
    clock.after(0.3, lambda: pacer.settle(first[0], remaining=0))  # another run emptied it
    pacer.acquire(WRITES, clock.now() + BUDGET, interruptible=True)
    # Held back until the answer, then paced from the level it gave: 0 left, 3 more in flight.
    assert clock.now() == pytest.approx(1000.0 + 0.3 + 0.4)


def test_a_slow_first_answer_holds_the_others_back_only_so_long() -> None:
    clock = FakeClock()
    pacer = Pacer(clock)
    for _ in range(PROBE_WINDOW):  # their answers never come
        pacer.acquire(WRITES, clock.now() + BUDGET, interruptible=True)
    pacer.acquire(WRITES, clock.now() + BUDGET, interruptible=True)
    assert clock.now() == 1000.0 + PROBE_HOLD
    pacer.acquire(WRITES, clock.now() + BUDGET, interruptible=True)
    assert clock.now() == 1000.0 + PROBE_HOLD  # then by the documented size


def test_an_answer_without_the_header_keeps_the_documented_model() -> None:
    clock = FakeClock()
    pacer = Pacer(clock)
    permit = pacer.acquire(WRITES, clock.now() + BUDGET, interruptible=True)
    pacer.settle(permit, remaining=None)
    assert pacer.tokens(WRITES) == 199


@pytest.mark.parametrize(
    ("method", "operation"),
    [("GET", "reads"), ("head", "reads"), ("PUT", "writes"), ("PATCH", "writes"),
     ("POST", "writes"), ("DELETE", "deletes")],
)  # fmt: skip
def test_methods_map_to_arm_operation_types(method: str, operation: str) -> None:
    assert operation_of(method) == operation


def test_the_bucket_of_a_url_and_its_header() -> None:
    url = f"https://management.azure.com/SUBSCRIPTIONS/{SUB.upper()}/resourceGroups/rg?x=1"
    assert scope_of(url) == SUB
    assert scope_of("https://management.azure.com/providers/Microsoft.Insights?x=1") == "tenant"
    assert remaining_header((SUB, "deletes")) == "x-ms-ratelimit-remaining-subscription-deletes"
    assert remaining_header(("tenant", "reads")) == "x-ms-ratelimit-remaining-tenant-reads"
