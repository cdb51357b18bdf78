"""Sentence-level decisions from the Matcher's cue labels (no spaCy import here).

``judge`` looks at the labels found in one sentence and its tokens and says whether it
is a request (something asked of the reader), a commitment (something the writer
promises), and where the action phrase starts. The textcat's scores are combined with
these decisions in ``components.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nlp.patterns import INTERJECTIONS, MARKETING, TAG_QUESTIONS

# Cues that make a request on their own, and the ones too weak to count in marketing mail.
_STRONG_REQ = (
    "REQ_MODAL_YOU", "REQ_LMK", "REQ_LETS", "REQ_NEED_YOU", "REQ_YOU_MUST", "REQ_STATUS"
)  # fmt: skip
_WEAK_REQ = ("REQ_PLEASE", "REQ_IMPERATIVE")
# Asks of the reader that a promise after them can wait on ("Send me the list and I'll
# book the rooms").
_ASKS_READER = ("REQ_MODAL_YOU", "REQ_LMK", "REQ_PLEASE", "REQ_IMPERATIVE")
_CMT = ("CMT_WILL", "CMT_LET_ME", "CMT_FIXED")
_MARKETING = frozenset(MARKETING)
# The reader named as "you": a sentence with none of these and no ask form in it
# ("Thursday would be great.", "I shall attend.") is a remark, whatever its tone.
_SECOND_PERSON = frozenset(["you", "your", "yours", "yourself", "yourselves", "u", "ya", "y'all"])
# "We can discuss on Tuesday": a proposal, which asks the reader to agree.
_PROPOSAL = frozenset(["can", "could", "should", "let's", "'s"])
_WRITER_VERBS = frozenset(["will", "'ll", "shall", "wo"])
# "Thursday would be great." is an answer; a longer sentence around it may propose.
_ACCEPT_MAX = 6
_GUESS = re.compile(r"\b(?:may|might) (?:have|need) to\b")
_LEADERS = frozenset(INTERJECTIONS) | {"then", "so", "and", "at", "by", "around", "am", "pm"}
_CLOCK = re.compile(r"^\d{1,2}(?::\d{2})?(?:[ap]\.?m\.?)?$")
# Chatty questions longer than this are real ones ("Did you see my note on the lease?").
_CHAT_MAX = 6
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
    # Overrule everything, rules and classifier: notices, news, farewells, broadcast
    # instructions ("If you are on the old server, you have to ...").
    block_request: bool = False
    block_commitment: bool = False
    # "How are you?", "Thanks, ok?": never an ask, whatever the classifier says.
    courtesy_question: bool = False
    # "Where are we on this?", "Any update on the contract?", "I am wondering if this is
    # right": an ask, whatever the classifier says.
    sure_ask: bool = False
    # A promise that waits on something first ("Once the database is set up we will
    # ...", "Tell me which deals and we'll take care of it"): a finding, never firm.
    contingent: bool = False
    # A change of practice ("please include her on all correspondence"), an offer of the
    # writer's help, what the writer can do once the reader is ready: asks by intent,
    # but nothing the reader owes an answer to.
    no_reply_due: bool = False
    # Set by the pipeline, not here: the ask names someone other than the reader
    # ("John, has anyone ...?"), so it is not the reader's to answer.
    addressed_other: bool = False


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
    core = [w for w in words if w not in ("?", "!", ".", ",")]
    chat_q = "NEG_CHAT_Q" in labels and len(core) <= _CHAT_MAX
    courtesy_q = "NEG_COURTESY_Q" in labels or _is_tag_question(words) or chat_q
    j.courtesy_question = courtesy_q
    # Offers of more help ("let me know if you still have problems", "call my cell if
    # you need anything"): the asks in and after them are courtesy.
    courtesy_lmk = bool({"NEG_COURTESY_LMK", "NEG_OFFER_IF"} & labels)
    fyi = "NEG_FYI" in labels
    marketing = _marketing(words)
    conditional_offer = _conditional_offer(words)

    # A status phrase asks only as a question or at the start: "Any word on the lease?",
    # "I am wondering if it is right." ("... that is what happened with them." tells).
    matches = [
        m for m in matches if m[0] != "REQ_STATUS" or question or m[1] <= 1
    ]  # fmt: skip
    strong = [m for m in matches if m[0] in _STRONG_REQ]
    if courtesy_lmk:
        # "let me know if you have any questions": drop the cues inside the courtesy
        # clause ("let me know", "you need"), keep an ask made before it.
        start = min(s for label, s, _ in matches if label in ("NEG_COURTESY_LMK", "NEG_OFFER_IF"))
        strong = [m for m in strong if m[1] < start - 3]
    # "Let me check" is the writer's promise, not an order ("Let Dana know" is one).
    weak = [
        m for m in matches
        if m[0] in _WEAK_REQ and not (words[m[1]] == "let" and words[m[1] + 1 : m[1] + 2] == ["me"])
    ]  # fmt: skip
    if fyi or courtesy_lmk or conditional_offer:
        weak = []
    if marketing:
        weak = []
        strong = [m for m in strong if m[0] != "REQ_YOU_MUST"]
    # "I will also be out Friday": where the writer will be, asked of nobody.
    presence = "NEG_PRESENCE" in labels
    # No ask form and no "you", and the writer's own plan or RSVP ("I shall attend"), an
    # acceptance ("Thursday would be great") or a guess ("we may have to go outside"):
    # a remark, whatever its tone.
    remark = (
        not (strong or weak or question)
        and not _SECOND_PERSON.intersection(words)
        and (
            _writer_statement(words)
            or ("NEG_ACCEPT" in labels and len(core) <= _ACCEPT_MAX)
            or _guess(" ".join(words))
        )
        and not _PROPOSAL.intersection(words)
    )
    j.veto_request = (
        courtesy_q or courtesy_lmk or fyi or marketing or presence or remark
    ) and not strong
    j.sure_ask = any(m[0] == "REQ_STATUS" for m in strong) and not courtesy_q
    if question and not courtesy_q and not marketing:
        j.request = True
        j.action_start = _first_match_end(strong) if strong else 0
    elif strong or weak:
        j.request = True
        first = min(strong + weak, key=lambda m: m[1])
        j.action_start = _action_start(first, words)

    # "Let me know what I can do to help": the courtesy clause promises nothing.
    courtesy_spans = [(s, e) for label, s, e in matches if label == "NEG_COURTESY_LMK"]
    cmt = [
        m for m in matches
        if m[0] in _CMT and not any(s <= m[1] < e for s, e in courtesy_spans)
    ]  # fmt: skip
    # "... so we can set up": a purpose clause, not the writer's undertaking.
    purpose = [(s, e) for label, s, e in matches if label == "NEG_PURPOSE"]
    kept = [m for m in cmt if not any(s < m[1] < e for s, e in purpose)]
    only_purpose = bool(cmt) and not kept
    cmt = kept
    # A condition before the promise ("Once the database is set up we will ..."), or an
    # ask it waits on ("Let me know which deals and we will take care of it"): the
    # promise is not the writer's to keep yet (the corpora count it; the digest not).
    first_cmt = min((m[1] for m in cmt), default=len(words))
    asks = [m for m in strong + weak if m[0] in _ASKS_READER]
    waits = bool(cmt) and (
        any(m[1] < first_cmt for m in asks)
        or any(s < first_cmt for label, s, _ in matches if label == "NEG_LEAD_COND")
    )
    # "9:30 I will meet with the weekend team": an agenda or an itinerary line.
    agenda = "NEG_AGENDA" in labels
    j.contingent = waits
    j.veto_commitment = (
        question or only_purpose or agenda or _opens_with(words, "please")
    ) or bool(
        {"NEG_HEDGE", "NEG_NOT", "NEG_COND", "NEG_PAST", "NEG_COURTESY_CMT", "NEG_PLAN"} & labels
    )
    j.block_commitment = "NEG_PLAN" in labels or agenda
    if cmt and not question:
        blocked = {
            "NEG_HEDGE",
            "NEG_NOT",
            "NEG_COND",
            "NEG_PAST",
            "NEG_PLAN",
            "NEG_AGENDA",
        } & labels
        courtesy_only = "NEG_COURTESY_CMT" in labels and not any(m[0] == "CMT_FIXED" for m in cmt)
        if courtesy_only:
            courtesy_starts = {s for label, s, _ in matches if label == "NEG_COURTESY_CMT"}
            cmt = [m for m in cmt if m[1] not in courtesy_starts]
        if cmt and not blocked:
            j.commitment = True
            first = min(cmt, key=lambda m: m[1])
            j.cmt_action_start = first[2] - 1 if first[0] != "CMT_FIXED" else first[1]
    # A plain promise is not also an ask just because the classifier leans that way.
    j.veto_request = j.veto_request or (j.commitment and not j.request) or _let_me_say(words)
    direct_ask = any(m[0] == "REQ_MODAL_YOU" for m in matches) or (question and not courtesy_q)
    offer = "NEG_OFFER" in labels and not strong and not any(m[0] == "REQ_PLEASE" for m in matches)
    text = " ".join(words)
    j.block_request = not direct_ask and (
        "NEG_NOT_REQ" in labels
        or (courtesy_lmk and not strong)
        or offer
        or _broadcast_instruction(words)
    )
    # Asks by intent that await no answer: kept as findings, never firm (no nudge).
    j.no_reply_due = not direct_ask and (
        _standing_instruction(text)
        or _offer_of_help(text, labels)
        or (not (strong or weak) and _conditional_plan(words, matches))
    )
    if j.block_request:
        j.request = False
    return j


def _core(words: list[str]) -> list[str]:
    """The words after leading punctuation, interjections and clock times."""
    core = [w for w in words if w not in (",", "-", ":", "*")]
    while core and (core[0] in _LEADERS or _CLOCK.match(core[0])):
        core = core[1:]
    return core


def _opens_with(words: list[str], first: str) -> bool:
    """ "Please give me a call on Friday": an imperative to the reader, so the
    classifier's lean towards a promise is not the writer's promise."""
    core = _core(words)
    return bool(core) and core[0] == first


# "Let me be clear", "let me explain": the writer speaking of their own words.
_LET_ME_SAY = frozenset({"be", "explain", "clarify", "say", "add", "point", "reiterate", "stress"})


def _let_me_say(words: list[str]) -> bool:
    core = _core(words)
    return len(core) >= 3 and core[:2] == ["let", "me"] and core[2] in _LET_ME_SAY


def _writer_statement(words: list[str]) -> bool:
    """ "I shall attend.", "9:30 I will meet with the team": the writer says what they
    will do or be (a clock time, an interjection may lead)."""
    core = _core(words)
    return len(core) >= 2 and core[0] in ("i", "we") and core[1] in _WRITER_VERBS


def _guess(text: str) -> bool:
    """ "we may have to go to an outside printer": a guess at what is needed."""
    return _GUESS.search(text) is not None


# A change of practice asked for ("Please start forwarding these to me", "Please
# include her on all correspondence"): done from now on, no answer awaited.
_STANDING = re.compile(
    r"\bstart (?:forwarding|routing|directing|copying|cc'?ing|including)\b"
    r"|\bon all (?:future )?(?:\w+ )?"
    r"(?:correspondence|e-?mails?|communications?|messages|requests)\b"
    r"|\b(?:in the future|from now on|going forward"
    r"|from (?:today|here|this point) (?:on|forward))\b"
    # a caution: "Make sure on the manager screen not to hit the reset button"
    r"|\b(?:make|be) sure\b[^.?]{0,60}?\b(?:not to|do not|don't|never)\b"
)
# "Let me know if they push you too hard, I can help here": an offer of the writer's help.
_HELP_OFFER = re.compile(
    r"\b(?:i|we) (?:can|could|would be (?:happy|glad) to|'d be (?:happy|glad) to"
    r"|am (?:happy|glad) to|will) help\b|\b(?:happy|glad) to (?:help|assist)\b"
)
_WRITER_CAN = re.compile(r"\b(?:we|i) (?:can|could) \w+")


def _standing_instruction(text: str) -> bool:
    return _STANDING.search(text) is not None


def _offer_of_help(text: str, labels: set[str]) -> bool:
    """ "let me know if ..." that offers the writer's help: courtesy, not an ask."""
    return "REQ_LMK" in labels and _HELP_OFFER.search(text) is not None


def _conditional_plan(words: list[str], matches: list[tuple[str, int, int]]) -> bool:
    """ "When you get your papers together we can work on it": what the writer can do
    once the reader is ready, nothing asked now."""
    leads = any(label == "NEG_LEAD_COND" and start == 0 for label, start, _ in matches)
    return leads and _WRITER_CAN.search(" ".join(words)) is not None


def _broadcast_instruction(words: list[str]) -> bool:
    """ "If you are on the old server, you have to delete ...": an instruction to whoever
    it concerns (a notice), not an ask of this reader."""
    if words[:2] != ["if", "you"] or len(words) < 3:
        return False
    if words[2] not in ("are", "'re", "were", "use", "do", "did", "own", "have", "'ve"):
        return False
    if words[2] in ("have", "'ve") and len(words) > 3 and words[3] in ("any", "questions"):
        return True
    text = " ".join(words)
    if "let me know" in text or "let us know" in text:
        return False
    return any(
        f"you {verb}" in text
        for verb in ("have to", "need to", "must", "should", "will need to", "can", "may")
    )


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


FEATURE_PREFIX = "xxf"
# Cues that only block (their sentences are decided by the rules whatever the classifier
# says); kept out of its input so a classifier trained before they existed reads the
# same tokens.
NOT_FEATURES = frozenset(
    ["NEG_PLAN", "NEG_PURPOSE", "NEG_OFFER", "NEG_PRESENCE", "REQ_STATUS", "NEG_CHAT_Q",
     "NEG_AGENDA", "NEG_LEAD_COND", "NEG_OFFER_IF", "NEG_ACCEPT"]
)  # fmt: skip


def feature_tokens(
    words: list[str], matches: list[tuple[str, int, int]], j: Judgement
) -> list[str]:
    """The rules' view of a sentence as extra tokens for the bag-of-words classifier.

    The classifier sees the words in no order; these tokens give it the cues the
    Matcher found, the rules' decisions and where the sentence starts and ends.
    """
    labels = sorted({m[0] for m in matches} - NOT_FEATURES)
    out = [f"{FEATURE_PREFIX}{label.lower()}" for label in labels]
    flags = (
        ("rreq", j.request), ("rcmt", j.commitment), ("vreq", j.veto_request),
        ("vcmt", j.veto_commitment), ("q", _is_question(words)),
    )  # fmt: skip
    out.extend(f"{FEATURE_PREFIX}{name}" for name, on in flags if on)
    core = [w for w in words if w.strip() and w not in ('"', "'", "(", "-", "*", ">")]
    if core:
        out.append(f"{FEATURE_PREFIX}first_{core[0]}")
        if len(core) > 1:
            out.append(f"{FEATURE_PREFIX}second_{core[1]}")
    n = len(core)
    out.append(f"{FEATURE_PREFIX}len{0 if n < 5 else 1 if n < 10 else 2 if n < 20 else 3}")
    return out
