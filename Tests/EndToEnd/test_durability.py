"""The journal under the registry's mutating commands: kill -9 at random moments, and a slow subscriber."""

import json
import os
import random
import subprocess
import threading
import time

import zmq

from conftest import bin_dir, call, req, subscribe
from test_concordctl import endpoints
from test_registry import ok


def register_until_stopped(endpoint, prefix, acknowledged, stop):
    """Registers actors as fast as one REQ client can; records the id of every acknowledged one."""
    context = zmq.Context()
    sock = req(context, endpoint, timeout_ms=1000)
    index = 0
    try:
        while not stop.is_set():
            index += 1
            try:
                reply = call(sock, "registry.actor.register", {
                    "actor": {"name": f"{prefix} {index}", "kind": "city", "country": "KG"}}, id=f"{prefix}-{index}")
            except zmq.ZMQError:
                return  # the daemon died under us: this command was never acknowledged
            if reply.get("ok"):
                acknowledged.append(reply["result"]["id"])
    finally:
        context.destroy(linger=0)


def replay_all(client):
    events, after = [], 0
    while True:
        page = ok(call(client, "events.replay", {"after_seq": after, "limit": 1000}))["events"]
        events += page
        if len(page) < 1000:
            return events
        after = page[-1]["seq"]


def test_kill_9_never_loses_an_acknowledged_command(make_daemon, zctx):
    daemon = make_daemon(start=False)
    acknowledged = []
    rng = random.Random(7)
    for round in range(20):
        daemon.start()
        stop = threading.Event()
        writers = [threading.Thread(target=register_until_stopped,
                                    args=(daemon.commands, f"r{round}w{w}", acknowledged, stop)) for w in range(2)]
        for writer in writers:
            writer.start()
        time.sleep(rng.uniform(0.05, 0.4))
        daemon.kill()  # SIGKILL, mid-write
        stop.set()
        for writer in writers:
            writer.join(timeout=10)
    assert len(acknowledged) > 100, "the writers should have been acknowledged many times"

    daemon.start()
    client = req(zctx, daemon.commands)
    events = replay_all(client)
    seqs = [e["seq"] for e in events]
    assert seqs == list(range(1, len(seqs) + 1)), "seq is gapless and never repeats"
    registered = [e["payload"]["actor"]["id"] for e in events if e["topic"] == "registry.actor.registered"]
    assert len(registered) == len(set(registered))
    missing = set(acknowledged) - set(registered)
    assert not missing, f"{len(missing)} acknowledged registrations have no event"
    head = ok(call(client, "system.status"))["head_seq"]
    assert head == len(seqs)

    environment = {k: v for k, v in os.environ.items() if not k.startswith("CONCORD_")}
    environment.update(endpoints(daemon))
    out = subprocess.run([str(bin_dir() / "concordctl"), "events", "--after", "0", "--count", str(head)],
                         capture_output=True, text=True, env=environment, timeout=60)
    assert out.returncode == 0, out.stderr
    printed = [json.loads(line)["seq"] for line in out.stdout.splitlines()]
    assert printed == seqs, "concordctl events --after 0 prints every event exactly once, in order"
    assert daemon.stop() == 0


def test_a_slow_subscriber_misses_events_others_do_not_and_replay_recovers_them(make_daemon, zctx):
    daemon = make_daemon(config="limits:\n  events_send_hwm: 50\n")
    slow = zctx.socket(zmq.SUB)
    slow.setsockopt(zmq.RCVHWM, 10)
    slow.setsockopt(zmq.LINGER, 0)
    slow.connect(daemon.events)
    slow.setsockopt(zmq.SUBSCRIBE, b"registry.")
    fast = subscribe(zctx, daemon.events, "registry.")
    total = 2000
    received = []

    def read_fast():
        while len(received) < total:
            topic, body = fast.recv_multipart()
            received.append(json.loads(body)["seq"])

    reader = threading.Thread(target=read_fast)
    reader.start()
    stop = threading.Event()
    acknowledged = []
    writers = [threading.Thread(target=lambda w=w: register_until_stopped(daemon.commands, f"w{w}", acknowledged, stop))
               for w in range(2)]
    for writer in writers:
        writer.start()
    while len(acknowledged) < total:
        time.sleep(0.01)
    stop.set()
    for writer in writers:
        writer.join()
    reader.join(timeout=30)
    assert received[:total] == list(range(1, total + 1)), "the reading subscriber got every event in order"

    # The slow subscriber now reads what it was left: far fewer (past the high-water marks, the rest dropped).
    got = []
    while True:
        try:
            topic, body = slow.recv_multipart(flags=zmq.NOBLOCK)
            got.append(json.loads(body)["seq"])
        except zmq.Again:
            break
    assert len(got) < total // 2, f"the slow subscriber should have lost events, got {len(got)}"
    client = req(zctx, daemon.commands)
    status = ok(call(client, "system.status"))
    assert status["gateway"]["event_subscriptions"] >= 1  # libzmq passes on identical prefixes once
    assert status["gateway"]["events_published"] >= total
    # Replay gives it everything it missed.
    missed = [s for s in range(1, total + 1) if s not in set(got)]
    replayed = {e["seq"] for e in replay_all(client)}
    assert set(missed) <= replayed
