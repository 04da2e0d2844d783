"""CWP/1 as PROTOCOL.md fixes it, checked against the real concordd with nothing but pyzmq."""

import json
import re
import time

import pytest
import zmq

from conftest import call, next_event, req, subscribe

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
ENVELOPE_FIELDS = {"seq", "id", "topic", "time", "source", "correlation_id", "payload"}


def test_an_event_is_two_frames_topic_and_envelope(daemon, zctx):
    sub = subscribe(zctx, daemon.events)
    client = req(zctx, daemon.commands)
    reply = call(client, "system.note", {"text": "dialogue minutes filed"}, id="c-17")
    assert reply["ok"] is True and reply["id"] == "c-17"

    frames = next_event(sub)
    assert len(frames) == 2
    assert frames[0] == b"system.note.recorded"
    envelope = json.loads(frames[1])
    assert set(envelope) == ENVELOPE_FIELDS
    assert envelope["seq"] == 1
    assert envelope["topic"] == "system.note.recorded"
    assert envelope["source"] == "system"
    assert envelope["correlation_id"] == "c-17"
    assert UUID.match(envelope["id"])
    assert TIME.match(envelope["time"])
    assert envelope["payload"] == {"text": "dialogue minutes filed", "by": "client"}


def test_seq_increases_by_one_across_events(daemon, zctx):
    sub = subscribe(zctx, daemon.events, "system.note.")
    client = req(zctx, daemon.commands)
    for index in range(20):
        assert call(client, "system.note", {"text": f"n{index}"}, id=f"c-{index}")["ok"]
    seqs = [json.loads(next_event(sub)[1])["seq"] for _ in range(20)]
    assert seqs == list(range(1, 21))


def test_subscriptions_are_prefixes_of_the_topic_frame(daemon, zctx):
    notes = subscribe(zctx, daemon.events, "system.note.")
    registry = subscribe(zctx, daemon.events, "registry.")
    registry.setsockopt(zmq.RCVTIMEO, 700)
    call(req(zctx, daemon.commands), "system.note", {"text": "x"})
    assert next_event(notes)[0] == b"system.note.recorded"
    with pytest.raises(zmq.Again):
        registry.recv_multipart()


def test_heartbeats_carry_the_head_and_no_seq(make_daemon, zctx):
    running = make_daemon(config="events:\n  heartbeat_interval_ms: 100\n")
    call(req(zctx, running.commands), "system.note", {"text": "one"})
    sub = subscribe(zctx, running.events, "system.heartbeat")
    topic, body = sub.recv_multipart()
    envelope = json.loads(body)
    assert topic == b"system.heartbeat"
    assert set(envelope) == ENVELOPE_FIELDS
    assert envelope["seq"] is None
    assert envelope["payload"] == {"head_seq": 1}
    start = time.monotonic()
    sub.recv_multipart()
    assert time.monotonic() - start < 1.0
    assert running.stop() == 0


def test_req_and_dealer_are_answered_in_the_shape_they_asked(daemon, zctx):
    client = req(zctx, daemon.commands)
    client.send(json.dumps({"id": "r", "command": "system.ping"}).encode())
    assert len(client.recv_multipart()) == 1

    dealer = zctx.socket(zmq.DEALER)
    dealer.setsockopt(zmq.RCVTIMEO, 5000)
    dealer.connect(daemon.commands)
    dealer.send(json.dumps({"id": "bare", "command": "system.ping"}).encode())
    frames = dealer.recv_multipart()
    assert len(frames) == 1 and json.loads(frames[0])["id"] == "bare"
    dealer.send_multipart([b"", json.dumps({"id": "delimited", "command": "system.ping"}).encode()])
    frames = dealer.recv_multipart()
    assert len(frames) == 2 and frames[0] == b""
    assert json.loads(frames[1]) == {"id": "delimited", "ok": True, "result": {"pong": True, "ready": True, "version": "0.1.0"}}


@pytest.mark.parametrize("request_id", ["c-17", 42, None, {"trace": [1, 2]}])
def test_the_id_is_echoed_unchanged(daemon, zctx, request_id):
    client = req(zctx, daemon.commands)
    body = {"command": "system.ping"}
    if request_id is not None:
        body["id"] = request_id
    client.send(json.dumps(body).encode())
    assert json.loads(client.recv())["id"] == request_id


def test_events_head_and_replay_through_the_wire(daemon, zctx):
    client = req(zctx, daemon.commands)
    for index in range(5):
        call(client, "system.note", {"text": f"n{index}"})
    assert call(client, "events.head")["result"] == {"head_seq": 5}
    replay = call(client, "events.replay", {"after_seq": 2, "limit": 2})["result"]
    assert [event["seq"] for event in replay["events"]] == [3, 4]
    assert replay["head_seq"] == 5
    assert all(set(event) == ENVELOPE_FIELDS for event in replay["events"])
    none = call(client, "events.replay", {"after_seq": 0, "topics": ["registry."]})["result"]
    assert none["events"] == []


def test_a_retry_with_the_same_idempotency_key_changes_nothing(daemon, zctx):
    client = req(zctx, daemon.commands)
    first = call(client, "system.note", {"text": "once"}, id="a", idempotency_key="k-1")
    again = call(client, "system.note", {"text": "once"}, id="b", idempotency_key="k-1")
    assert first["ok"] and again["ok"]
    assert again["result"] == first["result"] and again["id"] == "b"
    assert call(client, "events.head")["result"]["head_seq"] == 1
    other = call(client, "system.allowlist.reload", id="c", idempotency_key="k-1")
    assert other["ok"] is False and other["error"]["code"] == "conflict"
    assert "k-1" in other["error"]["message"]


def test_the_catalog_lists_commands_and_events_with_schemas(daemon, zctx):
    catalog = call(req(zctx, daemon.commands), "system.catalog")["result"]
    commands = {entry["command"]: entry for entry in catalog["commands"]}
    assert {"system.ping", "system.status", "events.replay", "system.note", "system.allowlist.reload"} <= set(commands)
    note = commands["system.note"]
    assert note["mutating"] is True
    assert note["args_schema"]["properties"]["text"] == {"type": "string"}
    assert note["args_schema"]["required"] == ["text"]
    topics = {entry["topic"] for entry in catalog["events"]}
    assert {"system.note.recorded", "system.heartbeat"} <= topics
