"""The deliver step with the real store and a real SMTP server: once a day, at the set time."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from digest_samples import every_kind
from smtp_testing import PASSWORD, USER, Recorder, smtp_server

from followup.config import Config, DigestSettings, MeSettings, SmtpSettings
from followup.digest import ledger
from followup.digest.deliver import deliver_digest
from followup.errors import UserError
from followup.store.nudges import apply_plan, list_nudges
from followup.store.store import Store

pytestmark = pytest.mark.server

ME = "penny@example.com"
# Tue 17 March 2026, 07:30 in Chicago (CDT, UTC-5).
AT = datetime(2026, 3, 17, 12, 30, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store.open(f"sqlite:///{tmp_path / 'db.sqlite'}")
    yield s  # type: ignore[misc]
    s.close()


def config(port: int, **digest: object) -> Config:
    smtp = SmtpSettings(host="127.0.0.1", port=port, security="none", allow_insecure=True)
    return Config(
        me=MeSettings(name="Penny Example", addresses=(ME,), timezone="America/Chicago"),
        digest=DigestSettings(to=ME, sender=ME, smtp=smtp, **digest),  # type: ignore[arg-type]
    )


def plan_samples(store: Store, now: datetime) -> None:
    """Every kind once, scored (followup.ranking) in the sections' order: the email
    shows the top scores, so its first items are the first sections'."""
    from dataclasses import replace

    from followup.nudges import KIND_ORDER

    apply_plan(
        store,
        [replace(o.nudge, score=90.0 - 10 * KIND_ORDER.index(o.nudge.kind)) for o in every_kind()],
        now,
    )


def test_sent_once_a_day_at_the_configured_time(store: Store, tmp_path: Path) -> None:
    plan_samples(store, AT - timedelta(hours=3))
    with smtp_server("none", tmp_path) as (rec, settings, _):
        cfg = config(settings.port)
        early = deliver_digest(store, cfg, AT - timedelta(minutes=1))
        assert (early.sent, early.reason) == (False, "due at 07:30")
        first = deliver_digest(store, cfg, AT)
        assert first.sent and first.count == 7
        assert first.summary() == f"Digest sent to {ME} (7 nudges)."
        # cron every 15 minutes for the rest of the day (and past midnight UTC)
        for minutes in range(15, 15 * 4 * 16, 15):
            again = deliver_digest(store, cfg, AT + timedelta(minutes=minutes))
            assert (again.sent, again.reason) == (False, "already sent today"), minutes
        assert len(rec.messages) == 1
        next_day = deliver_digest(store, cfg, AT + timedelta(days=1))
        assert next_day.sent
        assert len(rec.messages) == 2
    days = [rec.parsed(i)["X-Followup-Digest"] for i in range(2)]
    assert days == ["2026-03-17", "2026-03-18"]
    assert rec.parsed(0)["Message-ID"].strip() == first.message_id


def test_day_is_the_users_local_day(store: Store, tmp_path: Path) -> None:
    plan_samples(store, AT)
    with smtp_server("none", tmp_path) as (rec, settings, _):
        cfg = config(settings.port, at=time(20, 0))
        late = datetime(2026, 3, 18, 2, 0, tzinfo=UTC)  # 21:00 on the 17th in Chicago
        assert deliver_digest(store, cfg, late).day.isoformat() == "2026-03-17"  # type: ignore[union-attr]
        # 01:00 UTC on the 18th is still the 17th there: already sent.
        assert deliver_digest(store, cfg, late + timedelta(hours=1)).reason == "already sent today"
    assert len(rec.messages) == 1


def test_nothing_to_send_unless_send_empty(store: Store, tmp_path: Path) -> None:
    with smtp_server("none", tmp_path) as (rec, settings, _):
        result = deliver_digest(store, config(settings.port), AT)
        assert (result.sent, result.reason) == (False, "nothing needs you")
        assert rec.messages == []
        forced = deliver_digest(store, config(settings.port, send_empty=True), AT)
        assert forced.sent
    assert "Nothing needs you today." in rec.parsed().get_body(("plain",)).get_content()


def test_only_open_nudges_and_at_most_max_items(store: Store, tmp_path: Path) -> None:
    plan_samples(store, AT)
    from followup.store.nudges import set_state

    set_state(store, "reply:1", "done")  # by key: the store numbers nudges itself
    with smtp_server("none", tmp_path) as (rec, settings, _):
        result = deliver_digest(store, config(settings.port, max_items=3), AT)
    assert result.sent and result.count == 6
    plain = rec.parsed().get_body(("plain",)).get_content()
    assert "REPLY (" not in plain and plain.index("PROMISES DUE (1)") > 0
    assert "And 3 more" in plain
    assert rec.parsed()["Subject"] == "followup: 6 things for Tue 17 Mar"


def test_refused_message_is_retried_by_the_next_run(store: Store, tmp_path: Path) -> None:
    plan_samples(store, AT)
    recorder = Recorder(data_reply="451 4.3.0 Try again later")
    with smtp_server("none", tmp_path, recorder) as (rec, settings, _):
        cfg = config(settings.port)
        failed = deliver_digest(store, cfg, AT)
        assert not failed.sent
        assert failed.error and "answered 451 4.3.0 Try again later" in failed.error
        assert not ledger.digest_sent_on(store, AT.date(), ME)
        recorder.data_reply = "250 OK"
        assert deliver_digest(store, cfg, AT + timedelta(minutes=15)).sent
    assert len(rec.messages) == 1


def test_a_run_that_loses_the_race_sends_nothing(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan_samples(store, AT)
    with smtp_server("none", tmp_path) as (rec, settings, _):
        cfg = config(settings.port)
        assert deliver_digest(store, cfg, AT).sent
        # A second run checked before the first recorded: the record is refused inside
        # the SMTP transaction and the message dropped before the final ".".
        monkeypatch.setattr(ledger, "day_row", lambda *a: None)
        late = deliver_digest(store, cfg, AT + timedelta(seconds=1))
        assert (late.sent, late.reason) == (False, "already sent today")
    assert len(rec.messages) == 1


def test_recording_failure_sends_nothing(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan_samples(store, AT)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(ledger, "record_digest", broken)
    with (
        smtp_server("none", tmp_path) as (rec, settings, _),
        pytest.raises(RuntimeError, match="disk full"),
    ):
        deliver_digest(store, config(settings.port), AT)
    assert rec.messages == []


def test_password_from_the_environment_over_starttls(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan_samples(store, AT)
    monkeypatch.setenv("FOLLOWUP_TEST_SMTP_PW", PASSWORD)
    with smtp_server("starttls", tmp_path) as (rec, settings, ctx):
        smtp = SmtpSettings(
            host="127.0.0.1",
            port=settings.port,
            security="starttls",
            username=USER,
            password_env="FOLLOWUP_TEST_SMTP_PW",
        )
        cfg = config(settings.port)
        cfg = Config(me=cfg.me, digest=DigestSettings(to=ME, sender=ME, smtp=smtp))
        assert deliver_digest(store, cfg, AT, ssl_context=ctx).sent
        monkeypatch.delenv("FOLLOWUP_TEST_SMTP_PW")
        with pytest.raises(UserError, match=r"\[digest.smtp\] environment variable"):
            deliver_digest(store, cfg, AT + timedelta(days=1), ssl_context=ctx)
    assert len(rec.messages) == 1


def test_not_configured() -> None:
    store = Store.open("sqlite:///:memory:")
    result = deliver_digest(store, Config(), AT)
    assert (result.sent, result.reason) == (False, "no recipient: set [digest] to")
    assert list_nudges(store, AT) == []
    store.close()


def test_delivered_message_parses(store: Store, tmp_path: Path) -> None:
    plan_samples(store, AT)
    with smtp_server("none", tmp_path) as (rec, settings, _):
        deliver_digest(store, config(settings.port), AT)
    msg = email.message_from_bytes(rec.messages[0][2], policy=email.policy.default)
    assert msg["Auto-Submitted"] == "auto-generated"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]


def test_the_email_footer_names_a_source_that_needs_reconnect(store: Store, tmp_path: Path) -> None:
    plan_samples(store, AT)
    # What sync records: the source's one-line AuthError (the server's words included).
    store.touch_source("work\x1b[2J", "gmail", error="work: needs reconnect: invalid_grant <b>")
    store.touch_source("home", "imap", error="home: login failed")  # not a reconnect
    store.touch_source("cal", "google")  # fine
    with smtp_server("none", tmp_path) as (rec, settings, _):
        assert deliver_digest(store, config(settings.port), AT).sent
    msg = rec.parsed()
    plain = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    line = "work needs reconnect: run followup auth work"  # the escape sequence cut
    assert plain.count("needs reconnect") == 1 and line in plain
    assert html.count("needs reconnect") == 1 and line in html
    for part in (plain, html):
        assert "\x1b" not in part and "invalid_grant" not in part and "<b>" not in part
        assert "followup auth home" not in part and "followup auth cal" not in part
    # Reconnected: the next sync clears the error, and the footer line goes.
    store.touch_source("work\x1b[2J", "gmail")
    assert store.sources_needing_reconnect() == []
