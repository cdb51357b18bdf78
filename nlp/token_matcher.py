"""The rules' token patterns, matched one sentence at a time from a first-word index.

spaCy's ``Matcher`` starts every pattern at every token and evaluates its ``IN`` sets as
Python predicates: with the rules' 59 token patterns that was half of the analysis of a
message. The patterns that ``nlp.patterns`` writes use a small subset of the Matcher's
language (``LOWER`` as a string, ``IN`` or ``NOT_IN``; ``TEXT`` as a ``REGEX``;
``IS_SENT_START``; ``IS_TITLE``; the operators ``?`` and ``*``), so they are matched here
from the words that can open them: a pattern is tried only where its first word is.

The matches are the Matcher's, in its order: every (label, start, end) that matches in
full, without empty ones, each once, sorted as the Matcher emits them (see ``_order``).
tests/nlp/test_token_matcher.py holds the two equal on real and on generated sentences.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

# A check of what a spec reads beyond the lower-cased text: the token itself.
_Check = Callable[[Any], bool]


@dataclass(frozen=True, slots=True)
class _Spec:
    words: frozenset[str] | None  # the LOWER values it takes, where it names them
    check: _Check | None  # the rest of its conditions, on the token
    op: str  # "" (exactly one), "?" or "*"

    def test(self, words: Sequence[str], tokens: Any, pos: int) -> bool:
        if self.words is not None and words[pos] not in self.words:
            return False
        return self.check is None or self.check(tokens[pos])


@dataclass(frozen=True, slots=True)
class _Compiled:
    label: str
    index: int  # the pattern's place in the Matcher (its order among equal spans)
    specs: tuple[_Spec, ...]
    simple: bool  # no operator: one token per spec
    # The words its second token takes, where its first two are plain: most tries end
    # there, so that is checked before anything else.
    second: frozenset[str] | None


class TokenMatcher:
    """``matches(words, tokens)``: the (label, start, end) of the patterns in a sentence."""

    def __init__(self, patterns: dict[str, list[list[dict[str, Any]]]]) -> None:
        self._by_word: dict[str, list[_Compiled]] = {}
        self._at_start: list[_Compiled] = []  # first spec needs a sentence start
        self._anywhere: list[_Compiled] = []
        index = 0
        for label, label_patterns in patterns.items():
            for pattern in label_patterns:
                for variant in _variants(pattern):
                    specs = tuple(_spec(s) for s in variant)
                    simple = all(sp.op == "" for sp in specs)
                    second = (
                        specs[1].words
                        if len(specs) > 1 and specs[0].op == specs[1].op == ""
                        else None
                    )
                    compiled = _Compiled(label, index, specs, simple, second)
                    first = variant[0]
                    words = _words(first.get("LOWER"))
                    if words is not None:
                        for w in words:
                            self._by_word.setdefault(w, []).append(compiled)
                    elif first.get("IS_SENT_START") is True:
                        self._at_start.append(compiled)
                    else:
                        self._anywhere.append(compiled)
                index += 1

    def matches(self, words: Sequence[str], tokens: Any) -> list[tuple[str, int, int]]:
        """The matches in one sentence: ``words`` its lower-cased tokens, ``tokens`` the
        sentence (indexable like ``words``, read only where a spec needs the token)."""
        found: dict[tuple[str, int, int], int] = {}
        n = len(words)
        by_word = self._by_word
        for start in range(n):
            candidates = by_word.get(words[start])
            extra = self._at_start if start == 0 else ()
            if not (candidates or extra or self._anywhere):
                continue
            for group in (candidates or (), extra, self._anywhere):
                for pattern in group:
                    second = pattern.second
                    if second is not None and (start + 1 >= n or words[start + 1] not in second):
                        continue
                    ends: Iterable[int]
                    if pattern.simple:
                        end = _simple_end(pattern.specs, start, n, words, tokens)
                        ends = () if end is None else (end,)
                    else:
                        ends = _ends(pattern.specs, 0, start, n, words, tokens)
                    for end in ends:
                        if end > start:
                            key = (pattern.label, start, end)
                            if key not in found or found[key] > pattern.index:
                                found[key] = pattern.index
        return sorted(found, key=lambda m: _order(m, found[m]))


def _order(match: tuple[str, int, int], index: int) -> tuple[int, int, int]:
    # The Matcher emits a match when its last token is read, the older starts first,
    # then by pattern.
    _, start, end = match
    return (end, start, index)


def _simple_end(
    specs: tuple[_Spec, ...], pos: int, n: int, words: Sequence[str], tokens: Any
) -> int | None:
    """Where a pattern without operators ends from ``pos``, or None."""
    if pos + len(specs) > n:
        return None
    for spec in specs:
        if not spec.test(words, tokens, pos):
            return None
        pos += 1
    return pos


def _ends(
    specs: tuple[_Spec, ...], k: int, pos: int, n: int, words: Sequence[str], tokens: Any
) -> set[int]:
    """Every end at which ``specs[k:]`` matches from ``pos``."""
    if k == len(specs):
        return {pos}
    spec = specs[k]
    if spec.op == "":
        if pos < n and spec.test(words, tokens, pos):
            return _ends(specs, k + 1, pos + 1, n, words, tokens)
        return set()
    out = _ends(specs, k + 1, pos, n, words, tokens)
    if spec.op == "?":
        if pos < n and spec.test(words, tokens, pos):
            out |= _ends(specs, k + 1, pos + 1, n, words, tokens)
        return out
    p = pos  # "*"
    while p < n and spec.test(words, tokens, p):
        p += 1
        out |= _ends(specs, k + 1, p, n, words, tokens)
    return out


def _variants(pattern: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """A pattern with an optional first token is two patterns: with it and without it."""
    if not pattern:
        raise ValueError("an empty pattern")
    first = pattern[0]
    op = first.get("OP", "")
    if op == "?":
        rest = pattern[1:]
        taken = {k: v for k, v in first.items() if k != "OP"}
        return [[taken, *rest], *(_variants(rest) if rest else [])]
    if op not in ("", None):
        raise ValueError(f"a pattern may not open with OP {op!r}")
    return [pattern]


def _words(value: Any) -> frozenset[str] | None:
    if isinstance(value, str):
        return frozenset([value])
    if isinstance(value, dict) and set(value) == {"IN"}:
        return frozenset(value["IN"])
    return None


def _spec(spec: dict[str, Any]) -> _Spec:
    op = spec.get("OP", "") or ""
    if op not in ("", "?", "*"):
        raise ValueError(f"unsupported OP {op!r}")
    words: frozenset[str] | None = None
    checks: list[_Check] = []
    for key, value in spec.items():
        if key == "OP":
            continue
        if key == "LOWER" and _words(value) is not None:
            words = _words(value)
        elif key in ("LOWER", "TEXT"):
            checks.append(_text_check(value, key.lower() if key == "TEXT" else "lower_"))
        elif key == "IS_SENT_START" and isinstance(value, bool):
            checks.append(_flag_check("is_sent_start", value))
        elif key == "IS_TITLE" and isinstance(value, bool):
            checks.append(_flag_check("is_title", value))
        else:
            raise ValueError(f"unsupported token spec {key}: {value!r}")
    if not checks:
        return _Spec(words, None, op)
    if len(checks) == 1:
        return _Spec(words, checks[0], op)
    return _Spec(words, lambda tok: all(c(tok) for c in checks), op)


def _flag_check(attr: str, value: bool) -> _Check:
    # spaCy's is_sent_start is None where unknown: not a start.
    return lambda tok: (getattr(tok, attr) is True) is value


def _text_check(value: Any, attr: str) -> _Check:
    if isinstance(value, dict) and len(value) == 1:
        ((how, arg),) = value.items()
        if how == "NOT_IN":
            outside = frozenset(arg)
            return lambda tok: getattr(tok, attr) not in outside
        if how == "IN":
            inside = frozenset(arg)
            return lambda tok: getattr(tok, attr) in inside
        if how == "REGEX":
            rx = re.compile(arg)
            return lambda tok: rx.search(getattr(tok, attr)) is not None
    if isinstance(value, str):
        return lambda tok: getattr(tok, attr) == value
    raise ValueError(f"unsupported value {value!r}")
