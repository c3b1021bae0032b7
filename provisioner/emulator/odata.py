"""The small OData `$filter` language ARM list operations take, parsed into clauses.

Grammar (what the modelled list operations document): comparisons `name eq 'value'` and
`name ne 'value'`, the functions `substringof('value', name)` and `startswith(name, 'value')`,
joined by `and` / `or` (`and` binds tighter), with parentheses. Strings are single-quoted;
a doubled quote stands for one quote. Each operation decides which names it supports.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

TOKEN = re.compile(r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<punct>[(),])|(?P<word>[^\s(),']+))")


class FilterError(ValueError):
    """The filter is not in the grammar above."""


@dataclass(frozen=True)
class Clause:
    """One comparison or function: `name op value`, op one of eq, ne, substringof, startswith."""

    name: str
    op: str
    value: str


@dataclass(frozen=True)
class Expression:
    """Clauses joined by one connective ("and" or "or"); items are Clauses or Expressions."""

    connective: str
    items: tuple[Clause | Expression, ...]

    def clauses(self) -> tuple[Clause, ...]:
        """Every clause, however nested."""
        found: list[Clause] = []
        for item in self.items:
            found.extend(item.clauses() if isinstance(item, Expression) else (item,))
        return tuple(found)


def tokens(text: str) -> list[str]:
    """The filter's tokens; FilterError for an unterminated string."""
    result, position = [], 0
    while position < len(text.rstrip()):
        found = TOKEN.match(text, position)
        if found is None or found.end() == position:
            raise FilterError(f"cannot read the filter from position {position}")
        result.append(found.group().strip())
        position = found.end()
    return result


class Parser:
    """Recursive descent over the tokens: or-expression → and-expression → term."""

    def __init__(self, text: str) -> None:
        self.items = tokens(text)
        self.at = 0

    def parse(self) -> Expression:
        """The whole filter as an Expression (a single clause becomes an `and` of one)."""
        result = self.either()
        if self.at != len(self.items):
            raise FilterError(f"unexpected '{self.items[self.at]}'")
        return result if isinstance(result, Expression) else Expression("and", (result,))

    def peek(self) -> str:
        return self.items[self.at] if self.at < len(self.items) else ""

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if not token or (expected is not None and token.lower() != expected):
            raise FilterError(f"expected '{expected or 'more'}' but found '{token or 'the end'}'")
        self.at += 1
        return token

    def either(self) -> Clause | Expression:
        return self.joined("or", self.both)

    def both(self) -> Clause | Expression:
        return self.joined("and", self.term)

    def joined(self, word: str, part: Callable[[], Clause | Expression]) -> Clause | Expression:
        items = [part()]
        while self.peek().lower() == word:
            self.take()
            items.append(part())
        return items[0] if len(items) == 1 else Expression(word, tuple(items))

    def term(self) -> Clause | Expression:
        if self.peek() == "(":
            self.take("(")
            inner = self.either()
            self.take(")")
            return inner
        name = self.take()
        if name.lower() in ("substringof", "startswith"):
            return self.function(name.lower())
        op = self.take().lower()
        if op not in ("eq", "ne"):
            raise FilterError(f"unsupported operator '{op}'")
        return Clause(name, op, self.string())

    def function(self, name: str) -> Clause:
        """substringof('value', field) / startswith(field, 'value')."""
        self.take("(")
        if name == "substringof":
            value, _, field = self.string(), self.take(","), self.take()
        else:
            field, _, value = self.take(), self.take(","), self.string()
        self.take(")")
        return Clause(field, name, value)

    def string(self) -> str:
        token = self.take()
        if len(token) < 2 or not (token.startswith("'") and token.endswith("'")):
            raise FilterError(f"expected a quoted string but found '{token}'")
        return token[1:-1].replace("''", "'")


def parse(text: str) -> Expression:
    """Parse a `$filter` value; FilterError when it is not in the grammar."""
    return Parser(text).parse()


def evaluate(node: Clause | Expression, test: Callable[[Clause], bool]) -> bool:
    """Whether the expression holds, `test` deciding each clause."""
    if isinstance(node, Clause):
        return test(node)
    results = (evaluate(item, test) for item in node.items)
    return any(results) if node.connective == "or" else all(results)
