"""CURVE: only listed keys get in, each role does what it allows, and revocation takes effect at once."""

import json
import signal
import subprocess
import time

import pytest
import zmq

from conftest import bin_dir, call, req, subscribe

ROLES = ["subscriber", "reader", "operator", "admin"]


@pytest.fixture
def curve(make_daemon, tmp_path):
    keys_dir = tmp_path / "keys"
    keys_dir.mkdir()
    server_public, server_secret = zmq.curve_keypair()
    (keys_dir / "server.secret").write_bytes(server_secret + b"\n")
    clients = {}
    lines = []
    for role in ROLES:
        # concordctl writes the client keys, as an operator would.
        out = subprocess.run(
            [str(bin_dir() / "concordctl"), "keys", "generate", "--out", str(keys_dir), "--name", role, "--role", role],
            capture_output=True, text=True, check=True,
        ).stdout
        line = next(l for l in out.splitlines() if l.startswith("allowlist line: "))[len("allowlist line: "):]
        lines.append(line)
        public = (keys_dir / f"{role}.public").read_text().strip().encode()
        secret = (keys_dir / f"{role}.secret").read_text().strip().encode()
        clients[role] = (server_public, public, secret)
    allowlist = keys_dir / "allowlist"
    allowlist.write_text("# key role name\n" + "\n".join(lines) + "\n")
    config = (
        "security:\n  mode: curve\n"
        f"  server_secret_key_file: {keys_dir / 'server.secret'}\n"
        f"  allowlist: {allowlist}\n"
    )
    running = make_daemon(config=config)
    return running, clients, allowlist, keys_dir, server_public


def test_each_role_can_do_what_it_allows_and_is_forbidden_beyond(curve, zctx):
    running, clients, *_ = curve
    expectations = {
        # command: the least role that may send it
        "system.ping": "reader",
        "events.replay": "reader",
        "system.note": "operator",
        "system.allowlist.reload": "admin",
    }
    args = {"events.replay": {"after_seq": 0}, "system.note": {"text": "hello"}}
    for role in ROLES:
        client = req(zctx, running.commands, curve=clients[role])
        for command, least in expectations.items():
            reply = call(client, command, args.get(command), id=f"{role}-{command}")
            allowed = ROLES.index(role) >= ROLES.index(least)
            assert reply["ok"] is allowed, (role, command, reply)
            if not allowed:
                assert reply["error"]["code"] == "forbidden"
                assert least in reply["error"]["message"]


def test_a_subscriber_key_receives_events(curve, zctx):
    running, clients, *_ = curve
    sub = subscribe(zctx, running.events, "system.note.", curve=clients["subscriber"])
    call(req(zctx, running.commands, curve=clients["operator"]), "system.note", {"text": "for subscribers"})
    topic, body = sub.recv_multipart()
    assert topic == b"system.note.recorded"
    assert json.loads(body)["payload"] == {"text": "for subscribers", "by": "operator"}


@pytest.mark.parametrize("who", ["unlisted key", "no curve", "wrong server key"])
def test_strangers_are_refused(curve, zctx, who):
    running, clients, *_ = curve
    if who == "unlisted key":
        public, secret = zmq.curve_keypair()
        keys = (clients["admin"][0], public, secret)
    elif who == "wrong server key":
        wrong_server, _ = zmq.curve_keypair()
        keys = (wrong_server, clients["admin"][1], clients["admin"][2])
    else:
        keys = None
    client = req(zctx, running.commands, timeout_ms=1500, curve=keys)
    client.send(json.dumps({"id": "x", "command": "system.ping"}).encode())
    with pytest.raises(zmq.Again):
        client.recv()
    sub = subscribe(zctx, running.events, curve=keys)
    sub.setsockopt(zmq.RCVTIMEO, 1500)
    with pytest.raises(zmq.Again):
        sub.recv_multipart()
    # A listed key still gets in.
    assert call(req(zctx, running.commands, curve=clients["reader"]), "system.ping")["ok"]
    if who == "unlisted key":
        status = call(req(zctx, running.commands, curve=clients["reader"]), "system.status")["result"]
        assert status["gateway"]["clients_refused"] >= 1
        assert status["gateway"]["security_mode"] == "curve"


def revoke(allowlist, role):
    kept = [line for line in allowlist.read_text().splitlines() if not line.endswith(f" {role}")]
    allowlist.write_text("\n".join(kept) + "\n")


def test_sighup_revokes_a_key_for_its_next_command_and_new_connections(curve, zctx):
    running, clients, allowlist, *_ = curve
    connected = req(zctx, running.commands, curve=clients["reader"])
    assert call(connected, "system.ping", id="before")["ok"]
    revoke(allowlist, "reader")
    running.signal(signal.SIGHUP)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        reply = call(connected, "system.ping", id="after")
        if not reply["ok"]:
            break
        time.sleep(0.05)
    assert reply["error"]["code"] == "forbidden"
    fresh = req(zctx, running.commands, timeout_ms=1500, curve=clients["reader"])
    fresh.send(json.dumps({"command": "system.ping"}).encode())
    with pytest.raises(zmq.Again):
        fresh.recv()
    assert call(req(zctx, running.commands, curve=clients["operator"]), "system.ping")["ok"]


def test_an_admin_reloads_the_allowlist_by_command(curve, zctx):
    running, clients, allowlist, *_ = curve
    revoke(allowlist, "operator")
    reply = call(req(zctx, running.commands, curve=clients["admin"]), "system.allowlist.reload")
    assert reply["ok"] and reply["result"] == {"keys": 3}
    connected = req(zctx, running.commands, timeout_ms=1500, curve=clients["operator"])
    connected.send(json.dumps({"command": "system.ping"}).encode())
    with pytest.raises(zmq.Again):
        connected.recv()


def test_concordctl_speaks_curve(curve, tmp_path):
    running, clients, allowlist, keys_dir, server_public = curve
    result = subprocess.run(
        [str(bin_dir() / "concordctl"), "call", "system.note", '{"text": "from the secretariat"}', "--compact",
         "--endpoint", running.commands, "--server-key", server_public.decode(),
         "--key", str(keys_dir / "operator.secret")],
        capture_output=True, text=True, timeout=20,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"text": "from the secretariat", "by": "operator"}


def test_a_non_loopback_endpoint_without_curve_is_refused_at_start(make_daemon):
    refused = make_daemon(start=False)
    args = [str(bin_dir() / "concordd"), "--data-dir", str(refused.directory / "data"),
            "--events", refused.events, "--commands", "tcp://0.0.0.0:7999"]
    result = subprocess.run(args, capture_output=True, text=True, timeout=20)
    assert result.returncode == 78
    assert "endpoints.commands tcp://0.0.0.0:7999" in result.stderr
    assert "security.mode" in result.stderr and "curve" in result.stderr
