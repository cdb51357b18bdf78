"""The spaCy component that finds request and commitment sentences.

Registered as the factory ``followup_findings``. It runs the PhraseMatcher once per doc
and the token patterns (``nlp.token_matcher``) per sentence, judges each sentence with
``rules.judge``, scores the sentences with the shipped text
classifier (when available) in one batch per ``pipe`` call, and leaves the raw
decisions in ``doc.user_data[USER_DATA_KEY]`` for ``pipeline.py`` to turn into
``Finding`` objects. Importing this module imports spaCy: only ``pipeline.py`` does.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from nlp.cascade import Gate
from nlp.patterns import build_patterns
from nlp.rules import action_phrase, feature_tokens, judge
from nlp.thresholds import Thresholds, judgement_cues
from nlp.token_matcher import TokenMatcher

logger = logging.getLogger(__name__)

USER_DATA_KEY = "followup_findings"
# Sentences outside these token counts are headings, table rows or pasted documents.
MIN_TOKENS, MAX_TOKENS = 3, 80
# The cascade's cheap stage: the encoder scores a sentence only when the Matcher found a
# cue in it (positive or negative) or it holds one of these words. An ask, a promise or
# a task names someone, asks, or uses a modal. On the development data the sentences
# without any of them were 14% (28% of a real mailbox's) and held 29 of the encoder's
# 4,168 findings, mostly addresses and signature lines; held-out F1 -0.006 on Lin's
# tasks, +0.002 to +0.013 on the other corpora.
CASCADE_WORDS = frozenset(
    """? i i'll i'd i'm me my we we'll we'd us our let let's you you'll you'd your yours
    u ur please pls kindly can could would will 'll wo should shall must need needs
    needed have has to 'd want wants wish may might going gonna asap deadline due by
    until before tomorrow tonight today monday tuesday wednesday thursday friday
    saturday sunday week weekend eod cob send call review check confirm provide get
    give make sure forward reply respond let's""".split()  # noqa: SIM905  # a word list reads best as words
)


@dataclass(slots=True)
class SentenceVerdict:
    """One sentence's decision (token offsets are the doc's)."""

    start: int
    end: int
    request: bool
    commitment: bool
    request_score: float
    commitment_score: float
    action: tuple[int, int]
    cmt_action: tuple[int, int]
    rule_request: bool = False
    rule_commitment: bool = False
    veto_request: bool = False
    veto_commitment: bool = False
    task_score: float = 0.0
    firm_request: bool = False
    firm_commitment: bool = False
    # The judgement's flags by name (thresholds.CUES): with the scores, what it takes to
    # decide firm again under other thresholds.
    cues: tuple[str, ...] = ()


class FindingsComponent:
    """Matcher + rules + optional textcat, per sentence."""

    def __init__(self, nlp: Language, name: str) -> None:
        self.name = name
        self.vocab = nlp.vocab
        # Fixed word sequences go to the PhraseMatcher, the rest to a TokenMatcher: spaCy's
        # token Matcher evaluates every pattern on every token, and was half of the time.
        self.phrases = PhraseMatcher(nlp.vocab, attr="LOWER")
        token_patterns: dict[str, list[Any]] = {}
        for label, patterns in build_patterns().items():
            for pattern in patterns:
                phrases = _as_phrases(pattern)
                if phrases is None:
                    token_patterns.setdefault(label, []).append(pattern)
                else:
                    docs = [Doc(nlp.vocab, words=words) for words in phrases]
                    self.phrases.add(label, docs)
        self.tokens = TokenMatcher(token_patterns)
        self.textcat: Any = None  # the loaded classifier's textcat pipe
        self.textcat_nlp: Language | None = None  # the classifier (tok2vec? + textcat)
        self.thresholds = Thresholds()
        self.use_features = False
        # The fine-tuned sentence encoder (nlp.encoder), where installed: it scores in
        # the textcat's place, with its own thresholds.
        self.encoder: Any = None
        # The cascade in front of the scorer (textcat or encoder): ``plausible`` (the
        # encoder's only), then the bag-of-words gate (``nlp.cascade``) where one is set;
        # off to measure what it costs.
        self.cascade = True
        self.gate: Gate | None = None
        self.scored = self.skipped = 0  # sentences the scorer scored, and passed over
        # Training/tuning only: keep every sentence's verdict, not just the findings.
        self.record_all = False

    def set_textcat(self, textcat_nlp: Language | None, thresholds: Thresholds) -> None:
        self.textcat_nlp = textcat_nlp
        self.textcat = textcat_nlp.get_pipe("textcat_multilabel") if textcat_nlp else None
        self.thresholds = thresholds
        # Models trained with the rules' cues as extra tokens say so in their meta.
        self.use_features = bool(textcat_nlp and textcat_nlp.meta.get("followup_features"))

    def set_gate(self, gate: Gate | None) -> None:
        """Score only the sentences with a rule cue or that ``gate`` passes."""
        self.gate = gate

    def set_encoder(self, encoder: Any) -> None:
        """Score with ``encoder`` (an ``nlp.encoder.SentenceEncoder``), by the thresholds
        chosen with it."""
        self.encoder = encoder
        self.thresholds = encoder.thresholds

    def __call__(self, doc: Doc) -> Doc:
        return next(iter(self.pipe([doc])))

    def pipe(self, docs: Iterable[Doc], batch_size: int = 64) -> Iterator[Doc]:
        batch: list[Doc] = []
        for doc in docs:
            batch.append(doc)
            if len(batch) >= batch_size:
                yield from self._process(batch)
                batch = []
        if batch:
            yield from self._process(batch)

    def judge_doc(
        self, doc: Doc, tokens: list[Any] | None = None
    ) -> list[tuple[int, int, Any, list[str], Any]]:
        """Each sentence's (start, end, judgement, lower-cased words, cue matches).
        ``tokens``: ``list(doc)``, where the caller has it."""
        strings = self.vocab.strings
        phrases = [(strings[mid], s, e) for mid, s, e in self.phrases(doc)]
        tokens = list(doc) if tokens is None else tokens
        lowers = [t.lower_ for t in tokens]
        out = []
        for sent in doc.sents:
            s0, s1 = sent.start, sent.end
            if s1 - s0 < MIN_TOKENS or s1 - s0 > MAX_TOKENS:
                continue
            words = lowers[s0:s1]
            inside = self.tokens.matches(words, tokens[s0:s1])
            inside += [(lab, s - s0, e - s0) for lab, s, e in phrases
                       if s0 <= s and e <= s1]  # fmt: skip
            out.append((s0, s1, judge(words, inside), words, inside))
        return out

    def _process(self, docs: list[Doc]) -> list[Doc]:
        pending: list[tuple[Doc, int, int, Any, list[str], Any]] = []
        # One Token object per token of each doc, read by the judge and the textcat's
        # input: spaCy makes a new one on each access, and that was a tenth of the time.
        tokens = {id(doc): list(doc) for doc in docs}
        for doc in docs:
            pending.extend((doc, *s) for s in self.judge_doc(doc, tokens[id(doc)]))
            doc.user_data[USER_DATA_KEY] = []
        scores = self._scores(pending, tokens)
        for (doc, start, end, j, words, _), (p_req, p_cmt, p_task) in zip(
            pending, scores, strict=True
        ):
            is_req, is_cmt, firm_req, firm_cmt = self.thresholds.decide_all(j, p_req, p_cmt, p_task)
            if not (is_req or is_cmt or self.record_all):
                continue
            a0, a1 = action_phrase(words, j.action_start)
            c0, c1 = action_phrase(words, j.cmt_action_start)
            doc.user_data[USER_DATA_KEY].append(
                SentenceVerdict(
                    start,
                    end,
                    is_req,
                    is_cmt,
                    p_req,
                    p_cmt,
                    (start + a0, start + a1),
                    (start + c0, start + c1),
                    j.request,
                    j.commitment,
                    j.veto_request or j.block_request,
                    j.veto_commitment or j.block_commitment,
                    p_task,
                    firm_req,
                    firm_cmt,
                    judgement_cues(j),
                )
            )
        return docs

    def _chosen(self, pending: list[Any]) -> list[int]:
        """The sentences the scorer sees: the cascade's cheap stages pass them. The cue
        words (``plausible``) stand in front of the encoder only: in front of the textcat
        they cost 0.009 of held-out F1 on Lin's tasks, the gate alone nothing."""
        cue_words = self.encoder is not None
        chosen = [
            i
            for i, (_, _, _, j, words, inside) in enumerate(pending)
            if not self.cascade or worth_scoring(j, words, inside, self.gate, cue_words)
        ]
        self.scored += len(chosen)
        self.skipped += len(pending) - len(chosen)
        return chosen

    def _scores(
        self, pending: list[Any], tokens: dict[int, list[Any]] | None = None
    ) -> list[tuple[float, float, float]]:
        """Each sentence's scores; (0, 0, 0) for those the cascade passed over: with no
        rule cue, such a sentence makes no finding, as it would not have with the scores
        the scorers give such sentences."""
        if self.encoder is not None and pending:
            return self._encoder_scores(pending)
        if self.textcat is None or self.textcat_nlp is None or not pending:
            return [(1.0, 1.0, 0.0)] * len(pending)
        chosen = self._chosen(pending)
        out: list[tuple[float, float, float]] = [(0.0, 0.0, 0.0)] * len(pending)
        # The classifier sees the sentence alone, as it was trained, plus the rules' cues
        # as extra tokens (a new Doc from the words is much cheaper than Span.as_doc),
        # in its own vocab (its token-to-vector layer reads the lexemes' attributes).
        vocab = self.textcat_nlp.vocab
        sent_docs: list[Doc] = []
        for i in chosen:
            doc, start, end, j, words, inside = pending[i]
            known = tokens.get(id(doc)) if tokens else None
            sent_docs.append(
                textcat_doc(vocab, doc, start, end, j, words, inside, self.use_features, known)
            )
        scored: Iterable[Doc] = sent_docs
        for _, proc in self.textcat_nlp.pipeline:
            scored = proc.pipe(scored, batch_size=256)  # type: ignore[attr-defined]
        for i, d in zip(chosen, scored, strict=True):
            cats = d.cats
            out[i] = (cats.get("REQUEST", 0.0), cats.get("COMMITMENT", 0.0), cats.get("TASK", 0.0))
        return out

    def _encoder_scores(self, pending: list[Any]) -> list[tuple[float, float, float]]:
        """The encoder's scores for the sentences the cascade passes, (0, 0, 0) for the rest."""
        out: list[tuple[float, float, float]] = [(0.0, 0.0, 0.0)] * len(pending)
        chosen = self._chosen(pending)
        texts = [pending[i][0][pending[i][1] : pending[i][2]].text.strip() for i in chosen]
        for i, score in zip(chosen, self.encoder.score(texts), strict=True):
            out[i] = score
        return out


def has_rule_cue(j: Any, inside: list[Any]) -> bool:
    """The rules found an ask or a promise, or the Matcher a cue for one: always scored.
    A sentence with negative cues only (marketing, hedges, conditions) is the gate's."""
    if j.request or j.commitment:
        return True
    return any(not label.startswith("NEG_") for label, _, _ in inside)


def plausible(j: Any, words: list[str], inside: list[Any]) -> bool:
    """Whether a sentence may be an ask, a promise or a task: the cascade's first stage."""
    if inside or j.request or j.commitment:
        return True
    return any(w in CASCADE_WORDS or w.endswith("?") for w in words)


def worth_scoring(
    j: Any, words: list[str], inside: list[Any], gate: Gate | None, cue_words: bool = True
) -> bool:
    """The whole cascade: a rule cue, or passed by the cue words (``cue_words``: the
    ``plausible`` stage) and by the gate (where there is one)."""
    if has_rule_cue(j, inside):
        return True
    if cue_words and not plausible(j, words, inside):
        return False
    return gate is None or gate.passes(words)


def textcat_doc(
    vocab: Any,
    doc: Doc,
    start: int,
    end: int,
    j: Any,
    words: list[str],
    inside: Any,
    features: bool,
    tokens: list[Any] | None = None,
) -> Doc:
    """The classifier's input for one sentence: its words, then the rules' cue tokens.
    ``tokens``: ``list(doc)``, where the caller has it."""
    sentence = tokens[start:end] if tokens is not None else list(doc[start:end])
    toks = [t.text for t in sentence]
    spaces = [bool(t.whitespace_) for t in sentence]
    if features:
        extra = feature_tokens(words, inside, j)
        toks += extra
        spaces = [True] * len(toks)
    return Doc(vocab, words=toks, spaces=spaces)


_MAX_PHRASES = 400


def _as_phrases(pattern: list[dict[str, Any]]) -> list[list[str]] | None:
    """Expand a pattern of plain LOWER (or LOWER IN) tokens into word sequences; None
    when it uses anything else (operators, sentence starts...)."""
    choices: list[list[str]] = []
    for spec in pattern:
        if set(spec) != {"LOWER"}:
            return None
        value = spec["LOWER"]
        if isinstance(value, str):
            choices.append([value])
        elif isinstance(value, dict) and set(value) == {"IN"}:
            choices.append(list(value["IN"]))
        else:
            return None
    phrases = [[w] for w in choices[0]] if choices else []
    for options in choices[1:]:
        phrases = [[*p, w] for p in phrases for w in options]
        if len(phrases) > _MAX_PHRASES:
            return None
    return phrases


# A line shorter than this that ends without punctuation still ends a unit (headings,
# greetings, list items); longer lines are taken as wrapped prose.
_SHORT_LINE = 45


@Language.component("followup_linebreaks")
def linebreaks(doc: Doc) -> Doc:
    """Mail-aware sentence starts, after the sentencizer: a blank line always ends a
    sentence; a single line break does when the line was short or ended a clause and
    the next line starts like a sentence (capital, digit, bullet)."""
    text = doc.text
    spaces = doc.to_array("IS_SPACE")
    # Only whitespace tokens can break a line: the others are never looked at.
    for i in spaces[:-1].nonzero()[0].tolist():
        token = doc[i]
        if "\n" not in token.text or spaces[i + 1]:
            continue
        nxt = doc[i + 1]
        if "\n\n" in token.text or "\n\n" in token.text.replace(" ", ""):
            nxt.is_sent_start = True
            continue
        line_start = text.rfind("\n", 0, token.idx) + 1
        line = text[line_start : token.idx].strip()
        starts_like_sentence = (
            nxt.text[:1].isupper() or nxt.text[:1].isdigit() or (nxt.text in ("-", "*", "•"))
        )
        if starts_like_sentence and (len(line) < _SHORT_LINE or line[-1:] in ".:;!?,"):
            nxt.is_sent_start = True
    return doc


@Language.factory("followup_findings")
def make_findings(nlp: Language, name: str) -> FindingsComponent:
    return FindingsComponent(nlp, name)
