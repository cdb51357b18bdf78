"""Sending the digest to a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import ssl
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from digest_samples import NOW, TZ, every_kind, hostile
from smtp_testing import PASSWORD, USER, Recorder, Settings, smtp_server

from followup.digest.send import DeliveryError, build_message, send_smtp
from followup.errors import UserError

pytestmark = pytest.mark.server


def digest(**kw: object) -> object:
    return build_message(
        [hostile(), *every_kind()],
        NOW,
        TZ,
        sender=USER,
        to="penny@example.com",
        **kw,  # type: ignore[arg-type]
    )


class Hrefs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.hrefs += [v or "" for k, v in attrs if k == "href"]


def test_plain_smtp_on_loopback_delivers_both_parts(tmp_path: Path) -> None:
    with smtp_server("none", tmp_path) as (rec, settings, _):
        msg = digest()
        send_smtp(msg, settings)  # type: ignore[arg-type]
    assert len(rec.messages) == 1
    mail_from, rcpts, _ = rec.messages[0]
    assert (mail_from, rcpts) == (USER, ["penny@example.com"])  # Bcc: in content adds nobody
    got = rec.parsed()
    assert got["Message-ID"] == msg["Message-ID"]  # type: ignore[index]
    assert got["X-Followup-Digest"] == "2024-03-14"
    assert got.get_all("Bcc") is None and got.get_all("X-Evil") is None
    plain = got.get_body(("plain",)).get_content()
    html = got.get_body(("html",)).get_content()
    assert "[3] Raj Patel <raj@beta.example>" in plain
    parser = Hrefs()
    parser.feed(html)
    assert "script" not in parser.tags and "img" not in parser.tags
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert parser.hrefs[0] == "https://mail.google.com/mail/u/0/#all/18e3f0a1b2c3d4e5"
    eve = next(h for h in parser.hrefs if h.startswith("mailto:eve@"))
    subject = parse_qs(urlsplit(eve).query)["subject"][0]
    assert subject.startswith("Re: Invoice Bcc: victim@example.net X-Evil: 1 <img")
    assert "\n" not in subject


def test_starttls_with_auth(tmp_path: Path) -> None:
    with smtp_server("starttls", tmp_path) as (rec, settings, ctx):
        send_smtp(digest(), settings, password=PASSWORD, ssl_context=ctx)  # type: ignore[arg-type]
    assert rec.parsed()["X-Followup-Digest"] == "2024-03-14"


def test_implicit_tls_with_auth(tmp_path: Path) -> None:
    with smtp_server("ssl", tmp_path) as (rec, settings, ctx):
        send_smtp(digest(), settings, password=PASSWORD, ssl_context=ctx)  # type: ignore[arg-type]
    assert len(rec.messages) == 1


def test_wrong_password_is_one_clear_line(tmp_path: Path) -> None:
    with (
        smtp_server("starttls", tmp_path) as (rec, settings, ctx),
        pytest.raises(DeliveryError) as info,
    ):
        send_smtp(digest(), settings, password="wrong", ssl_context=ctx)  # type: ignore[arg-type]
    text = str(info.value)
    assert text.startswith(
        f"Could not send the digest: 127.0.0.1:{settings.port} refused the login"
    )
    assert "[digest.smtp]" in text and "\n" not in text
    assert "wrong" not in text  # never the password
    assert not info.value.retryable
    assert rec.messages == []


def test_untrusted_certificate_is_refused(tmp_path: Path) -> None:
    with (
        smtp_server("starttls", tmp_path) as (rec, settings, _),
        pytest.raises(DeliveryError) as info,
    ):
        send_smtp(digest(), settings, password=PASSWORD)  # type: ignore[arg-type]  # system trust store
    assert "certificate" in str(info.value) and "could not be verified" in str(info.value)
    assert rec.messages == []


def test_starttls_required_but_not_offered(tmp_path: Path) -> None:
    with smtp_server("none", tmp_path) as (rec, settings, _):
        tls = replace(settings, security="starttls")
        with pytest.raises(DeliveryError, match="does not offer STARTTLS"):
            send_smtp(digest(), tls)  # type: ignore[arg-type]
    assert rec.messages == []


def test_cleartext_only_to_loopback() -> None:
    remote = Settings(host="smtp.example.com", port=25, security="none", allow_insecure=True)
    with pytest.raises(UserError, match="only allowed to a loopback host"):
        send_smtp(digest(), remote)  # type: ignore[arg-type]
    no_flag = Settings(host="127.0.0.1", port=25, security="none", allow_insecure=False)
    with pytest.raises(UserError, match="allow_insecure"):
        send_smtp(digest(), no_flag)  # type: ignore[arg-type]


def test_missing_password_is_a_user_error() -> None:
    with pytest.raises(UserError, match=r"No password for \[digest.smtp\]"):
        send_smtp(digest(), Settings(security="ssl", username=USER))  # type: ignore[arg-type]


def test_connection_refused_is_retryable(tmp_path: Path) -> None:
    with smtp_server("none", tmp_path) as (_, settings, _ctx):
        port = settings.port
    with pytest.raises(DeliveryError) as info:
        send_smtp(digest(), replace(settings, port=port, timeout=3))  # type: ignore[arg-type]
    assert info.value.retryable
    assert f"127.0.0.1:{port}" in str(info.value)


def test_refused_recipient(tmp_path: Path) -> None:
    recorder = Recorder(refuse={"penny@example.com"})
    with (
        smtp_server("none", tmp_path, recorder) as (rec, s, _),
        pytest.raises(DeliveryError, match=r"refused penny@example\.com \(550"),
    ):
        send_smtp(digest(), s)  # type: ignore[arg-type]
    assert rec.messages == []


def test_before_commit_runs_before_the_server_accepts(tmp_path: Path) -> None:
    seen: list[int] = []
    with smtp_server("none", tmp_path) as (rec, settings, _):
        send_smtp(digest(), settings, before_commit=lambda: seen.append(len(rec.messages)))  # type: ignore[arg-type]
    assert seen == [0]  # nothing delivered yet when the hook ran
    assert len(rec.messages) == 1


def test_failing_before_commit_discards_the_message(tmp_path: Path) -> None:
    def boom() -> None:
        raise RuntimeError("store is locked")

    with smtp_server("none", tmp_path) as (rec, settings, _):
        with pytest.raises(RuntimeError, match="store is locked"):
            send_smtp(digest(), settings, before_commit=boom)  # type: ignore[arg-type]
        # The server dropped the unfinished message and still works.
        send_smtp(digest(), settings)  # type: ignore[arg-type]
    assert len(rec.messages) == 1


def test_rejected_data_is_an_error(tmp_path: Path) -> None:
    recorder = Recorder(data_reply="554 5.7.1 Spam")
    with (
        smtp_server("none", tmp_path, recorder) as (rec, s, _),
        pytest.raises(DeliveryError, match=r"answered 554 5\.7\.1 Spam") as info,
    ):
        send_smtp(digest(), s)  # type: ignore[arg-type]
    assert not info.value.retryable
    assert rec.messages == []


def test_ssl_context_default_verifies(tmp_path: Path) -> None:
    # Guard: the client context used in these tests is not a no-verify one.
    with smtp_server("ssl", tmp_path) as (_, _settings, ctx):
        assert ctx is not None and ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
