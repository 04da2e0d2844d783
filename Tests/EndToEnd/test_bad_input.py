"""Bad input is answered with the documented error, changes nothing, and never stops others being served."""

import json
import time

import pytest
import zmq

from conftest import call, req


def still_serving(zctx, daemon):
    other = req(zctx, daemon.commands)
    assert call(other, "system.ping", id="other")["result"]["pong"] is True


def error_of(reply):
    assert reply["ok"] is False, reply
    assert set(reply["error"]) == {"code", "message", "details"}
    return reply["error"]


@pytest.mark.parametrize(
    "body, code, message",
    [
        (b"not json at all", "bad_request", "malformed JSON"),
        (b"[1, 2, 3]", "bad_request", "expected a JSON object"),
        (b'"just a string"', "bad_request", "expected a JSON object"),
        (b'{"id": "x"}', "bad_request", "command: missing"),
        (b'{"id": "x", "command": 5}', "bad_request", "command: expected a string"),
        (b'{"id": "x", "command": "system.note", "args": {"text": 5}}', "bad_request", "args.text: expected a string, got 5"),
        (b'{"id": "x", "command": "system.note", "args": {}}', "bad_request", "args.text: missing"),
        (b'{"id": "x", "command": "events.replay", "args": {"after_seq": "x"}}', "bad_request", "args.after_seq"),
        (b'{"id": "x", "command": "system.note", "args": [1]}', "bad_request", "args: expected a JSON object"),
        (b'{"id": "x", "command": "system.ping", "arg": {}}', "bad_request", "arg: unknown field"),
        (b'{"id": "x", "command": "system.note", "args": {"txt": "a"}}', "bad_request", "args.txt: unknown field"),
        (b'{"id": "x", "command": "nosuch.command"}', "unknown_command", "nosuch.command"),
        (b'{"id": "x", "command": "system.note", "args": {"text": "' + b"a" * 4001 + b'"}}', "too_large", "at most 4000"),
        (b'{"id": "x", "command": "system.note", "args": {"text": "  "}}', "bad_request", "args.text"),
        (b'{"id": "x", "command": "events.replay", "args": {"after_seq": 0, "limit": 10001}}', "bad_request", "args.limit"),
        (b"", "bad_request", "empty message"),
        (b"\xff\xfe{\"command\": \"system.ping\"}", "bad_request", "UTF-8"),
    ],
)
def test_each_bad_request_is_answered_and_others_are_served(daemon, zctx, body, code, message):
    client = req(zctx, daemon.commands)
    client.send(body)
    error = error_of(json.loads(client.recv()))
    assert error["code"] == code
    assert message in error["message"], error["message"]
    still_serving(zctx, daemon)
    assert call(req(zctx, daemon.commands), "events.head")["result"]["head_seq"] == 0


def test_three_frames_are_refused(daemon, zctx):
    dealer = zctx.socket(zmq.DEALER)
    dealer.setsockopt(zmq.RCVTIMEO, 5000)
    dealer.connect(daemon.commands)
    dealer.send_multipart([b"one", b"two", b"three"])
    error = error_of(json.loads(dealer.recv_multipart()[-1]))
    assert error["code"] == "bad_request" and "got 3 frames" in error["message"]
    still_serving(zctx, daemon)


def test_a_message_over_the_size_limit_disconnects_that_peer_only(daemon, zctx):
    big = zctx.socket(zmq.DEALER)
    big.setsockopt(zmq.RCVTIMEO, 1000)
    big.connect(daemon.commands)
    big.send(b"{" + b" " * (2 * 1024 * 1024) + b"}")
    with pytest.raises(zmq.Again):
        big.recv()
    still_serving(zctx, daemon)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        status = call(req(zctx, daemon.commands), "system.status")["result"]
        if status["gateway"]["peers_disconnected"] >= 1:
            break
        time.sleep(0.1)
    assert status["gateway"]["peers_disconnected"] >= 1


def test_a_burst_of_10000_garbage_messages_leaves_the_daemon_serving(daemon, zctx):
    dealer = zctx.socket(zmq.DEALER)
    dealer.setsockopt(zmq.RCVTIMEO, 5000)
    dealer.setsockopt(zmq.RCVHWM, 0)
    dealer.connect(daemon.commands)
    for index in range(10_000):
        dealer.send(b"garbage %d \xff" % index)
    replies = 0
    codes = set()
    try:
        while replies < 10_000:
            codes.add(json.loads(dealer.recv())["error"]["code"])
            replies += 1
    except zmq.Again:
        pass
    assert replies > 0 and codes == {"bad_request"}
    still_serving(zctx, daemon)
    status = call(req(zctx, daemon.commands), "system.status")["result"]
    assert status["gateway"]["commands_rejected"] >= replies


def test_more_commands_in_flight_than_allowed_get_unavailable(make_daemon, zctx):
    running = make_daemon(config="limits:\n  commands_in_flight: 1\n")
    dealer = zctx.socket(zmq.DEALER)
    dealer.setsockopt(zmq.RCVTIMEO, 5000)
    dealer.connect(running.commands)
    for index in range(300):
        dealer.send(json.dumps({"id": index, "command": "events.replay", "args": {"after_seq": 0}}).encode())
    replies = [json.loads(dealer.recv()) for _ in range(300)]
    refused = [reply for reply in replies if not reply["ok"]]
    assert refused, "no command was refused with 1 allowed in flight"
    assert all(reply["error"]["code"] == "unavailable" for reply in refused)
    assert refused[0]["error"]["details"]["retry_after_ms"] > 0
    assert any(reply["ok"] for reply in replies)
    still_serving(zctx, running)
