"""Analysis: the mail waiting for the pipeline, the findings it made with their scores,
and which pipeline and thresholds analysed and judged each message."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_, select, update

from followup.store.base import StoreBase
from followup.store.chunks import chunks
from followup.store.handles import A, F, M, P
from nlp.findings import Finding


@dataclass(frozen=True, slots=True)
class StoredScores:
    """A stored finding's scores and cues (``finding`` None: a message without any)."""

    message_pk: int
    finding: int | None
    kind: str
    cues: str | None
    p_request: float
    p_commitment: float
    p_task: float


@dataclass(frozen=True, slots=True)
class PendingText:
    pk: int
    excerpt: str
    date: datetime
    from_me: bool
    from_name: str
    from_email: str = ""


class AnalysisStore(StoreBase):
    """Findings."""

    # -- NLP -----------------------------------------------------------------------

    def pending_analysis(
        self, limit: int, *, since: datetime | None = None, newest_first: bool = False
    ) -> list[PendingText]:
        """Messages not yet analysed (dated ``since`` or later, if given), oldest first
        or newest first, automated mail excluded."""
        where: list[ColumnElement[bool]] = [M.c.analysed.is_(False), M.c.automated.is_(None)]
        if since is not None:
            where.append(M.c.date >= since)
        order = (M.c.date.desc(), M.c.id.desc()) if newest_first else (M.c.id,)
        with self.begin() as conn:
            rows = conn.execute(
                select(M.c.id, M.c.excerpt, M.c.date, M.c.from_me, M.c.from_name, M.c.from_email)
                .where(*where)
                .order_by(*order)
                .limit(limit)
            )
            return [
                PendingText(r.id, r.excerpt, r.date, r.from_me, r.from_name, r.from_email)
                for r in rows
            ]

    def participants_of(self, pks: Sequence[int]) -> dict[int, list[tuple[str, str]]]:
        """``{message pk: [(email, name), ...]}``: everyone on each message's headers."""
        out: dict[int, list[tuple[str, str]]] = {}
        with self.begin() as conn:
            for chunk in chunks(sorted(set(pks))):
                rows = conn.execute(
                    select(P.c.message_pk, P.c.email, P.c.name).where(P.c.message_pk.in_(chunk))
                )
                for pk, email, name in rows:
                    out.setdefault(pk, []).append((email, name or ""))
        return out

    def save_findings(
        self,
        results: Sequence[tuple[int, Sequence[Finding]]],
        names: Mapping[str, str] | None = None,
        *,
        analysed_by: str | None = None,
        judged_by: str | None = None,
    ) -> int:
        """Replace the messages' findings and mark them analysed (by ``analysed_by``,
        judged by ``judged_by``), in one transaction; returns the firm findings saved.

        Every finding is kept, firm or not, with its scores and cues (re-judging).
        ``names`` (address -> name read in the mail, e.g. its signature) fills in the
        name of addresses the headers left without one; a header name is never replaced.
        """
        rows = [
            {
                "message_pk": pk,
                "kind": f.kind,
                "owner": f.owner,
                "text": f.text,
                "action": f.action,
                "due": f.due.astimezone(UTC) if f.due else None,
                "due_text": f.due_text,
                "score": f.score,
                "firm": f.firm,
                "p_request": f.p_request,
                "p_commitment": f.p_commitment,
                "p_task": f.p_task,
                "cues": ",".join(f.cues) if f.cues is not None else None,
            }
            for pk, findings in results
            for f in findings
        ]
        pks = [pk for pk, _ in results]
        with self.begin() as conn:
            for chunk in chunks(pks):
                conn.execute(delete(F).where(F.c.message_pk.in_(chunk)))
                conn.execute(
                    update(M)
                    .where(M.c.id.in_(chunk))
                    .values(analysed=True, analysed_by=analysed_by, judged_by=judged_by)
                )
            if rows:
                conn.execute(F.insert(), rows)
            for email, name in sorted((names or {}).items()):
                conn.execute(update(A).where(A.c.email == email, A.c.name == "").values(name=name))
        return sum(1 for r in rows if r["firm"])

    def count_pending_analysis(self, since: datetime | None = None) -> int:
        where: list[ColumnElement[bool]] = [M.c.analysed.is_(False), M.c.automated.is_(None)]
        if since is not None:
            where.append(M.c.date >= since)
        with self.begin() as conn:
            return int(conn.execute(select(func.count()).select_from(M).where(*where)).scalar_one())

    def analysed_back_to(self) -> datetime | None:
        """The date of the newest message not yet analysed (automated mail aside), or
        None when every message is: analysis goes newest first, so the mail after it is
        analysed and from it back not (yet)."""
        with self.begin() as conn:
            return conn.execute(  # type: ignore[no-any-return]
                select(func.max(M.c.date)).where(M.c.analysed.is_(False), M.c.automated.is_(None))
            ).scalar_one()

    def _stale(self, analysed_by: str, since: datetime) -> Any:
        """Analysed mail since ``since`` that another pipeline analysed."""
        return (
            M.c.analysed.is_(True),
            M.c.automated.is_(None),
            M.c.date >= since,
            or_(M.c.analysed_by.is_(None), M.c.analysed_by != analysed_by),
        )

    def stale_analysis(self, analysed_by: str, since: datetime, limit: int) -> list[PendingText]:
        """Messages since ``since`` analysed by a pipeline other than ``analysed_by``,
        newest first (the mail closest to making a nudge first), automated mail excluded."""
        with self.begin() as conn:
            rows = conn.execute(
                select(M.c.id, M.c.excerpt, M.c.date, M.c.from_me, M.c.from_name, M.c.from_email)
                .where(*self._stale(analysed_by, since))
                .order_by(M.c.date.desc(), M.c.id.desc())
                .limit(limit)
            )
            return [
                PendingText(r.id, r.excerpt, r.date, r.from_me, r.from_name, r.from_email)
                for r in rows
            ]

    def count_stale_analysis(self, analysed_by: str, since: datetime) -> int:
        with self.begin() as conn:
            return int(
                conn.execute(
                    select(func.count()).select_from(M).where(*self._stale(analysed_by, since))
                ).scalar_one()
            )

    def unjudged(self, analysed_by: str, judged_by: str, limit: int) -> list[StoredScores]:
        """The findings of up to ``limit`` messages that ``analysed_by`` analysed and
        other thresholds than ``judged_by`` judged (messages without findings too: a
        pk with no scores)."""
        with self.begin() as conn:
            pks = list(
                conn.execute(
                    select(M.c.id)
                    .where(
                        M.c.analysed_by == analysed_by,
                        or_(M.c.judged_by.is_(None), M.c.judged_by != judged_by),
                    )
                    .order_by(M.c.id)
                    .limit(limit)
                ).scalars()
            )
            out = [StoredScores(pk, None, "", None, 0.0, 0.0, 0.0) for pk in pks]
            for chunk in chunks(pks):
                rows = conn.execute(
                    select(
                        F.c.message_pk, F.c.id, F.c.kind, F.c.cues,
                        F.c.p_request, F.c.p_commitment, F.c.p_task,
                    ).where(
                        F.c.message_pk.in_(chunk),
                        F.c.cues.is_not(None),
                        F.c.p_request.is_not(None),
                        F.c.p_commitment.is_not(None),
                        F.c.p_task.is_not(None),
                    )
                )  # fmt: skip
                out += [StoredScores(*r) for r in rows]
            return out

    def save_judgements(self, pks: Sequence[int], firm: Mapping[int, bool], judged_by: str) -> int:
        """Set findings' firm decision (by finding id) and the messages' judged mark, in
        one transaction; returns the findings whose decision changed."""
        changed = 0
        with self.begin() as conn:
            for value in (True, False):
                ids = sorted(i for i, f in firm.items() if f is value)
                for chunk in chunks(ids):
                    changed += conn.execute(
                        update(F)
                        .where(F.c.id.in_(chunk), F.c.firm.is_not(value))
                        .values(firm=value)
                    ).rowcount
            for chunk in chunks(list(pks)):
                conn.execute(update(M).where(M.c.id.in_(chunk)).values(judged_by=judged_by))
        return int(changed)
