"""How the rules' cues and the classifier's scores become decisions (no spaCy here).

The decision is kept apart from the scoring so that it can be taken again later: the
store keeps each finding's three scores and the rules' cues (``judgement_cues``), and
when the thresholds change (a new thresholds file, not a new model) ``rejudge`` decides
firm again from them without running the model.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

# The Judgement flags the decisions read, by name: what a stored finding keeps.
CUES = (
    "request",
    "commitment",
    "veto_request",
    "veto_commitment",
    "block_request",
    "block_commitment",
    "courtesy_question",
    "sure_ask",
    "addressed_other",
    "contingent",
)


@dataclass(frozen=True, slots=True)
class Thresholds:
    """How rules and classifier scores combine (tuned on the development data).

    Two decisions are made per sentence. The *firm* one (``decide``), which the digest
    acts on: a request when the rules say so and the classifier's score is at least
    ``rule_floor``, or when the score alone reaches ``alone``; likewise commitments; a
    sentence that is neither but whose TASK score (Lin's "a task for someone") reaches
    ``task_alone`` becomes the kind the rules found in it; the rules' vetoes and blocks
    (courtesy closers, offers, notices, hedges) overrule all of these.

    The *finding* (``decide_all``) adds what the classifier alone is sure of: the
    labelled corpora count "if you have any questions, please call Dana", a sign-up
    call or a meeting announcement as asks and tasks, and a finding follows them; the
    rules' vetoes are then only features the classifier weighed. Courtesy questions
    ("How are you?") and the commitment vetoes (hedges, conditions, past reports)
    still hold. ``broad_*`` at 1.01 (the default) makes the two decisions the same.
    """

    request_rule_floor: float = 0.0
    request_alone: float = 1.01
    commitment_rule_floor: float = 0.0
    commitment_alone: float = 1.01
    task_alone: float = 1.01
    broad_request: float = 1.01
    broad_commitment: float = 1.01
    broad_task: float = 1.01

    def decide_all(
        self, j: Any, p_req: float, p_cmt: float, p_task: float
    ) -> tuple[bool, bool, bool, bool]:
        """(is request, is commitment, firm request, firm commitment); a firm finding is
        always a finding."""
        firm_req, firm_cmt = self.decide(j, p_req, p_cmt, p_task)
        is_req = firm_req or (
            (p_req >= self.broad_request or j.sure_ask) and not j.courtesy_question
        )
        is_cmt = firm_cmt or (
            (p_cmt >= self.broad_commitment or (j.contingent and j.commitment))
            and not (j.veto_commitment or j.block_commitment)
        )
        if not (is_req or is_cmt) and p_task >= self.broad_task:
            if p_req >= p_cmt and not j.courtesy_question:
                is_req = True
            elif p_cmt > p_req and not (j.veto_commitment or j.block_commitment):
                is_cmt = True
        return is_req, is_cmt, firm_req, firm_cmt

    def decide(self, j: Any, p_req: float, p_cmt: float, p_task: float) -> tuple[bool, bool]:
        """(is request, is commitment) for one sentence's judgement and scores."""
        # A status chase is an ask however low it scores; an ask put by name to someone
        # else is not the reader's.
        is_req = (
            not j.block_request
            and not j.addressed_other
            and not j.no_reply_due
            and (
                (j.request and (p_req >= self.request_rule_floor or j.sure_ask))
                or (
                    p_req >= self.request_alone
                    and not j.veto_request
                    and not _vetoed_promise(j, p_req, p_cmt)
                )
            )
        )
        # A promise that waits on the reader or on an event is reported, not firm.
        is_cmt = not (j.block_commitment or j.contingent) and (
            (j.commitment and p_cmt >= self.commitment_rule_floor)
            or (p_cmt >= self.commitment_alone and not j.veto_commitment)
        )
        if not (is_req or is_cmt) and p_task >= self.task_alone:
            # Sure it is a task, unsure which kind: the kind the rules found (a hedge or
            # a report the rules found nothing in stays out).
            if (
                j.request
                and not (j.block_request or j.addressed_other)
                and not j.no_reply_due
                and (p_req >= p_cmt or not j.commitment)
            ):
                is_req = True
            elif j.commitment and not (j.block_commitment or j.contingent):
                is_cmt = True
        return is_req, is_cmt

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Thresholds:
        known = {k: float(v) for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


def _vetoed_promise(j: Any, p_req: float, p_cmt: float) -> bool:
    """A sentence the classifier reads as a promise rather than an ask, which the rules
    vetoed as a promise ("If the numbers are ready, I will send them."): no ask either."""
    return bool(j.veto_commitment) and p_cmt > p_req


def judgement_cues(j: Any) -> tuple[str, ...]:
    """The names of the flags set in a sentence's judgement, in CUES order."""
    return tuple(c for c in CUES if getattr(j, c))


def rejudge(
    th: Thresholds,
    kind: str,
    cues: Iterable[str],
    p_request: float,
    p_commitment: float,
    p_task: float,
) -> bool:
    """Whether a stored finding of ``kind`` is firm under ``th``, from its cues and
    scores: the same decision the pipeline takes (``Thresholds.decide_all``)."""
    from nlp.rules import Judgement  # the rules' patterns only where findings are judged

    j = Judgement(**{c: True for c in cues if c in CUES})
    _, _, firm_req, firm_cmt = th.decide_all(j, p_request, p_commitment, p_task)
    return firm_req if kind == "request" else firm_cmt


def thresholds_id(th: Thresholds) -> str:
    """A short stable name for these thresholds' values (the same values, the same id)."""
    canonical = json.dumps(asdict(th), sort_keys=True).encode()
    return "th-" + hashlib.sha256(canonical).hexdigest()[:12]
