#!/usr/bin/env python3
"""monitoring-intake: an external Concord module, in Python with pyzmq only.

Cities submit their biennial monitoring report, after the Covenant of Mayors' template: the period it covers, an
emission inventory in tonnes CO2-equivalent by sector, and the status of each action of their plan. The module
validates a report, keeps it in its own SQLite file, and returns the event monitoring.report.submitted with its
reply, which the daemon journals in the commit that answers the caller.

It attaches over CWP/1's command endpoint (docs/protocol.md, "External modules"), answers heartbeats, and attaches
again whenever the daemon stops hearing it (a daemon restart, a network cut, its own restart).

    python3 Plugins/monitoring-intake/monitoring_intake.py --endpoint tcp://127.0.0.1:7402 --database monitoring.sqlite
"""

import argparse
import json
import os
import re
import signal
import sqlite3
import sys
import time
import uuid

import zmq

NAME = "monitoring"
VERSION = "1.0.0"

SECTORS = ["municipal_buildings", "tertiary_buildings", "residential_buildings", "public_lighting", "industry",
           "transport", "waste", "wastewater", "agriculture", "other"]
ACTION_STATUSES = ["not_started", "ongoing", "completed", "postponed", "cancelled"]
CITY_KINDS = {"city", "local_government"}

REPORT_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "string"}, "city": {"type": "string"}, "city_name": {"type": "string"},
        "period": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{4}$"}, "inventory_year": {"type": "integer"},
        "total_tco2e": {"type": "number"},
        "sectors": {"type": "object", "additionalProperties": {"type": "number", "minimum": 0}},
        "actions": {"type": "array", "items": {"type": "object"}},
        "submitted_by": {"type": ["string", "null"]}, "submitted_at": {"type": "string"},
    },
}
SUBMIT_SCHEMA = {
    "type": "object",
    "required": ["city", "period", "inventory", "actions"],
    "additionalProperties": False,
    "properties": {
        "city": {"type": "string", "description": "the reporting city's actor id"},
        "period": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{4}$", "description": "two consecutive years"},
        "inventory": {
            "type": "object", "required": ["year", "sectors"], "additionalProperties": False,
            "properties": {
                "year": {"type": "integer"},
                "sectors": {"type": "object", "propertyNames": {"enum": SECTORS},
                            "additionalProperties": {"type": "number", "minimum": 0}},
            },
        },
        "actions": {"type": "array", "items": {
            "type": "object", "required": ["title", "status"], "additionalProperties": False,
            "properties": {"title": {"type": "string"}, "sector": {"enum": SECTORS},
                           "status": {"enum": ACTION_STATUSES}}}},
        "submitted_by": {"type": "string"},
        "replace": {"type": "boolean", "description": "replace the city's report for the period"},
    },
}
SUBMITTED_SCHEMA = {
    "type": "object",
    "properties": {
        "report": {"type": "string"}, "city": {"type": "string"}, "city_name": {"type": "string"},
        "period": {"type": "string"}, "inventory_year": {"type": "integer"}, "total_tco2e": {"type": "number"},
        "sectors": {"type": "object"}, "actions": {"type": "object"}, "replaced": {"type": "boolean"},
    },
}

DECLARATION = {
    "name": NAME, "version": VERSION,
    "commands": [
        {"command": "monitoring.report.submit", "mutating": True, "args_schema": SUBMIT_SCHEMA,
         "reply_schema": {"type": "object", "properties": {"report": REPORT_SCHEMA, "resubmitted": {"type": "boolean"}}}},
        {"command": "monitoring.report.get", "mutating": False,
         "args_schema": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}},
         "reply_schema": REPORT_SCHEMA},
        {"command": "monitoring.report.list", "mutating": False,
         "args_schema": {"type": "object", "properties": {"city": {"type": "string"}, "period": {"type": "string"}}},
         "reply_schema": {"type": "object", "properties": {"reports": {"type": "array", "items": REPORT_SCHEMA}}}},
    ],
    "events": [{"topic": "monitoring.report.submitted", "payload_schema": SUBMITTED_SCHEMA}],
}


class Refusal(Exception):
    """A command refused with a CWP/1 error code and a message naming what was wrong."""

    def __init__(self, code, message, details=None):
        super().__init__(message)
        self.code, self.message, self.details = code, message, details or {}


def bad(message):
    return Refusal("bad_request", message)


def describe(value):
    if isinstance(value, str):
        return json.dumps(value[:60], ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return str(value)
    return "an array" if isinstance(value, list) else "an object"


class Store:
    """The module's own SQLite file: one report per city and period."""

    def __init__(self, path):
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute("""CREATE TABLE IF NOT EXISTS monitoring_reports (
            id TEXT PRIMARY KEY, city TEXT NOT NULL, city_name TEXT NOT NULL, period TEXT NOT NULL,
            inventory_year INTEGER NOT NULL, total_tco2e REAL NOT NULL, body TEXT NOT NULL,
            submitted_by TEXT, submitted_at TEXT NOT NULL, UNIQUE (city, period))""")

    def find(self, city, period):
        row = self.db.execute("SELECT body FROM monitoring_reports WHERE city = ? AND period = ?",
                              (city, period)).fetchone()
        return json.loads(row[0]) if row else None

    def get(self, report_id):
        row = self.db.execute("SELECT body FROM monitoring_reports WHERE id = ?", (report_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, report):
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.execute("DELETE FROM monitoring_reports WHERE city = ? AND period = ?",
                            (report["city"], report["period"]))
            self.db.execute("INSERT INTO monitoring_reports VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", (
                report["id"], report["city"], report["city_name"], report["period"], report["inventory_year"],
                report["total_tco2e"], json.dumps(report, ensure_ascii=False), report["submitted_by"],
                report["submitted_at"]))
            self.db.execute("COMMIT")
        except Exception:
            self.db.execute("ROLLBACK")
            raise

    def list(self, city=None, period=None):
        sql, args = "SELECT body FROM monitoring_reports WHERE 1 = 1", []
        if city:
            sql += " AND city = ?"
            args.append(city)
        if period:
            sql += " AND period = ?"
            args.append(period)
        return [json.loads(row[0]) for row in self.db.execute(sql + " ORDER BY period DESC, city_name", args)]


def check_report(args):
    """The report as the command's args give it, checked field by field; returns the fields kept."""
    allowed = {"city", "period", "inventory", "actions", "submitted_by", "replace"}
    for key in sorted(args):
        if key not in allowed:
            raise bad(f"args.{key}: unknown field; monitoring.report.submit takes {', '.join(sorted(allowed))}")
    for key in ["city", "period", "inventory", "actions"]:
        if key not in args:
            raise bad(f"args.{key}: missing; this field is required")
    if not isinstance(args["city"], str) or not args["city"]:
        raise bad(f"args.city: expected the city's actor id, got {describe(args['city'])}")
    period = args["period"]
    match = re.fullmatch(r"([0-9]{4})-([0-9]{4})", period) if isinstance(period, str) else None
    if not match or int(match.group(2)) != int(match.group(1)) + 1:
        raise bad(f"args.period: expected two consecutive years such as \"2025-2026\", got {describe(period)}")
    first, last = int(match.group(1)), int(match.group(2))
    inventory = args["inventory"]
    if not isinstance(inventory, dict):
        raise bad(f"args.inventory: expected an object {{year, sectors}}, got {describe(inventory)}")
    for key in sorted(inventory):
        if key not in {"year", "sectors"}:
            raise bad(f"args.inventory.{key}: unknown field; an inventory has year and sectors")
    year = inventory.get("year")
    if not isinstance(year, int) or isinstance(year, bool) or not (1990 <= year <= last):
        raise bad(f"args.inventory.year: expected the inventory's year, 1990 to {last}, got {describe(year)}")
    sectors = inventory.get("sectors")
    if not isinstance(sectors, dict) or not sectors:
        raise bad(f"args.inventory.sectors: expected tonnes CO2-equivalent by sector, got {describe(sectors)}")
    for sector, value in sectors.items():
        if sector not in SECTORS:
            raise bad(f"args.inventory.sectors.{sector}: unknown sector; expected one of {', '.join(SECTORS)}")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or value != value:
            raise bad(f"args.inventory.sectors.{sector}: expected tonnes CO2-equivalent, 0 or more, "
                      f"got {describe(value)}")
    actions = args["actions"]
    if not isinstance(actions, list):
        raise bad(f"args.actions: expected an array of {{title, sector, status}}, got {describe(actions)}")
    for index, action in enumerate(actions):
        where = f"args.actions[{index}]"
        if not isinstance(action, dict):
            raise bad(f"{where}: expected an object {{title, sector, status}}, got {describe(action)}")
        for key in sorted(action):
            if key not in {"title", "sector", "status"}:
                raise bad(f"{where}.{key}: unknown field; an action has title, sector and status")
        if not isinstance(action.get("title"), str) or not action["title"].strip():
            raise bad(f"{where}.title: expected the action's title, got {describe(action.get('title'))}")
        if "sector" in action and action["sector"] not in SECTORS:
            raise bad(f"{where}.sector: expected one of {', '.join(SECTORS)}, got {describe(action['sector'])}")
        if action.get("status") not in ACTION_STATUSES:
            raise bad(f"{where}.status: expected one of {', '.join(ACTION_STATUSES)}, "
                      f"got {describe(action.get('status'))}")
    submitted_by = args.get("submitted_by")
    if submitted_by is not None and not isinstance(submitted_by, str):
        raise bad(f"args.submitted_by: expected a name, got {describe(submitted_by)}")
    replace = args.get("replace", False)
    if not isinstance(replace, bool):
        raise bad(f"args.replace: expected true or false, got {describe(replace)}")
    return {"period": period, "first": first, "inventory_year": year,
            "sectors": {s: float(sectors[s]) for s in SECTORS if s in sectors},
            "actions": [{"title": a["title"].strip(), "sector": a.get("sector"), "status": a["status"]}
                        for a in actions],
            "submitted_by": submitted_by, "replace": replace}


class Module:
    def __init__(self, endpoint, database, curve=None, heartbeat_ms=1000, log=sys.stderr):
        self.endpoint = endpoint
        self.curve = curve
        self.heartbeat_ms = heartbeat_ms
        self.store = Store(database)
        self.context = zmq.Context()
        self.log = log
        self.socket = None
        self.registry = None
        self.running = True
        self.pause_before_reply = int(os.environ.get("MONITORING_INTAKE_PAUSE_BEFORE_REPLY_MS", "0"))

    def say(self, text):
        print(f"monitoring-intake: {text}", file=self.log, flush=True)

    def secure(self, sock):
        if self.curve:
            sock.curve_serverkey, sock.curve_publickey, sock.curve_secretkey = self.curve

    # Connection

    def connect(self):
        """Connects and attaches, retrying until the daemon answers."""
        while self.running:
            if self.socket is not None:
                self.socket.close(0)
            self.socket = self.context.socket(zmq.DEALER)
            self.socket.setsockopt(zmq.LINGER, 0)
            self.secure(self.socket)
            self.socket.connect(self.endpoint)
            self.socket.send(json.dumps({"id": "attach", "command": "system.module.attach", "args": {
                **DECLARATION, "heartbeat_ms": self.heartbeat_ms}}).encode())
            if self.socket.poll(5000):
                reply = json.loads(self.socket.recv())
                if reply.get("ok"):
                    self.session = reply["result"]
                    self.say(f"attached as {NAME} {VERSION} (session {self.session['session']})")
                    return
                self.say(f"attach refused: {reply.get('error')}")
                if reply.get("error", {}).get("code") not in ("unavailable",):
                    raise SystemExit(f"monitoring-intake: attach refused: {reply['error']['message']}")
            time.sleep(0.5)

    def lookup_city(self, actor_id):
        """The city from the register, through the daemon (registry.actor.get), on a REQ socket of its own."""
        if self.registry is None:
            self.registry = self.context.socket(zmq.REQ)
            self.registry.setsockopt(zmq.LINGER, 0)
            self.registry.setsockopt(zmq.RCVTIMEO, 5000)
            self.secure(self.registry)
            self.registry.connect(self.endpoint)
        self.registry.send(json.dumps({"id": "city", "command": "registry.actor.get",
                                       "args": {"id": actor_id}}).encode())
        try:
            reply = json.loads(self.registry.recv())
        except zmq.Again:
            self.registry.close(0)
            self.registry = None
            raise Refusal("unavailable", "the register did not answer in time; retry")
        if not reply["ok"]:
            if reply["error"]["code"] in ("not_found", "bad_request"):
                raise Refusal("not_found", f"args.city: no actor {actor_id} in the register")
            raise Refusal(reply["error"]["code"], f"args.city: {reply['error']['message']}")
        return reply["result"]

    # Commands

    def submit(self, args):
        report = check_report(args)
        actor = self.lookup_city(args["city"])
        if actor["fields"]["kind"] not in CITY_KINDS:
            raise bad(f"args.city: {actor['fields']['name']} is a {actor['fields']['kind']}; "
                      f"a monitoring report is a city's or a local government's")
        stored = self.store.find(actor["id"], report["period"])
        total = round(sum(report["sectors"].values()), 3)
        body = {"city": actor["id"], "city_name": actor["fields"]["name"], "period": report["period"],
                "inventory_year": report["inventory_year"], "total_tco2e": total, "sectors": report["sectors"],
                "actions": report["actions"], "submitted_by": report["submitted_by"]}
        if stored is not None:
            same = {k: stored.get(k) for k in body} == body
            if same:
                # A retry of a submission the module kept (its reply may have been lost): the same report again.
                return {"report": stored, "resubmitted": True}, [self.submitted(stored, replaced=False)]
            if not report["replace"]:
                raise Refusal("conflict", f"{actor['fields']['name']} has a report for {report['period']} "
                                          f"({stored['id']}); send replace: true to replace it",
                              {"report": stored["id"]})
        full = {"id": str(uuid.uuid4()), **body,
                "submitted_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        self.store.put(full)
        return {"report": full, "resubmitted": False}, [self.submitted(full, replaced=stored is not None)]

    @staticmethod
    def submitted(report, replaced):
        counts = {status: 0 for status in ACTION_STATUSES}
        for action in report["actions"]:
            counts[action["status"]] += 1
        return {"topic": "monitoring.report.submitted", "payload": {
            "report": report["id"], "city": report["city"], "city_name": report["city_name"],
            "period": report["period"], "inventory_year": report["inventory_year"],
            "total_tco2e": report["total_tco2e"], "sectors": report["sectors"], "actions": counts,
            "replaced": replaced}}

    def get(self, args):
        if set(args) - {"id"} or not isinstance(args.get("id"), str):
            raise bad(f"args.id: expected a report's id, got {describe(args.get('id'))}")
        report = self.store.get(args["id"])
        if report is None:
            raise Refusal("not_found", f"report {args['id']}: no such report; monitoring.report.list lists them")
        return report, []

    def list(self, args):
        for key in sorted(args):
            if key not in {"city", "period"}:
                raise bad(f"args.{key}: unknown field; monitoring.report.list takes city and period")
            if not isinstance(args[key], str):
                raise bad(f"args.{key}: expected a string, got {describe(args[key])}")
        return {"reports": self.store.list(args.get("city"), args.get("period"))}, []

    def handle(self, message):
        handlers = {"monitoring.report.submit": self.submit, "monitoring.report.get": self.get,
                    "monitoring.report.list": self.list}
        try:
            handler = handlers.get(message.get("command"))
            if handler is None:
                raise Refusal("unknown_command", f"monitoring-intake does not handle {message.get('command')}")
            args = message.get("args") or {}
            if not isinstance(args, dict):
                raise bad(f"args: expected a JSON object, got {describe(args)}")
            result, events = handler(args)
            reply = {"type": "reply", "call": message["call"], "ok": True, "result": result, "events": events}
        except Refusal as refusal:
            reply = {"type": "reply", "call": message["call"], "ok": False,
                     "error": {"code": refusal.code, "message": refusal.message, "details": refusal.details}}
        except Exception as error:  # a bug: the caller gets internal, the module keeps serving
            self.say(f"{message.get('command')} failed: {error!r}")
            reply = {"type": "reply", "call": message["call"], "ok": False,
                     "error": {"code": "internal", "message": f"monitoring-intake failed: {type(error).__name__}"}}
        if self.pause_before_reply:
            time.sleep(self.pause_before_reply / 1000)
        self.socket.send(json.dumps(reply, ensure_ascii=False).encode())

    # The loop

    def run(self):
        self.connect()
        heartbeat = self.heartbeat_ms / 1000
        silence = 3 * heartbeat
        last_sent = last_heard = time.monotonic()
        while self.running:
            now = time.monotonic()
            if now - last_sent >= heartbeat:
                self.socket.send(b'{"type":"heartbeat"}')
                last_sent = now
            if now - last_heard > silence:
                self.say("the daemon went silent; attaching again")
                self.connect()
                last_sent = last_heard = time.monotonic()
                continue
            if not self.socket.poll(int(heartbeat * 250)):
                continue
            message = json.loads(self.socket.recv())
            last_heard = time.monotonic()
            kind = message.get("type")
            if kind == "command":
                self.handle(message)
                last_sent = time.monotonic()
            elif kind == "error":
                self.say(f"the daemon refused a message: {message['error']['message']}; attaching again")
                self.connect()
            elif "ok" in message and not message["ok"]:
                self.say(f"the daemon answered an error: {message['error']}")

    def stop(self, *_):
        self.running = False


def main():
    parser = argparse.ArgumentParser(description="Concord's monitoring-report intake, an external module.")
    parser.add_argument("--endpoint", default=os.environ.get("CONCORD_ENDPOINT", "tcp://127.0.0.1:7402"),
                        help="the daemon's command endpoint (default: CONCORD_ENDPOINT or tcp://127.0.0.1:7402)")
    parser.add_argument("--database", default=os.environ.get("MONITORING_INTAKE_DATABASE", "monitoring.sqlite"),
                        help="the module's own SQLite file (created if missing)")
    parser.add_argument("--heartbeat-ms", type=int, default=1000)
    parser.add_argument("--server-key", default=os.environ.get("CONCORD_SERVER_KEY"),
                        help="the daemon's CURVE public key, when it runs with CURVE")
    parser.add_argument("--key", default=os.environ.get("CONCORD_KEY"),
                        help="this module's secret key file (NAME.secret from concordctl keys generate), whose "
                             "public key the allowlist lists with the module role")
    options = parser.parse_args()
    curve = None
    if options.server_key:
        if not options.key:
            parser.error("--server-key needs --key, the module's secret key file")
        secret = open(options.key).read().split()[0].encode()
        curve = (options.server_key.encode(), zmq.curve_public(secret), secret)
    module = Module(options.endpoint, options.database, curve=curve, heartbeat_ms=options.heartbeat_ms)
    signal.signal(signal.SIGTERM, module.stop)
    signal.signal(signal.SIGINT, module.stop)
    module.run()


if __name__ == "__main__":
    main()
