"""External modules attached over the command endpoint: Plugins/monitoring-intake (Python, pyzmq only) started as
its README says, driven over CWP/1, killed with -9 in the middle of a command and started again; and raw pyzmq
modules for the protocol's edges (timeouts, late replies, declarations that conflict, roles under CURVE)."""

import json
import os
import signal
import subprocess
import sys
import time

import zmq

from conftest import ROOT, bin_dir, call, next_event, req, subscribe
from test_notifications import client_of
from test_registry import error, ok

INTAKE = ROOT / "Plugins" / "monitoring-intake" / "monitoring_intake.py"

REPORT = {"period": "2025-2026", "inventory": {"year": 2024, "sectors": {
    "transport": 412_000.5, "residential_buildings": 268_300, "waste": 51_250}},
    "actions": [{"title": "Bus rapid transit line 1", "sector": "transport", "status": "ongoing"},
                {"title": "LED street lighting", "sector": "public_lighting", "status": "completed"}],
    "submitted_by": "Department of Natural Resources and Environment"}


def start_intake(daemon, tmp_path, env=None, heartbeat_ms=300):
    log = open(tmp_path / "intake.log", "ab")
    process = subprocess.Popen(
        [sys.executable, str(INTAKE), "--endpoint", daemon.commands, "--database", str(tmp_path / "monitoring.sqlite"),
         "--heartbeat-ms", str(heartbeat_ms)],
        stdout=log, stderr=log, env={**os.environ, **(env or {})})
    return process


def module_state(client, name="monitoring"):
    return next((m for m in ok(call(client, "system.status"))["modules"] if m["name"] == name), None)


def wait_attached(client, name="monitoring", timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = module_state(client, name)
        if state and state["state"] == "running":
            return state
        time.sleep(0.05)
    raise AssertionError(f"{name} did not attach: {module_state(client, name)}")


def city(client, name):
    return ok(call(client, "registry.actor.list", {"text": name}))["actors"][0]


def test_monitoring_intake_attaches_validates_stores_and_journals(make_daemon, tmp_path, zctx):
    daemon = make_daemon(extra_args=["--demo"])
    intake = start_intake(daemon, tmp_path)
    try:
        with client_of(zctx, daemon) as client:
            state = wait_attached(client)
            assert state["version"] == "1.0.0" and state["details"]["external"]["heartbeat_ms"] == 300
            catalog = ok(call(client, "system.catalog"))
            commands = {c["command"]: c for c in catalog["commands"] if c["module"] == "monitoring"}
            assert sorted(commands) == ["monitoring.report.get", "monitoring.report.list", "monitoring.report.submit"]
            assert commands["monitoring.report.submit"]["mutating"] is True
            assert commands["monitoring.report.get"]["mutating"] is False
            assert commands["monitoring.report.submit"]["args_schema"]["required"] == [
                "city", "period", "inventory", "actions"]
            assert [e["topic"] for e in catalog["events"] if e["module"] == "monitoring"] == [
                "monitoring.report.submitted"]

            events = subscribe(zctx, daemon.events, "monitoring.")
            vientiane = city(client, "Vientiane")
            submitted = ok(call(client, "monitoring.report.submit", {"city": vientiane["id"], **REPORT}, id="m-1"))
            report = submitted["report"]
            assert submitted["resubmitted"] is False
            assert (report["city_name"], report["total_tco2e"]) == ("Vientiane Capital", 731_550.5)
            topic, envelope = next_event(events)
            envelope = json.loads(envelope)
            assert topic == b"monitoring.report.submitted" and envelope["source"] == "monitoring"
            assert envelope["correlation_id"] == "m-1"
            assert envelope["payload"]["actions"] == {"not_started": 0, "ongoing": 1, "completed": 1,
                                                      "postponed": 0, "cancelled": 0}
            assert ok(call(client, "monitoring.report.get", {"id": report["id"]})) == report
            assert ok(call(client, "monitoring.report.list", {"city": vientiane["id"]}))["reports"] == [report]

            # Bad input is refused by the module, naming the field; nothing is journaled.
            head = ok(call(client, "events.head"))["head_seq"]
            cases = [
                ({**REPORT, "period": "2025-2027"}, "bad_request", 'args.period: expected two consecutive years'),
                ({**REPORT, "inventory": {"year": 2024, "sectors": {"transport": "lots"}}}, "bad_request",
                 'args.inventory.sectors.transport: expected tonnes CO2-equivalent, 0 or more, got "lots"'),
                ({**REPORT, "inventory": {"year": 2024, "sectors": {"aviation": 1}}}, "bad_request",
                 "args.inventory.sectors.aviation: unknown sector"),
                ({**REPORT, "actions": [{"title": "x", "status": "done"}]}, "bad_request",
                 'args.actions[0].status: expected one of not_started, ongoing, completed, postponed, cancelled'),
                ({**REPORT, "inventory": {"year": 2024, "sectors": {"waste": 1}}}, "conflict",
                 "Vientiane Capital has a report for 2025-2026"),
            ]
            for args, code, message in cases:
                assert message in error(call(client, "monitoring.report.submit", {"city": vientiane["id"], **args}),
                                        code)
            assert "no actor nope in the register" in error(
                call(client, "monitoring.report.submit", {"city": "nope", **REPORT}), "not_found")
            network_actor = next(a for a in ok(call(client, "registry.actor.list", {"limit": 1000}))["actors"]
                                 if a["fields"]["kind"] not in ("city", "local_government"))
            assert "a monitoring report is a city's" in error(
                call(client, "monitoring.report.submit", {"city": network_actor["id"], **REPORT}), "bad_request")
            assert ok(call(client, "events.head"))["head_seq"] == head
            assert "no such report" in error(call(client, "monitoring.report.get", {"id": "x"}), "not_found")
            events.close(0)

        # The daemon restarts: the module hears it go silent, or is told it is not attached, and attaches again.
        assert daemon.stop() == 0
        daemon.start()
        with client_of(zctx, daemon) as client:
            wait_attached(client)
            assert ok(call(client, "monitoring.report.list", {"city": vientiane["id"]}))["reports"] == [report]
        assert intake.poll() is None
    finally:
        intake.kill()
        intake.wait()


def test_kill_9_mid_command_answers_unavailable_journals_nothing_and_reattaches(make_daemon, tmp_path, zctx):
    daemon = make_daemon(extra_args=["--demo"])
    # The module stores the report, then takes 3 s to answer: it is killed in between.
    intake = start_intake(daemon, tmp_path, env={"MONITORING_INTAKE_PAUSE_BEFORE_REPLY_MS": "3000"})
    with client_of(zctx, daemon) as client:
        wait_attached(client)
        osh = city(client, "Osh City")
        head = ok(call(client, "events.head"))["head_seq"]
        caller = req(zctx, daemon.commands, timeout_ms=10000)
        caller.send(json.dumps({"id": "k-1", "command": "monitoring.report.submit",
                                "args": {"city": osh["id"], **REPORT}, "idempotency_key": "osh-2025"}).encode())
        time.sleep(1.0)
        intake.send_signal(signal.SIGKILL)
        intake.wait()
        started = time.monotonic()
        reply = json.loads(caller.recv())
        assert time.monotonic() - started < 3, "the caller waited for the command timeout, not the heartbeats"
        assert reply["ok"] is False and reply["error"]["code"] == "unavailable", reply
        assert 'module "monitoring" is detached' in reply["error"]["message"]
        assert ok(call(client, "events.head"))["head_seq"] == head
        state = module_state(client)
        assert state["state"] == "detached"
        assert state["details"]["external"]["detached_because"] == "no heartbeat for three intervals"
        # Its commands answer unavailable, not unknown_command, while it is away.
        assert "is detached" in error(call(client, "monitoring.report.list", {}), "unavailable")

        restarted = start_intake(daemon, tmp_path)
        try:
            wait_attached(client)
            # The retry finds the report the killed module had stored: the same report, journaled once now.
            retried = ok(call(caller, "monitoring.report.submit", {"city": osh["id"], **REPORT},
                              id="k-2", idempotency_key="osh-2025"))
            assert retried["resubmitted"] is True and retried["report"]["city_name"] == "Osh City Mayor's Office"
            again = ok(call(caller, "monitoring.report.submit", {"city": osh["id"], **REPORT},
                            id="k-3", idempotency_key="osh-2025"))
            assert again == retried
            journaled = ok(call(client, "events.replay", {"after_seq": head, "topics": ["monitoring."]}))["events"]
            assert [e["payload"]["report"] for e in journaled] == [retried["report"]["id"]]
        finally:
            restarted.kill()
            restarted.wait()
        caller.close(0)


class RawModule:
    """A module written with pyzmq alone, as docs/protocol.md describes, for the protocol's edges."""

    def __init__(self, context, endpoint, curve=None):
        self.sock = context.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.RCVTIMEO, 5000)
        if curve:
            self.sock.curve_serverkey, self.sock.curve_publickey, self.sock.curve_secretkey = curve
        self.sock.connect(endpoint)

    def attach(self, **declaration):
        self.sock.send(json.dumps({"id": "attach", "command": "system.module.attach", "args": declaration}).encode())
        return self.next(lambda m: m.get("id") == "attach")

    def next(self, wanted=lambda m: m.get("type") == "command"):
        while True:
            message = json.loads(self.sock.recv())
            if wanted(message):
                return message

    def send(self, message):
        self.sock.send(json.dumps(message).encode())


def test_late_replies_are_dropped_and_counted_and_declarations_are_checked(make_daemon, tmp_path, zctx):
    daemon = make_daemon()
    with client_of(zctx, daemon) as client:
        module = RawModule(zctx, daemon.commands)
        attached = module.attach(name="slow", version="0.1.0", commands=[{"command": "slow.work"}],
                                 events=[{"topic": "slow.done"}], command_timeout_ms=300, heartbeat_ms=5000)
        assert attached["ok"] and attached["result"]["command_timeout_ms"] == 300
        caller = req(zctx, daemon.commands)
        caller.send(json.dumps({"id": "w-1", "command": "slow.work", "args": {"n": 1}}).encode())
        command = module.next()
        assert command["command"] == "slow.work" and command["args"] == {"n": 1}
        assert command["caller"] == "client" and command["request_id"] == "w-1" and command["role"] is None
        reply = json.loads(caller.recv())
        assert reply["error"]["code"] == "unavailable" and "did not answer in time" in reply["error"]["message"]
        module.send({"type": "reply", "call": command["call"], "ok": True, "result": {},
                     "events": [{"topic": "slow.done", "payload": {}}]})
        time.sleep(0.2)
        details = module_state(client, "slow")["details"]["external"]
        assert (details["timed_out"], details["late_replies"], details["in_flight"]) == (1, 1, 0)
        assert ok(call(client, "events.replay", {"after_seq": 0, "topics": ["slow."]}))["events"] == []

        # An answer in time is journaled with the reply; an undeclared event fails the command, journaling nothing.
        caller.send(json.dumps({"id": "w-2", "command": "slow.work", "args": {}}).encode())
        command = module.next()
        module.send({"type": "reply", "call": command["call"], "ok": True, "result": {"done": 2},
                     "events": [{"topic": "slow.done", "payload": {"n": 2}}]})
        assert json.loads(caller.recv())["result"] == {"done": 2}
        caller.send(json.dumps({"id": "w-3", "command": "slow.work", "args": {}}).encode())
        command = module.next()
        module.send({"type": "reply", "call": command["call"], "ok": True, "result": {},
                     "events": [{"topic": "slow.other", "payload": {}}]})
        assert json.loads(caller.recv())["error"]["code"] == "internal"
        journaled = ok(call(client, "events.replay", {"after_seq": 0, "topics": ["slow."]}))["events"]
        assert [(e["topic"], e["payload"]) for e in journaled] == [("slow.done", {"n": 2})]
        # A module's own error reaches the caller as it was given.
        caller.send(json.dumps({"id": "w-4", "command": "slow.work", "args": {}}).encode())
        command = module.next()
        module.send({"type": "reply", "call": command["call"], "ok": False,
                     "error": {"code": "not_found", "message": "no work 4", "details": {"n": 4}}})
        assert json.loads(caller.recv())["error"] == {"code": "not_found", "message": "no work 4", "details": {"n": 4}}

        other = RawModule(zctx, daemon.commands)
        refused = [
            (dict(name="thief", version="1", namespaces=["registry"], commands=[{"command": "registry.steal"}]),
             "conflict", 'module "thief" claims the namespace "registry", which module "registry" owns'),
            (dict(name="slow2", version="1", namespaces=["slow"], commands=[{"command": "slow.more"}]),
             "conflict", 'module "slow2" claims the namespace "slow", which module "slow" owns'),
            (dict(name="Bad Name", version="1", commands=[{"command": "x.y"}]), "bad_request", "args.name"),
            (dict(name="odd", version="1", commands=[{"command": "even.y"}]), "bad_request",
             "args.commands[0].command: even.y is outside the module's namespaces (odd)"),
            (dict(name="odd", version="1", commands=[]), "bad_request", "args.commands: expected at least one"),
            (dict(name="odd", version="1", commands=[{"command": "odd.y"}], heartbeat_ms=5), "bad_request",
             "args.heartbeat_ms: expected 100 to 60000, got 5"),
        ]
        for declaration, code, message in refused:
            answer = other.attach(**declaration)
            assert answer["ok"] is False and answer["error"]["code"] == code and message in answer["error"]["message"], answer
        # A message from a connection with no module attached is answered with why.
        other.send({"type": "heartbeat"})
        assert other.next(lambda m: m.get("type") == "error")["error"]["code"] == "unavailable"
        # Detaching: its commands answer unavailable.
        module.send({"id": "d", "command": "system.module.detach"})
        assert module.next(lambda m: m.get("id") == "d")["ok"] is True
        assert "is detached (it detached)" in error(call(client, "slow.work", {}), "unavailable")
        caller.close(0)


def test_only_the_module_and_admin_roles_may_attach_under_curve_and_commands_carry_the_callers_role(
        make_daemon, tmp_path, zctx):
    keys = tmp_path / "keys"
    keys.mkdir()
    server_public, server_secret = zmq.curve_keypair()
    (keys / "server.secret").write_bytes(server_secret + b"\n")
    clients, lines = {}, []
    for role in ["reader", "module", "operator"]:
        public, secret = zmq.curve_keypair()
        lines.append(f"{public.decode()} {role} {role}-key")
        clients[role] = (server_public, public, secret)
    (keys / "allowlist").write_text("\n".join(lines) + "\n")
    daemon = make_daemon(config=(f"security:\n  mode: curve\n  server_secret_key_file: {keys / 'server.secret'}\n"
                                 f"  allowlist: {keys / 'allowlist'}\n"))
    for role in ["reader", "operator"]:
        answer = RawModule(zctx, daemon.commands, curve=clients[role]).attach(
            name="probe", version="1", commands=[{"command": "probe.ask", "mutating": False}])
        assert answer["error"]["code"] == "forbidden", answer
        assert f'needs the module or admin role; key "{role}-key" has the {role} role' in answer["error"]["message"]
    module = RawModule(zctx, daemon.commands, curve=clients["module"])
    assert module.attach(name="probe", version="1", commands=[{"command": "probe.ask", "mutating": False},
                                                               {"command": "probe.change"}])["ok"]
    reader = req(zctx, daemon.commands, curve=clients["reader"])
    reader.send(json.dumps({"id": "r-1", "command": "probe.ask"}).encode())
    command = module.next()
    assert (command["caller"], command["role"]) == ("reader-key", "reader")
    module.send({"type": "reply", "call": command["call"], "ok": True, "result": {"seen": command["role"]}})
    assert json.loads(reader.recv())["result"] == {"seen": "reader"}
    # A mutating command of a module still needs the operator role.
    assert "needs the operator role" in error(call(reader, "probe.change", {}), "forbidden")
    # The module key reads like a reader: it may replay events, not change anything.
    module.send({"id": "replay", "command": "events.replay", "args": {"after_seq": 0}})
    assert module.next(lambda m: m.get("id") == "replay")["ok"] is True
    module.send({"id": "note", "command": "system.note", "args": {"text": "x"}})
    assert module.next(lambda m: m.get("id") == "note")["error"]["code"] == "forbidden"
