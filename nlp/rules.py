"""Sentence-level decisions from the Matcher's cue labels (no spaCy import here).

``judge`` looks at the labels found in one sentence and its tokens and says whether it
is a request (something asked of the reader), a commitment (something the writer
promises), and where the action phrase starts. The textcat's scores are combined with
these decisions in ``components.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

from nlp.patterns import MARKETING, TAG_QUESTIONS

# Cues that make a request on their own, and the ones too weak to count in marketing mail.
_STRONG_REQ = ("REQ_MODAL_YOU", "REQ_LMK", "REQ_LETS", "REQ_NEED_YOU", "REQ_YOU_MUST")
_WEAK_REQ = ("REQ_PLEASE", "REQ_IMPERATIVE")
_CMT = ("CMT_WILL", "CMT_LET_ME", "CMT_FIXED")
_MARKETING = frozenset(MARKETING)
# Words that end an action phrase: a new clause begins.
_CLAUSE_END = frozenset(
    [".", "?", "!", ";", ":", "if", "because", "since", "so", "when", "as", "but", "unless",
     "once", "and", "-", "--", "(", "while", "which", "after", "before"]
)  # fmt: skip
_ACTION_MAX = 14


@dataclass(slots=True)
class Judgement:
    request: bool = False
    commitment: bool = False
    action_start: int = 0  # token offsets inside the sentence
    cmt_action_start: int = 0
    # Traps that overrule the classifier too: courtesy, FYI, marketing / hedges,
    # conditions, past reports.
    veto_request: bool = False
    veto_commitment: bool = False


def judge(words: list[str], matches: list[tuple[str, int, int]]) -> Judgement:
    """Decide request/commitment for one sentence.

    ``words`` are the sentence's lower-cased tokens; ``matches`` (label, start, end) with
    offsets relative to the sentence.
    """
    labels = {label for label, _, _ in matches}
    j = Judgement()
    if not words:
        return j
    question = _is_question(words)
    courtesy_q = "NEG_COURTESY_Q" in labels or _is_tag_question(words)
    courtesy_lmk = "NEG_COURTESY_LMK" in labels
    fyi = "NEG_FYI" in labels
    marketing = _marketing(words)
    conditional_offer = _conditional_offer(words)

    strong = [m for m in matches if m[0] in _STRONG_REQ]
    if courtesy_lmk:
        # "let me know if you have any questions": drop the cues inside the courtesy
        # clause ("let me know", "you need"), keep an ask made before it.
        start = min(s for label, s, _ in matches if label == "NEG_COURTESY_LMK")
        strong = [m for m in strong if m[1] < start - 3]
    weak = [m for m in matches if m[0] in _WEAK_REQ]
    if fyi or courtesy_lmk or conditional_offer:
        weak = []
    if marketing:
        weak = []
        strong = [m for m in strong if m[0] != "REQ_YOU_MUST"]
    j.veto_request = (courtesy_q or courtesy_lmk or fyi or marketing) and not strong
    if question and not courtesy_q and not marketing:
        j.request = True
        j.action_start = _first_match_end(strong) if strong else 0
    elif strong or weak:
        j.request = True
        first = min(strong + weak, key=lambda m: m[1])
        j.action_start = _action_start(first, words)

    cmt = [m for m in matches if m[0] in _CMT]
    j.veto_commitment = question or bool(
        {"NEG_HEDGE", "NEG_NOT", "NEG_COND", "NEG_PAST", "NEG_COURTESY_CMT"} & labels
    )
    if cmt and not question:
        blocked = {"NEG_HEDGE", "NEG_NOT", "NEG_COND", "NEG_PAST"} & labels
        courtesy_only = "NEG_COURTESY_CMT" in labels and not any(m[0] == "CMT_FIXED" for m in cmt)
        if courtesy_only:
            courtesy_starts = {s for label, s, _ in matches if label == "NEG_COURTESY_CMT"}
            cmt = [m for m in cmt if m[1] not in courtesy_starts]
        if cmt and not blocked:
            j.commitment = True
            first = min(cmt, key=lambda m: m[1])
            j.cmt_action_start = first[2] - 1 if first[0] != "CMT_FIXED" else first[1]
    # A plain promise is not also an ask just because the classifier leans that way.
    j.veto_request = j.veto_request or (j.commitment and not j.request)
    return j


def action_phrase(words: list[str], start: int) -> tuple[int, int]:
    """The action's token span: from ``start`` to the end of its clause (bounded)."""
    end = start
    while end < len(words) and end - start < _ACTION_MAX:
        if end > start + 1 and words[end] in _CLAUSE_END:
            break
        if end > start + 2 and words[end] == ",":
            break
        end += 1
    return start, end


def _is_question(words: list[str]) -> bool:
    tail = [w for w in words[-3:] if w not in ('"', "'", ")", " ")]
    return bool(tail) and tail[-1] == "?"


def _is_tag_question(words: list[str]) -> bool:
    # "Thanks, ok?" / "You can't wait, right?" -- rhetorical tags, not asks.
    core = [w for w in words if w not in ("?", "!", ".")]
    if len(core) >= 2 and core[-1] in TAG_QUESTIONS and core[-2] == ",":
        return True
    return len(core) <= 2 and bool(core) and core[-1] in TAG_QUESTIONS


def _marketing(words: list[str]) -> bool:
    hits = sum(1 for w in words if w in _MARKETING)
    exclaim = words.count("!")
    return hits >= 2 or (hits >= 1 and exclaim >= 1) or "$" in words or "click" in words


def _conditional_offer(words: list[str]) -> bool:
    text = " ".join(words)
    return any(
        phrase in text
        for phrase in (
            "if you want",
            "if you wish",
            "if you would like",
            "if you 'd like",
            "if you like",
            "if you are interested",
            "if you get a chance",
            "if needed",
            "if necessary",
            "if you need",
        )
    )


def _first_match_end(matches: list[tuple[str, int, int]]) -> int:
    return min(matches, key=lambda m: m[1])[2]


def _action_start(match: tuple[str, int, int], words: list[str]) -> int:
    label, start, end = match
    if label in ("REQ_IMPERATIVE", "REQ_LMK", "REQ_LETS"):
        return end - 1 if label == "REQ_IMPERATIVE" else start
    pos = end
    while pos < len(words) and words[pos] in ("please", "kindly", ",", "just", "also"):
        pos += 1
    return pos
