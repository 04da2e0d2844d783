"""Real peers the notifications tests deliver to, on loopback: an SMTP server (aiosmtpd, STARTTLS on a self-signed
certificate, AUTH PLAIN) and an HTTP receiver that verifies every webhook with the standardwebhooks package."""

import email
import email.policy
import socket
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from standardwebhooks.webhooks import Webhook, WebhookVerificationError


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def self_signed(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True)
    return cert, key


class Mailbox:
    """aiosmtpd's handler: parses each message with Python's email package and keeps it by Message-ID. Answers
    451 to the first `fail_first` attempts of each Message-ID, so retries can be seen."""

    def __init__(self, fail_first=0):
        self.fail_first = fail_first
        self.tries = {}
        self.messages = {}
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        message_id = message["Message-ID"]
        with self.lock:
            self.tries[message_id] = self.tries.get(message_id, 0) + 1
            if self.tries[message_id] <= self.fail_first:
                return "451 4.3.0 try again later"
            self.messages.setdefault(message_id, []).append((envelope, message))
        return "250 2.0.0 OK queued"


class SMTPServer:
    def __init__(self, directory: Path, fail_first=0, username="concord", password="s3cret-pässword"):
        self.cert, self.key = self_signed(directory)
        self.port = free_port()
        self.mailbox = Mailbox(fail_first)
        self.username, self.password = username, password
        self.logins = []
        import ssl
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(self.cert), str(self.key))
        self.controller = Controller(
            self.mailbox, hostname="127.0.0.1", port=self.port, tls_context=context, require_starttls=True,
            authenticator=self.authenticate, auth_required=True, auth_require_tls=True)

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        login = auth_data.login.decode()
        password = auth_data.password.decode()
        self.logins.append((mechanism, login, session.ssl is not None))
        return AuthResult(success=login == self.username and password == self.password)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()


class WebhookReceiver:
    """Verifies every request with standardwebhooks and answers by path: `/ok` 200, `/flaky` 500 then 200 for each
    webhook-id, `/busy` 429 with Retry-After once per id then 200, `/gone` 410, `/redirect` 302."""

    def __init__(self, secret: str):
        self.webhook = Webhook(secret)
        self.lock = threading.Lock()
        self.accepted = {}  # webhook-id -> how many times it was answered 2xx
        self.tries = {}
        self.invalid = 0
        self.bodies = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    payload = receiver.webhook.verify(body, headers)
                except WebhookVerificationError:
                    with receiver.lock:
                        receiver.invalid += 1
                    self.send_response(401)
                    self.end_headers()
                    return
                identifier = headers["webhook-id"]
                with receiver.lock:
                    tries = receiver.tries[identifier] = receiver.tries.get(identifier, 0) + 1
                    status, extra = receiver.answer(self.path, tries)
                    if 200 <= status < 300:
                        receiver.accepted[identifier] = receiver.accepted.get(identifier, 0) + 1
                        receiver.bodies[identifier] = payload
                self.send_response(status)
                for name, value in extra.items():
                    self.send_header(name, value)
                self.send_header("content-length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.port = self.server.server_address[1]

    def answer(self, path, tries):
        if path == "/ok":
            return 200, {}
        if path == "/flaky":
            return (500, {}) if tries == 1 else (204, {})
        if path == "/busy":
            return (429, {"Retry-After": "1"}) if tries == 1 else (200, {})
        if path == "/gone":
            return 410, {}
        if path == "/redirect":
            return 302, {"Location": f"http://127.0.0.1:{self.port}/ok"}
        return 404, {}

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
