"""concordctl as an operator uses it, against the real daemon."""

import json
import os
import stat
import subprocess
import threading
import time

import zmq

from conftest import bin_dir, call, req


def ctl(*args, env=None, timeout=30):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CONCORD_")}
    environment.update(env or {})
    return subprocess.run([str(bin_dir() / "concordctl"), *args], capture_output=True, text=True,
                          env=environment, timeout=timeout)


def endpoints(daemon):
    return {"CONCORD_ENDPOINT": daemon.commands, "CONCORD_EVENTS_ENDPOINT": daemon.events}


def test_call_prints_the_result_and_exits_0(daemon):
    result = ctl("call", "system.ping", "--compact", env=endpoints(daemon))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"pong": True, "ready": True, "version": "0.1.0"}
    result = ctl("call", "events.replay", '{"after_seq": 0, "limit": 5}', "--endpoint", daemon.commands)
    assert result.returncode == 0 and json.loads(result.stdout) == {"events": [], "head_seq": 0}


def test_call_reports_the_error_code_and_message_and_exits_non_zero(daemon):
    result = ctl("call", "system.note", '{"text": 5}', env=endpoints(daemon))
    assert result.returncode == 1
    assert result.stderr.startswith("concordctl: bad_request: args.text: expected a string")
    result = ctl("call", "no.such", env=endpoints(daemon))
    assert result.returncode == 1 and "unknown_command" in result.stderr
    result = ctl("call", "system.note", "{not json", env=endpoints(daemon))
    assert result.returncode == 64 and "expected a JSON object" in result.stderr


def test_without_a_daemon_it_fails_quickly_naming_the_endpoint(tmp_path):
    endpoint = f"ipc://{tmp_path}/nobody"
    start = time.monotonic()
    result = ctl("call", "system.ping", "--endpoint", endpoint, "--timeout", "2")
    assert time.monotonic() - start < 8
    assert result.returncode != 0
    assert endpoint in result.stderr
    result = ctl("status", "--endpoint", "tcp://127.0.0.1:9", "--timeout", "2")
    assert result.returncode != 0 and "tcp://127.0.0.1:9" in result.stderr


def test_status_summarises_the_daemon(daemon):
    result = ctl("status", env=endpoints(daemon))
    assert result.returncode == 0, result.stderr
    assert "module system 0.1.0 running" in result.stdout
    assert "accepting commands" in result.stdout
    as_json = json.loads(ctl("status", "--json", env=endpoints(daemon)).stdout)
    assert as_json["gateway"]["commands_endpoint"] == daemon.commands


def test_events_prints_every_event_once_in_order_while_they_are_written(daemon, zctx):
    client = req(zctx, daemon.commands)
    for index in range(10):
        call(client, "system.note", {"text": f"before {index}"})
    follower = subprocess.Popen(
        [str(bin_dir() / "concordctl"), "events", "--after", "0", "--count", "60"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("CONCORD_")}, **endpoints(daemon)},
    )

    def writer(name):
        local = zmq.Context.instance()
        sock = req(local, daemon.commands)
        for index in range(25):
            call(sock, "system.note", {"text": f"{name} {index}"})
        sock.close()

    threads = [threading.Thread(target=writer, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out, err = follower.communicate(timeout=30)
    assert follower.returncode == 0, err
    seqs = [json.loads(line)["seq"] for line in out.splitlines()]
    assert seqs == list(range(1, 61))


def test_events_filters_by_topic_prefix(daemon, zctx):
    client = req(zctx, daemon.commands)
    call(client, "system.note", {"text": "one"})
    result = ctl("events", "--after", "0", "--topic", "system.note.", "--count", "1", env=endpoints(daemon))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["payload"]["text"] == "one"


def test_keys_generate_writes_a_private_secret_and_an_allowlist_line(tmp_path):
    result = ctl("keys", "generate", "--out", str(tmp_path), "--name", "mekong", "--role", "reader")
    assert result.returncode == 0, result.stderr
    secret = tmp_path / "mekong.secret"
    public = (tmp_path / "mekong.public").read_text().strip()
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert len(secret.read_text().strip()) == 40 and len(public) == 40
    assert f"allowlist line: {public} reader mekong" in result.stdout
    again = ctl("keys", "generate", "--out", str(tmp_path), "--name", "mekong")
    assert again.returncode != 0 and "refusing to overwrite" in again.stderr
