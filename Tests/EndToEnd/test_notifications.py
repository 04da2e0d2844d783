"""Notifications through CWP/1 against real peers started here on loopback: aiosmtpd with STARTTLS on a
self-signed certificate and AUTH, whose messages Python's email package parses, and an HTTP receiver verifying
every webhook with the standardwebhooks package. Ends with kill -9 of the daemon while deliveries are retrying."""

import base64
import contextlib
import signal
import time

import pytest

from conftest import call, next_event, req, subscribe
from peers import SMTPServer, WebhookReceiver
from test_registry import error, ok

SECRET = "whsec_" + base64.b64encode(b"concord-e2e-webhook-secret-0001").decode()
AWAKE = {"start": "00:00", "end": "00:00", "weekends": False}


def config(tmp_path, smtp=None, extra=""):
    (tmp_path / "secrets").mkdir(exist_ok=True)
    (tmp_path / "secrets" / "hook.secret").write_text(SECRET + "\n")
    text = f"""
modules:
  notifications:
    webhook_hosts: 127.0.0.1
    secrets_directory: {tmp_path / "secrets"}
    list_unsubscribe: mailto:leave@umci.example.org
{extra}"""
    if smtp:
        (tmp_path / "secrets" / "smtp-password").write_text(smtp.password)
        text += f"""    smtp:
      host: 127.0.0.1
      port: {smtp.port}
      ca_file: {smtp.cert}
      username: {smtp.username}
      password_file: smtp-password
      from: secretariat@umci.example.org
      helo: concord.test
"""
    return text


@contextlib.contextmanager
def client_of(context, daemon):
    sock = req(context, daemon.commands, timeout_ms=20000)
    try:
        yield sock
    finally:
        sock.close(0)


def deliveries(client, **args):
    return ok(call(client, "notifications.deliveries.list", {"limit": 1000, **args}))["deliveries"]


def wait_for(client, predicate, timeout=30, what="deliveries"):
    deadline = time.monotonic() + timeout
    found = []
    while time.monotonic() < deadline:
        found = deliveries(client)
        if predicate(found):
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}: {found}")


def register(client, name, country="LA", **fields):
    return ok(call(client, "registry.actor.register", {"actor": {"name": name, "kind": "city", "country": country,
                                                                 **fields}}))


def recipient(client, id, **fields):
    return ok(call(client, "notifications.recipient.set", {"id": id, "fields": {"quiet_hours": AWAKE, **fields}}))


def test_email_over_starttls_with_auth_is_proper_mime(make_daemon, tmp_path, zctx):
    with SMTPServer(tmp_path) as smtp:
        daemon = make_daemon(config=config(tmp_path, smtp))
        with client_of(zctx, daemon) as client:
            hue = register(client, "Huế", "VN", time_zone="Asia/Ho_Chi_Minh", focal_points=[
                {"name": "Agnès Nguyễn", "email": "agnes@hue.example.vn", "language": "vi"}])
            fp = recipient(client, "hue-fp", focal_point={"actor": hue["id"], "name": "Agnès Nguyễn"})
            assert (fp["email"], fp["language"], fp["time_zone"], fp["time_zone_source"]) == (
                "agnes@hue.example.vn", "vi", "Asia/Ho_Chi_Minh", "focal_point_actor")
            ok(call(client, "notifications.subscribe", {"fields": {
                "recipient": "hue-fp", "topic": "registry.actor.", "channel": "email"}}))
            register(client, "Đà Nẵng", "VN")
            sent = wait_for(client, lambda d: any(x["state"] == "sent" for x in d))
            assert sent[0]["attempts"][0]["detail"].startswith("250")
            assert sent[0]["time_zone"] == "Asia/Ho_Chi_Minh (focal_point_actor)"
        (message_id, [(envelope, message)]), = smtp.mailbox.messages.items()
        assert envelope.mail_from == "secretariat@umci.example.org"
        assert envelope.rcpt_tos == ["agnes@hue.example.vn"]
        assert smtp.logins == [("PLAIN", "concord", True)]
        assert str(message["To"]) == "Agnès Nguyễn <agnes@hue.example.vn>"
        assert "=?UTF-8?B?" in envelope.original_content.decode("ascii").split("\r\n\r\n")[0]
        assert message["List-Unsubscribe"] == "<mailto:leave@umci.example.org?subject=unsubscribe%20sub-1>"
        assert message["Date"] is not None and message_id.endswith("@umci.example.org>")
        assert message.get_content_type() == "multipart/alternative"
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        # The Vietnamese default template does not exist for this topic: English, with the names in UTF-8.
        assert "Đà Nẵng" not in text  # the default template names the topic, not the payload
        assert "registry.actor.registered" in text and "Agnès Nguyễn" in text
        assert html.startswith("<!DOCTYPE html>") and "Agn&egrave;s" not in html and "Agnès Nguyễn" in html
        assert all(len(line) <= 998 for line in envelope.original_content.split(b"\r\n"))


def test_webhooks_are_signed_retried_and_honour_410_and_redirects(make_daemon, tmp_path, zctx):
    with WebhookReceiver(SECRET) as hooks:
        daemon = make_daemon(config=config(tmp_path))
        with client_of(zctx, daemon) as client:
            for path in ["ok", "flaky", "busy", "gone", "redirect"]:
                recipient(client, f"hook-{path}", name=f"Dashboard {path}",
                          webhook={"url": hooks.url(f"/{path}"), "secret_files": ["hook.secret"]})
                ok(call(client, "notifications.subscribe", {"id": f"sub-{path}", "fields": {
                    "recipient": f"hook-{path}", "topic": "registry.actor.registered", "channel": "webhook"}}))
            events = subscribe(zctx, daemon.events, "notifications.delivery.")
            register(client, "Pakse")
            found = wait_for(client, lambda d: {x["recipient"]: x["state"] for x in d} == {
                "hook-ok": "sent", "hook-flaky": "sent", "hook-busy": "sent", "hook-gone": "dead_lettered",
                "hook-redirect": "queued"} and all(x["attempts"] for x in d), timeout=40)
            by = {x["recipient"]: x for x in found}
            assert [a["outcome"] for a in by["hook-flaky"]["attempts"]] == ["failed", "sent"]
            assert by["hook-busy"]["attempts"][0]["detail"] == "HTTP 429"
            assert by["hook-gone"]["attempts"][0]["detail"] == "HTTP 410: the webhook is disabled"
            assert by["hook-redirect"]["attempts"][0]["detail"] == "HTTP 302"
            assert ok(call(client, "notifications.recipient.get", {"id": "hook-gone"}))["webhook_disabled"] is True
            topics = set()
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and not {"notifications.delivery.sent", "notifications.delivery.failed",
                                                         "notifications.delivery.dead_lettered"} <= topics:
                topics.add(next_event(events)[0].decode())
            assert {"notifications.delivery.sent", "notifications.delivery.failed",
                    "notifications.delivery.dead_lettered"} <= topics
            status = ok(call(client, "notifications.status"))
            assert status["dead_lettered"] == 1 and status["sent"] == 3
            system = ok(call(client, "system.status"))
            details = next(m for m in system["modules"] if m["name"] == "notifications")["details"]
            assert details["dead_lettered"] == 1 and details["queued"] == 1
        assert hooks.invalid == 0
        # The redirect was not followed: /ok got only its own delivery.
        assert sorted(hooks.accepted.values()) == [1, 1, 1]
        body = next(iter(hooks.bodies.values()))
        assert body["type"] == "registry.actor.registered" and body["data"]["payload"]["actor"]["fields"]["name"] == "Pakse"


def test_bad_input_names_the_field(make_daemon, tmp_path, zctx):
    daemon = make_daemon(config=config(tmp_path))
    with client_of(zctx, daemon) as client:
        assert error(call(client, "notifications.recipient.set", {"id": "x", "fields": {
            "name": "X", "email": "x@"}}), "bad_request").startswith("fields.email:")
        assert "not allowed" in error(call(client, "notifications.recipient.set", {"id": "x", "fields": {
            "name": "X", "webhook": {"url": "http://10.0.0.1/hook", "secret_files": ["hook.secret"]}}}), "bad_request")
        assert error(call(client, "notifications.recipient.set", {"id": "x", "fields": {
            "name": "X", "webhook": {"url": "file:///etc/passwd", "secret_files": ["hook.secret"]}}}),
            "bad_request").startswith("fields.webhook.url:")
        assert error(call(client, "notifications.recipient.set", {"id": "x", "fields": {"name": "X"}}),
                     "bad_request").startswith("fields: a recipient needs an email or a webhook")
        assert error(call(client, "notifications.subscribe", {"fields": {
            "recipient": "nobody", "topic": "registry.", "channel": "email"}}), "not_found").startswith(
            "fields.recipient:")
        recipient(client, "x", name="X", email="x@example.org")
        assert error(call(client, "notifications.subscribe", {"fields": {
            "recipient": "x", "topic": "registry.", "channel": "webhook"}}), "bad_request").startswith(
            "fields.channel:")
        # The daemon goes on serving.
        assert ok(call(client, "notifications.status"))["queued"] == 0


def test_a_template_error_is_reported_at_start_with_file_and_line(make_daemon, tmp_path, zctx):
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "scheduling.meeting.reminder_due.ru.text.mustache").write_text(
        "Уважаемый(ая) {{recipient.name}},\n{{event.titel}}\n")
    daemon = make_daemon(config=config(tmp_path, extra=f"    templates_directory: {templates}\n"))
    with client_of(zctx, daemon) as client:
        status = ok(call(client, "system.status"))
        module = next(m for m in status["modules"] if m["name"] == "notifications")
        assert module["state"] == "failed"
        assert "scheduling.meeting.reminder_due.ru.text.mustache:2: unknown variable \"event.titel\"" in module["error"]
        # The other modules run.
        register(client, "Pakse")


def test_kill_9_while_retrying_delivers_each_notification_once(make_daemon, tmp_path, zctx):
    """20 events to a webhook that fails each first attempt and an SMTP server that answers 451 to each first
    try: kill -9 while they wait for their retry, start again, and every one arrives, once per key."""
    with WebhookReceiver(SECRET) as hooks, SMTPServer(tmp_path, fail_first=1) as smtp:
        daemon = make_daemon(config=config(tmp_path, smtp))
        with client_of(zctx, daemon) as client:
            recipient(client, "dash", name="Dashboard", webhook={"url": hooks.url("/flaky"),
                                                                 "secret_files": ["hook.secret"]})
            recipient(client, "fp", name="Focal Point", email="fp@umci.example.org")
            ok(call(client, "notifications.subscribe", {"fields": {
                "recipient": "dash", "topic": "registry.actor.registered", "channel": "webhook"}}))
            ok(call(client, "notifications.subscribe", {"fields": {
                "recipient": "fp", "topic": "registry.actor.registered", "channel": "email"}}))
            for index in range(20):
                register(client, f"City {index}")
            wait_for(client, lambda d: len(d) == 40 and all(x["attempts"] for x in d), what="first attempts")
        daemon.signal(signal.SIGKILL)
        daemon.process.wait()
        daemon.start()
        with client_of(zctx, daemon) as client:
            found = wait_for(client, lambda d: len(d) == 40 and all(x["state"] == "sent" for x in d), timeout=60)
            assert len({x["key"] for x in found}) == 40
        assert len(hooks.accepted) == 20 and set(hooks.accepted.values()) == {1}
        assert len(smtp.mailbox.messages) == 20
        assert all(len(copies) == 1 for copies in smtp.mailbox.messages.values())
        assert hooks.invalid == 0
