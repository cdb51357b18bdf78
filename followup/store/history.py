"""The schema as each shipped migration step left it, frozen: never edit a step here.

These are SQLAlchemy Core tables on their own MetaData, not the live SQLModel classes
of tables.py: tables.py says what the schema is *now*; this module says what each step
created *then*, so a fresh database and one upgraded from any release take the same
steps and end the same. The types are the ones SQLModel gave the columns in 0.1.0
(str -> VARCHAR, datetimes -> DATETIME / TIMESTAMP WITH TIME ZONE, no server defaults).
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)


def _dt(name: str, *, nullable: bool = True) -> Column:  # type: ignore[type-arg]
    return Column(name, DateTime(timezone=True), nullable=nullable)


def _s(name: str, *, nullable: bool = False) -> Column:  # type: ignore[type-arg]
    return Column(name, String(), nullable=nullable)


# -- 0001_initial: followup 0.1.0 (git 959e0be), tables in dependency order -------------

V0001 = MetaData()

MIGRATION = Table(
    "migration",
    V0001,
    Column("name", String(), primary_key=True),
    _dt("applied_at", nullable=False),
)

Table(
    "source",
    V0001,
    Column("name", String(), primary_key=True),
    _s("kind"),
    _dt("last_sync"),
    _s("last_error", nullable=True),
)

Table(
    "checkpoint",
    V0001,
    Column("source", String(), primary_key=True),
    Column("folder", String(), primary_key=True),
    Column("state", Text(), nullable=False),
    _dt("updated_at", nullable=False),
)

Table(
    "message",
    V0001,
    Column("id", Integer(), primary_key=True),
    _s("source"),
    _s("folder"),
    _s("role"),
    _s("uidvalidity"),
    _s("uid"),
    _s("message_id"),
    _s("subject"),
    _s("norm_subject"),
    _s("from_email"),
    _s("from_name"),
    _dt("date", nullable=False),
    _s("in_reply_to", nullable=True),
    Column("refs", Text(), nullable=False),
    Column("excerpt", Text(), nullable=False),
    _s("attachments"),
    _s("automated", nullable=True),
    Column("size", Integer(), nullable=False),
    _s("gmail_thread_id", nullable=True),
    Column("from_me", Boolean(), nullable=False),
    Column("thread_id", Integer(), nullable=True),
    Column("analysed", Boolean(), nullable=False),
    UniqueConstraint("source", "folder", "uidvalidity", "uid", name="uq_message_location"),
    Index("ix_message_thread_date", "thread_id", "date"),
    Index("ix_message_message_id", "message_id"),
    Index("ix_message_date", "date"),
    # Dropped by 0003: no query used them.
    Index("ix_message_norm_subject", "norm_subject"),
    Index("ix_message_from_email", "from_email"),
    Index("ix_message_analysed", "analysed"),
)

Table(
    "participant",
    V0001,
    Column("message_pk", Integer(), ForeignKey("message.id"), primary_key=True),
    Column("email", String(), primary_key=True),
    Column("role", String(), primary_key=True),
    _s("name"),
    Index("ix_participant_email", "email"),
)

Table(
    "person",
    V0001,
    Column("id", Integer(), primary_key=True),
    _s("name"),
    Column("important", Boolean(), nullable=False),
    Column("muted", Boolean(), nullable=False),
)

Table(
    "address",
    V0001,
    Column("email", String(), primary_key=True),
    Column("person_id", Integer(), ForeignKey("person.id"), nullable=True),
    _s("name"),
    Index("ix_address_person_id", "person_id"),
)

Table(
    "event",
    V0001,
    Column("id", Integer(), primary_key=True),
    _s("source"),
    _s("calendar"),
    _s("uid"),
    _s("summary"),
    _dt("start", nullable=False),
    _dt("end", nullable=False),
    _s("status"),
    _s("organizer_email", nullable=True),
    Column("all_day", Boolean(), nullable=False),
    _s("location"),
    UniqueConstraint("source", "calendar", "uid", name="uq_event"),
    Index("ix_event_start", "start"),
)

Table(
    "attendee",
    V0001,
    Column("event_pk", Integer(), ForeignKey("event.id"), primary_key=True),
    Column("email", String(), primary_key=True),
    _s("name"),
    _s("status"),
    Column("organizer", Boolean(), nullable=False),
    Index("ix_attendee_email", "email"),
)

Table(
    "finding",
    V0001,
    Column("id", Integer(), primary_key=True),
    Column("message_pk", Integer(), ForeignKey("message.id"), nullable=False),
    _s("kind"),
    _s("owner"),
    Column("text", Text(), nullable=False),
    _s("action"),
    _dt("due"),
    _s("due_text", nullable=True),
    Column("score", Float(), nullable=False),
    Index("ix_finding_message_pk", "message_pk"),
)

Table(
    "nudge",
    V0001,
    Column("key", String(), primary_key=True),
    Column("number", Integer(), nullable=False),
    _s("kind"),
    _s("person_email", nullable=True),
    Column("payload", Text(), nullable=False),
    _s("state"),
    _dt("snoozed_until"),
    _dt("first_seen", nullable=False),
    _dt("last_seen", nullable=False),
    _dt("closed_at"),
    Index("ix_nudge_number", "number", unique=True),
    Index("ix_nudge_kind", "kind"),
    Index("ix_nudge_person_email", "person_email"),
    Index("ix_nudge_state", "state"),
)

Table(
    "digest",
    V0001,
    Column("id", Integer(), primary_key=True),
    _s("day"),
    _s("recipient"),
    _s("message_id"),
    _s("status"),
    Column("nudge_keys", Text(), nullable=False),
    _dt("created_at", nullable=False),
    _dt("sent_at"),
    UniqueConstraint("day", "recipient", name="uq_digest_day"),
)


# -- 0002_digest_replies (git 04d9946) -------------------------------------------------

V0002 = MetaData()

Table(
    "digest_reply",
    V0002,
    Column("message_id", String(), primary_key=True),
    _s("digest_message_id"),
    _dt("applied_at", nullable=False),
    Column("results", Text(), nullable=False),
    Index("ix_digest_reply_digest_message_id", "digest_message_id"),
)


# -- 0003_drop_unused_message_indexes (git 9e5e597) ------------------------------------

# tables.py dropped these three without a step, so stores created since then never had
# them: the step drops them where they exist.
V0003_DROPPED_INDEXES = ("ix_message_norm_subject", "ix_message_from_email", "ix_message_analysed")


# -- 0004_reanalysis ------------------------------------------------------------------

# What a message analysed before 0004 counts as analysed by: a pipeline no release names,
# so the first run after the upgrade analyses the recent mail again.
V0004_UNKNOWN_PIPELINE = "unknown (before 0004)"
V0004_MESSAGE_COLUMNS = ("analysed_by VARCHAR", "judged_by VARCHAR")
V0004_FINDING_COLUMNS = (
    "p_request FLOAT",
    "p_commitment FLOAT",
    "p_task FLOAT",
    "cues VARCHAR",
)


# -- 0005_nudge_facts -----------------------------------------------------------------

# A nudge keeps facts, worded when shown; the words a nudge was stored with before
# (its payload's title and reason) become facts of this shape, frozen here:
# {"kind": "words", "title": ..., "reason": ...} (followup.nudges.Words).
V0005_NUDGE_COLUMN = "facts TEXT"
V0005_WORDS_KIND = "words"
# -- 0006_calendar_checkpoints_and_web_links ---------------------------------------------

V0006 = MetaData()

Table(
    "calendar_checkpoint",
    V0006,
    Column("source", String(), primary_key=True),
    Column("calendar", String(), primary_key=True),
    Column("state", Text(), nullable=False),
    _dt("updated_at", nullable=False),
)

V0006_MESSAGE_COLUMNS = ("web_link VARCHAR",)
# Before 0006 the rules built Gmail links from X-GM-THRID; stored mail keeps its link.
V0006_GMAIL_LINK = "https://mail.google.com/mail/#all/"


# -- 0007_plan_inputs ------------------------------------------------------------------

V0007 = MetaData()

Table(
    "plan_inputs",
    V0007,
    Column("id", Integer(), primary_key=True),
    Column("version", Integer(), nullable=False, server_default="0"),
    Column("planned_version", Integer(), nullable=True),
    _s("fingerprint", nullable=True),
    _dt("planned_at"),
    Column("nudges_version", Integer(), nullable=False, server_default="0"),
    Column("planned_nudges_version", Integer(), nullable=True),
)
# The tables planning reads (load_state, the addresses that are me): on SQLite each
# change to one of them counts in plan_inputs.version, by triggers named
# plan_inputs_<table>_<insert|update|delete>; changes to the nudge table (what a plan
# recorded, and the user's decisions) count in plan_inputs.nudges_version.
V0007_PLANNED_TABLES = (
    "message",
    "participant",
    "finding",
    "event",
    "attendee",
    "person",
    "address",
)


# -- 0008_message_lookup_indexes ---------------------------------------------------------

# Indexes for the questions every run asks of the whole mailbox (my sent mail's senders,
# mail to mark as mine, mail still to analyse, findings to judge again), which scanned
# every message row, excerpt and all: (name, columns).
V0008_MESSAGE_INDEXES = (
    ("ix_message_role_sender", ("role", "from_email", "from_me")),
    ("ix_message_sender_mine", ("from_email", "from_me")),
    ("ix_message_pending", ("analysed", "automated", "date")),
    ("ix_message_judging", ("analysed_by", "judged_by")),
)
