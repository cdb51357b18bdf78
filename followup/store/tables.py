"""The database schema (SQLModel). Datetimes are stored as aware UTC.

Changing a table means adding a migration in migrations.py, never editing history.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, DateTime, Index, Text, TypeDecorator, UniqueConstraint, true
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC in, aware UTC out, on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _dt(nullable: bool = True, index: bool = False) -> Column:  # type: ignore[type-arg]
    return Column(UTCDateTime(), nullable=nullable, index=index)


class Migration(SQLModel, table=True):
    __tablename__ = "migration"
    name: str = Field(primary_key=True)
    applied_at: datetime = Field(sa_column=_dt(nullable=False))


class Source(SQLModel, table=True):
    __tablename__ = "source"
    name: str = Field(primary_key=True)
    kind: str
    last_sync: datetime | None = Field(default=None, sa_column=_dt())
    last_error: str | None = None


class Checkpoint(SQLModel, table=True):
    __tablename__ = "checkpoint"
    source: str = Field(primary_key=True)
    folder: str = Field(primary_key=True)
    state: str = Field(default="", sa_column=Column(Text, nullable=False))
    updated_at: datetime = Field(sa_column=_dt(nullable=False))


class CalendarCheckpoint(SQLModel, table=True):
    """A calendar's sync checkpoint (its own table: a [[mail]] and a [[calendar]] may
    share a name, and a calendar's name must never be read as a mail folder's)."""

    __tablename__ = "calendar_checkpoint"
    source: str = Field(primary_key=True)
    calendar: str = Field(primary_key=True)
    state: str = Field(default="", sa_column=Column(Text, nullable=False))
    updated_at: datetime = Field(sa_column=_dt(nullable=False))


class Message(SQLModel, table=True):
    __tablename__ = "message"
    __table_args__ = (
        UniqueConstraint("source", "folder", "uidvalidity", "uid", name="uq_message_location"),
        Index("ix_message_thread_date", "thread_id", "date"),
        # What every run asks of the whole mailbox (migration 0008): my sent mail's
        # senders, mail to mark as mine, mail still to analyse, findings to judge again.
        Index("ix_message_role_sender", "role", "from_email", "from_me"),
        Index("ix_message_sender_mine", "from_email", "from_me"),
        Index("ix_message_pending", "analysed", "automated", "date"),
        Index("ix_message_judging", "analysed_by", "judged_by"),
    )
    id: int | None = Field(default=None, primary_key=True)
    source: str
    folder: str
    role: str
    uidvalidity: str = ""
    uid: str
    message_id: str = Field(index=True)
    subject: str = ""
    # Few indexes on purpose: each one costs every insert (sync speed); those above
    # answer questions asked at every run.
    norm_subject: str = ""
    from_email: str = ""
    from_name: str = ""
    date: datetime = Field(sa_column=_dt(nullable=False, index=True))
    in_reply_to: str | None = None
    refs: str = Field(default="", sa_column=Column(Text, nullable=False))
    excerpt: str = Field(default="", sa_column=Column(Text, nullable=False))
    attachments: str = ""
    automated: str | None = None
    size: int = 0
    gmail_thread_id: str | None = None
    # The thread in the provider's web client, as the source gave it (MailRecord.web_link).
    web_link: str | None = None
    from_me: bool = False
    thread_id: int | None = None
    analysed: bool = False
    # The pipeline (rules + model) that analysed it, and the thresholds that judged its
    # findings (nlp.pipeline.Installed): when the installed ones differ, recent mail is
    # analysed again and the findings judged again. None: not analysed yet.
    analysed_by: str | None = None
    judged_by: str | None = None


class Participant(SQLModel, table=True):
    __tablename__ = "participant"
    message_pk: int = Field(primary_key=True, foreign_key="message.id")
    email: str = Field(primary_key=True, index=True)
    role: str = Field(primary_key=True)  # from | to | cc | bcc | reply_to
    name: str = ""


class Person(SQLModel, table=True):
    __tablename__ = "person"
    id: int | None = Field(default=None, primary_key=True)
    name: str = ""
    important: bool = False
    muted: bool = False


class Address(SQLModel, table=True):
    __tablename__ = "address"
    email: str = Field(primary_key=True)
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    name: str = ""


class Event(SQLModel, table=True):
    __tablename__ = "event"
    __table_args__ = (UniqueConstraint("source", "calendar", "uid", name="uq_event"),)
    id: int | None = Field(default=None, primary_key=True)
    source: str
    calendar: str
    uid: str
    summary: str = ""
    start: datetime = Field(sa_column=_dt(nullable=False, index=True))
    end: datetime = Field(sa_column=_dt(nullable=False))
    status: str = "confirmed"
    organizer_email: str | None = None
    all_day: bool = False
    location: str = ""


class Attendee(SQLModel, table=True):
    __tablename__ = "attendee"
    event_pk: int = Field(primary_key=True, foreign_key="event.id")
    email: str = Field(primary_key=True, index=True)
    name: str = ""
    status: str = "needs-action"
    organizer: bool = False


class FindingRow(SQLModel, table=True):
    __tablename__ = "finding"
    id: int | None = Field(default=None, primary_key=True)
    message_pk: int = Field(foreign_key="message.id", index=True)
    kind: str
    owner: str
    text: str = Field(sa_column=Column(Text, nullable=False))
    action: str = ""
    due: datetime | None = Field(default=None, sa_column=_dt())
    due_text: str | None = None
    score: float = 1.0
    # Firm findings make nudges; the others are kept with their scores and the rules'
    # cues (comma-separated), so other thresholds can judge them again. None: unknown
    # (stored by followup 0.1, which kept firm findings only).
    firm: bool = Field(default=True, sa_column_kwargs={"server_default": true()})
    p_request: float | None = None
    p_commitment: float | None = None
    p_task: float | None = None
    cues: str | None = None


class NudgeRow(SQLModel, table=True):
    __tablename__ = "nudge"
    key: str = Field(primary_key=True)
    number: int = Field(index=True, unique=True)
    kind: str = Field(index=True)
    person_email: str | None = Field(default=None, index=True)
    payload: str = Field(sa_column=Column(Text, nullable=False))  # the Nudge as JSON
    # Its facts as JSON (followup.nudges.facts_to_dict): worded when shown, never stored
    # as words. NULL only if a row was written by a followup from before 0005.
    facts: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    state: str = Field(default="open", index=True)  # open|done|snoozed|dismissed|closed
    snoozed_until: datetime | None = Field(default=None, sa_column=_dt())
    first_seen: datetime = Field(sa_column=_dt(nullable=False))
    last_seen: datetime = Field(sa_column=_dt(nullable=False))
    closed_at: datetime | None = Field(default=None, sa_column=_dt())


class DigestRow(SQLModel, table=True):
    __tablename__ = "digest"
    __table_args__ = (UniqueConstraint("day", "recipient", name="uq_digest_day"),)
    id: int | None = Field(default=None, primary_key=True)
    day: str  # YYYY-MM-DD in the user's zone
    recipient: str
    message_id: str
    status: str = "sending"  # sending | sent | failed
    nudge_keys: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=_dt(nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=_dt())


class DigestReply(SQLModel, table=True):
    """A reply to a digest whose commands were applied (each reply is applied once)."""

    __tablename__ = "digest_reply"
    message_id: str = Field(primary_key=True)  # the reply's Message-ID
    digest_message_id: str = Field(index=True)
    applied_at: datetime = Field(sa_column=_dt(nullable=False))
    results: str = Field(default="[]", sa_column=Column(Text, nullable=False))  # JSON


class PlanInputs(SQLModel, table=True):
    """One row: a counter of changes to what planning reads, and the last plan's stamp
    (followup.store.plan_inputs). On SQLite triggers keep the counter; elsewhere it
    stays 0 and every run plans."""

    __tablename__ = "plan_inputs"
    id: int = Field(primary_key=True)
    version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    planned_version: int | None = None  # the counter the last plan was made from
    fingerprint: str | None = None  # its settings and decisions (followup.plan_reuse)
    planned_at: datetime | None = Field(default=None, sa_column=_dt())
    # Changes to the nudge table, and their count when the last plan was recorded.
    nudges_version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    planned_nudges_version: int | None = None
