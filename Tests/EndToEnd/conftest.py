"""Fixtures that start the real concordd, as systemd would, and talk CWP/1 to it with pyzmq."""

import json
import os
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import zmq

ROOT = Path(__file__).resolve().parents[2]


def bin_dir() -> Path:
    if "CONCORD_BIN_DIR" in os.environ:
        return Path(os.environ["CONCORD_BIN_DIR"])
    return ROOT / ".build" / "debug"


class Daemon:
    """One concordd process with its own data directory and ipc:// endpoints."""

    def __init__(self, directory: Path, config: str | None = None, extra_args=(), env=None):
        self.directory = directory
        self.events = f"ipc://{directory}/events"
        self.commands = f"ipc://{directory}/commands"
        self.config = config
        self.extra_args = list(extra_args)
        self.env = env or {}
        self.process = None
        self.stderr_path = directory / f"stderr-{uuid.uuid4().hex[:6]}.log"

    def start(self, timeout=15):
        notify_path = str(self.directory / f"notify-{uuid.uuid4().hex[:6]}.sock")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        listener.bind(notify_path)
        listener.settimeout(timeout)
        args = [str(bin_dir() / "concordd"), "--data-dir", str(self.directory / "data"),
                "--events", self.events, "--commands", self.commands, *self.extra_args]
        if self.config is not None:
            path = self.directory / "concordd.yaml"
            path.write_text(self.config)
            args += ["--config", str(path)]
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONCORD_")}
        env.update(self.env)
        env["NOTIFY_SOCKET"] = notify_path
        self.stderr = open(self.stderr_path, "ab")
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=self.stderr, env=env)
        listener.settimeout(0.1)
        try:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise AssertionError(f"concordd exited with {self.process.returncode}")
                try:
                    message = listener.recv(4096).decode()
                except socket.timeout:
                    continue
                if "READY=1" in message.split("\n"):
                    return self
            raise AssertionError("concordd sent no READY=1")
        except AssertionError as error:
            self.process.kill()
            raise AssertionError(f"concordd did not become ready: {error}; stderr:\n{self.log()}")
        finally:
            listener.close()
            os.unlink(notify_path)

    def log(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def signal(self, number):
        self.process.send_signal(number)

    def stop(self, timeout=20) -> int:
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def kill(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def zctx():
    context = zmq.Context()
    yield context
    context.destroy(linger=0)


@pytest.fixture
def daemon(tmp_path):
    started = Daemon(tmp_path).start()
    yield started
    code = started.stop()
    assert code == 0, f"concordd exited {code}; stderr:\n{started.log()}"


@pytest.fixture
def make_daemon(tmp_path):
    made = []

    def make(config=None, extra_args=(), env=None, start=True, subdir=None):
        directory = tmp_path / (subdir or f"d{len(made)}")
        directory.mkdir(exist_ok=True)
        instance = Daemon(directory, config=config, extra_args=extra_args, env=env)
        made.append(instance)
        return instance.start() if start else instance

    yield make
    for instance in made:
        instance.kill()


def req(context, endpoint, timeout_ms=5000, curve=None):
    sock = context.socket(zmq.REQ)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.RCVTIMEO, timeout_ms)
    sock.setsockopt(zmq.SNDTIMEO, timeout_ms)
    if curve:
        apply_curve(sock, curve)
    sock.connect(endpoint)
    return sock


def apply_curve(sock, curve):
    server_public, client_public, client_secret = curve
    sock.curve_serverkey = server_public
    sock.curve_publickey = client_public
    sock.curve_secretkey = client_secret


def call(sock, command, args=None, id="c-1", **extra):
    request = {"id": id, "command": command}
    if args is not None:
        request["args"] = args
    request.update(extra)
    sock.send(json.dumps(request).encode())
    return json.loads(sock.recv())


def subscribe(context, endpoint, *prefixes, curve=None):
    sock = context.socket(zmq.SUB)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.RCVTIMEO, 5000)
    if curve:
        apply_curve(sock, curve)
    sock.connect(endpoint)
    for prefix in prefixes or ("",):
        sock.setsockopt(zmq.SUBSCRIBE, prefix.encode())
    # Subscriptions travel asynchronously: give them time to reach the daemon before publishing.
    time.sleep(0.3)
    return sock


def next_event(sock, skip_heartbeats=True):
    while True:
        frames = sock.recv_multipart()
        if skip_heartbeats and frames[0] == b"system.heartbeat":
            continue
        return frames
