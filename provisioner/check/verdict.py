"""Verdict: yes, no, or maybe (Azure's documented behaviour allows both answers)."""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum


class Verdict(Enum):
    """Whether something holds; MAYBE when the readings of an unconfirmed fact disagree."""

    NO = "no"
    MAYBE = "maybe"
    YES = "yes"

    @classmethod
    def of_readings(cls, outcomes: Iterable[bool]) -> Verdict:
        """YES when every reading says so, NO when none does, MAYBE when they disagree."""
        seen = set(outcomes)
        if seen == {True}:
            return cls.YES
        if seen == {False} or not seen:
            return cls.NO
        return cls.MAYBE

    @classmethod
    def all_of(cls, verdicts: Iterable[Verdict]) -> Verdict:
        """AND: any NO makes NO, else any MAYBE makes MAYBE; YES for none at all."""
        found = set(verdicts)
        if cls.NO in found:
            return cls.NO
        return cls.MAYBE if cls.MAYBE in found else cls.YES

    @property
    def possible(self) -> bool:
        """Not ruled out (YES or MAYBE)."""
        return self is not Verdict.NO
