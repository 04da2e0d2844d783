"""Exports through CWP/1 on `concordd --demo`, each checked by the real tool of its ecosystem: `frictionless` for the
data package, the Popolo JSON Schemas (draft-03, resolved offline) with `jsonschema`, `icalendar` and
`recurring-ical-events` for the feeds (against `scheduling.series.occurrences`, across daylight saving), `geojson`
for the map, and headless Chromium for the report (a PNG kept under .build/test-artifacts for a person to look at).
"""

import hashlib
import json
import shutil
import subprocess
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import geojson
import icalendar
import jsonschema
import pytest
import recurring_ical_events
import zmq
from frictionless import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT3

from conftest import ROOT, call, req
from test_concordctl import ctl, endpoints
from test_registry import error, ok

POPOLO = Path(__file__).resolve().parent / "standards" / "popolo"
ARTIFACTS = ROOT / ".build" / "test-artifacts"


@pytest.fixture
def demo(make_daemon):
    return make_daemon(extra_args=["--demo"])


def add_cities(client):
    """Members with names in three scripts, a comma and a quote; one without coordinates."""
    ids = []
    for name, country, zone, point in [
        ("Huế", "VN", "Asia/Ho_Chi_Minh", (16.4637, 107.5909)),
        ("Душанбе", "TJ", "Asia/Dushanbe", (38.5598, 68.787)),
        ("ນະຄອນຫຼວງວຽງຈັນ, \"Vientiane\"", "LA", "Asia/Vientiane", (17.9757, 102.6331)),
        ("Khujand", "TJ", "Asia/Dushanbe", None),
    ]:
        actor = {"name": name, "kind": "city", "country": country, "time_zone": zone, "population": 450000,
                 "focal_points": [{"name": f"Focal point of {name}", "title": "International relations"}]}
        if point:
            actor["coordinates"] = {"latitude": point[0], "longitude": point[1]}
        created = ok(call(client, "registry.actor.register", {"actor": actor}))
        network = "UMCI" if country in ("VN", "LA") else "CSCCA"
        ok(call(client, "registry.membership.add", {
            "actor": created["id"], "network": network, "role": "member", "start": "2026-01-15",
            "basis": {"kind": "manual", "decided_by": "secretariat", "decided_on": "2026-01-15"}}))
        ids.append(created["id"])
    return ids


def add_plan_actions(client):
    """Two actions of the Central Asian DRR and climate-adaptation plan, with indicators."""
    plan = ok(call(client, "registry.action_plan.list", {"network": "CSCCA"}))["plans"][0]
    for key, title, indicators in [
        ("6.1", "Early-warning systems for mudflows and floods", [
            {"key": "coverage", "name": "Population covered by early warning", "unit": "%", "baseline": 20,
             "target": 80}]),
        ("6.2", "Heat-health action plans in member cities", [
            {"key": "plans", "name": "Cities with a heat-health plan", "baseline": 0, "target": 6}]),
    ]:
        plan = ok(call(client, "registry.action_plan.add_action", {"plan": plan["id"], "version": plan["version"],
                                                                    "action": {"key": key, "title": title,
                                                                               "status": "planned",
                                                                               "indicators": indicators}}))
    return plan


def run(client, fmt, scope=None, **extra):
    args = {"format": fmt, **extra}
    if scope is not None:
        args["scope"] = scope
    reply = ok(call(client, "exports.run", args))
    assert reply["status"] == "completed", reply
    path = Path(reply["path"])
    assert path.is_dir() and (path.parent / "latest").resolve() == path.resolve()
    # The folder holds the files and their manifest, nothing half-written or left aside.
    assert sorted(p.name for p in path.iterdir()) == sorted([f["name"] for f in reply["files"]] + ["SHA256SUMS"])
    sums = (path / "SHA256SUMS").read_text().splitlines()
    assert sums == [f"{f['sha256']}  {f['name']}" for f in reply["files"]]
    assert reply["bytes"] == sum(f["bytes"] for f in reply["files"]) == sum((path / f["name"]).stat().st_size
                                                                              for f in reply["files"])
    return reply, path


def test_the_data_package_passes_frictionless_validate(demo, zctx):
    client = req(zctx, demo.commands, timeout_ms=60000)
    add_cities(client)
    # A capital joining UCLG ASPAC joins Metropolis too, by the agreement's rule: a derived membership.
    bangkok = ok(call(client, "registry.actor.register", {"actor": {
        "name": "Ulaanbaatar", "kind": "city", "country": "MN", "population": 1672627, "capital": "national",
        "time_zone": "Asia/Ulaanbaatar", "coordinates": {"latitude": 47.9186, "longitude": 106.9176}}}))["id"]
    ok(call(client, "registry.membership.add", {
        "actor": bangkok, "network": "UCLG ASPAC", "role": "member", "start": "2026-02-01",
        "basis": {"kind": "manual", "decided_by": "UCLG ASPAC council", "decided_on": "2026-02-01"}}))
    head = ok(call(client, "events.head"))["head_seq"]
    reply, path = run(client, "datapackage")
    assert reply["head_seq"] >= head
    report = validate(str(path / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "message"])[:20]
    package = json.loads((path / "datapackage.json").read_text())
    assert package["concord"]["head_seq"] == reply["head_seq"]
    names = {r["name"] for r in package["resources"]}
    assert {"actors", "networks", "memberships", "declarations", "declaration_parties", "meetings",
            "action_plans", "plan_actions", "indicators"} <= names
    actors = next(r for r in package["resources"] if r["name"] == "actors")
    location = next(f for f in actors["schema"]["fields"] if f["name"] == "location")
    assert location["type"] == "geopoint"
    csv = (path / "actors.csv").read_text(encoding="utf-8")
    assert "Huế" in csv and "Душанбе" in csv and '"ນະຄອນຫຼວງວຽງຈັນ, ""Vientiane"""' in csv
    assert "107.5909, 16.4637" in csv  # lon, lat
    derived = [line.split(",") for line in (path / "memberships.csv").read_text().splitlines()
               if line.startswith(tuple("0123456789abcdef")) and f",{bangkok}," in line and ",rule," in line]
    assert derived and all(row[8] and row[9] for row in derived), derived  # the rule and the source membership

    # One network's package: its members and every actor its rows name, still valid.
    add_plan_actions(client)
    reply, path = run(client, "datapackage", {"network": "CSCCA"})
    report = validate(str(path / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "message"])[:20]
    assert reply["counts"]["plan_actions"] > 0 and reply["counts"]["indicators"] > 0


def popolo_registry():
    resources = []
    for file in POPOLO.glob("*.json"):
        schema = json.loads(file.read_text())
        resources.append((schema["id"], Resource.from_contents(schema, default_specification=DRAFT3)))
    return Registry().with_resources(resources)


def test_popolo_validates_against_the_popolo_schemas_and_every_membership_names_both_sides(demo, zctx):
    client = req(zctx, demo.commands, timeout_ms=60000)
    add_cities(client)
    reply, path = run(client, "popolo")
    document = json.loads((path / "popolo.json").read_text())
    assert document["meta"]["head_seq"] == reply["head_seq"]
    registry = popolo_registry()

    def validator(name):
        schema = json.loads((POPOLO / f"{name}.json").read_text())
        return jsonschema.Draft3Validator(schema, registry=registry)

    for kind, items in [("organization", document["organizations"]), ("membership", document["memberships"]),
                        ("person", document["persons"]), ("post", document["posts"])]:
        check = validator(kind)
        assert items, kind
        for item in items:
            errors = list(check.iter_errors(item))
            assert not errors, (kind, item, [e.message for e in errors])
    organizations = {o["id"] for o in document["organizations"]}
    persons = {p["id"] for p in document["persons"]}
    posts = {p["id"] for p in document["posts"]}
    for membership in document["memberships"]:
        assert membership["organization_id"] in organizations, membership
        if "member" in membership:
            assert membership["member"]["@type"] == "Organization"
            assert membership["member"]["id"] in organizations, membership
        else:
            assert membership["person_id"] in persons and membership["post_id"] in posts, membership
    hue = next(o for o in document["organizations"] if o["name"] == "Huế")
    assert hue["area"]["identifier"] == "VN" and hue["identifiers"][0]["identifier"] == hue["id"]
    networks = [o for o in document["organizations"] if o["classification"] == "network"]
    assert {"UMCI", "CSCCA", "ANMC21"} <= {n["other_names"][0]["name"] for n in networks}


def occurrences_utc(client, series, after, before):
    listed = ok(call(client, "scheduling.series.occurrences",
                     {"series": series, "after": after, "before": before, "limit": 1000}))
    return sorted((o["start_utc"], o["status"]) for o in listed["occurrences"])


def test_ical_feeds_expand_to_the_series_occurrences_across_daylight_saving(demo, zctx):
    client = req(zctx, demo.commands, timeout_ms=60000)
    # A fortnightly call of ANMC21's technology platform with a partner in Berlin, 09:00 Berlin time, across both
    # 2027 changes; one date taken out, one added, one moved and one cancelled.
    series = ok(call(client, "scheduling.series.create", {"series": {
        "kind": "expert_meeting", "title": "Technology platform call, Berlin; ANMC21", "network": "ANMC21",
        "dtstart": "2027-01-12T09:00:00", "duration": "PT1H30M", "time_zone": "Europe/Berlin",
        "rrule": "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;COUNT=30", "exdates": ["2027-02-09T09:00:00"],
        "rdates": ["2027-03-30T15:00:00"], "reminders": ["P1D", "PT2H"]}}))["series"]
    ok(call(client, "scheduling.series.override", {"series": series["id"], "override": {
        "original_start": "2027-04-06T09:00:00", "start": "2027-04-07T10:00:00", "end": "2027-04-07T11:30:00",
        "reason": "Easter Monday travel"}}))
    ok(call(client, "scheduling.series.override", {"series": series["id"], "override": {
        "original_start": "2027-05-04T09:00:00", "status": "cancelled"}}))
    member = ok(call(client, "registry.actor.list", {"network": "ANMC21", "limit": 1}))["actors"][0]
    fair = ok(call(client, "scheduling.meeting.schedule", {"meeting": {
        "kind": "trade_fair", "title": "ANMC21 trade fair, Hà Nội", "network": "ANMC21", "start": "2027-11-03",
        "time_zone": "Asia/Ho_Chi_Minh",
        "end": "2027-11-05", "participants": [{"actor": member["id"], "role": "participant"}],
        "reminders": []}}))["meeting"]
    plenary = ok(call(client, "scheduling.series.create", {"series": {
        "kind": "plenary", "title": "{number}th Plenary Meeting", "network": "ANMC21", "first_number": 20,
        "dtstart": "2027-10-20T09:00:00", "duration": "PT8H", "time_zone": "Asia/Tokyo",
        "rrule": "FREQ=YEARLY;COUNT=3"}}))["series"]

    first, path = run(client, "ical", {"series": series["id"]})
    second, _ = run(client, "ical", {"series": series["id"]})
    raw = (path / "calendar.ics").read_bytes()
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    assert all(len(line) <= 75 for line in raw.split(b"\r\n")), "lines fold at 75 octets"
    calendar = icalendar.Calendar.from_ical(raw)
    assert str(calendar["VERSION"]) == "2.0" and str(calendar["PRODID"]).startswith("-//Concord//")
    assert str(calendar["REFRESH-INTERVAL"].to_ical().decode()) == "PT12H"
    assert str(calendar["X-CONCORD-HEAD-SEQ"]) == str(first["head_seq"])
    events = calendar.walk("VEVENT")
    assert {str(e["UID"]) for e in events} == {f"{series['id']}@concord"}
    assert all(e["DTSTAMP"].dt.tzinfo is not None and e["DTSTAMP"].dt.utcoffset() == timedelta(0) for e in events)
    master = next(e for e in events if "RECURRENCE-ID" not in e)
    assert [str(a["TRIGGER"].to_ical().decode()) for a in master.walk("VALARM")] == ["-P1D", "-PT2H"]
    assert str(master["SUMMARY"]) == "Technology platform call, Berlin; ANMC21"
    # UIDs are the same in the next run.
    again = icalendar.Calendar.from_ical((Path(second["path"]) / "calendar.ics").read_bytes())
    assert {str(e["UID"]) for e in again.walk("VEVENT")} == {str(e["UID"]) for e in events}

    # Every TZID has a VTIMEZONE, and its rules give the zone's offsets across the span.
    zones = {c["TZID"]: c for c in calendar.walk("VTIMEZONE")}
    assert set(zones) == {"Europe/Berlin"}
    rules = zones["Europe/Berlin"]
    assert b"RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n" in raw and b"RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\n" in raw
    assert all("UNTIL" not in c["RRULE"] for c in rules.subcomponents if "RRULE" in c)
    built = rules.to_tz(lookup_tzid=False)
    berlin = ZoneInfo("Europe/Berlin")
    moment = datetime(2027, 1, 1, tzinfo=timezone.utc)
    while moment < datetime(2029, 1, 1, tzinfo=timezone.utc):
        assert moment.astimezone(built).utcoffset() == moment.astimezone(berlin).utcoffset(), moment
        moment += timedelta(hours=5)

    # recurring-ical-events expands the feed to the very occurrences scheduling lists, in UTC.
    window = (datetime(2027, 1, 1, tzinfo=timezone.utc), datetime(2028, 6, 1, tzinfo=timezone.utc))
    expanded = sorted(
        (e["DTSTART"].dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
         str(e.get("STATUS", "TENTATIVE")))
        for e in recurring_ical_events.of(calendar).between(*window))
    listed = occurrences_utc(client, series["id"], "2027-01-01T00:00:00Z", "2028-06-01T00:00:00Z")
    status = {"planned": "TENTATIVE", "cancelled": "CANCELLED", "confirmed": "CONFIRMED"}
    assert expanded == [(start, status[state]) for start, state in listed]
    assert len(expanded) == 30  # 30 by the rule, one taken out, one added
    assert ("2027-01-12T08:00:00Z", "TENTATIVE") in expanded and ("2027-06-01T07:00:00Z", "TENTATIVE") in expanded
    assert ("2027-04-07T08:00:00Z", "TENTATIVE") in expanded and ("2027-05-04T07:00:00Z", "CANCELLED") in expanded

    # The network's feed holds both series, and the numbered plenaries by their numbers.
    reply, path = run(client, "ical", {"network": "ANMC21"})
    calendar = icalendar.Calendar.from_ical((path / "calendar.ics").read_bytes())
    assert set(c["TZID"] for c in calendar.walk("VTIMEZONE")) == {"Europe/Berlin", "Asia/Tokyo"}
    plenaries = sorted(str(e["SUMMARY"]) for e in recurring_ical_events.of(calendar).between(
        datetime(2027, 1, 1, tzinfo=timezone.utc), datetime(2031, 1, 1, tzinfo=timezone.utc))
        if str(e["UID"]) == f"{plenary['id']}@concord")
    assert plenaries == ["20th Plenary Meeting", "21th Plenary Meeting", "22th Plenary Meeting"]
    tokyo = occurrences_utc(client, plenary["id"], "2027-01-01T00:00:00Z", "2031-01-01T00:00:00Z")
    assert [start for start, _ in tokyo] == ["2027-10-20T00:00:00Z", "2028-10-20T00:00:00Z", "2029-10-20T00:00:00Z"]
    # The all-day fair: dates, the end the day after its last day, no alarm (it asked for none).
    event = next(e for e in calendar.walk("VEVENT") if str(e["UID"]) == f"{fair['id']}@concord")
    assert str(event["DTSTART"].dt) == "2027-11-03" and str(event["DTEND"].dt) == "2027-11-06"
    assert not event.walk("VALARM")

    # A participant's feed: the fair it attends, not the series it has no part in.
    reply, path = run(client, "ical", {"participant": member["id"]})
    calendar = icalendar.Calendar.from_ical((path / "calendar.ics").read_bytes())
    assert {str(e["UID"]) for e in calendar.walk("VEVENT")} == {f"{fair['id']}@concord"}
    assert str(calendar["NAME"]) == f"Meetings of {member['fields']['name']}"


def test_geojson_places_members_in_lon_lat_order_and_counts_those_it_cannot(demo, zctx):
    client = req(zctx, demo.commands, timeout_ms=60000)
    ids = add_cities(client)
    reply, path = run(client, "geojson", {"network": "CSCCA"})
    text = (path / "members.geojson").read_text()
    collection = geojson.loads(text)
    assert collection.is_valid, collection.errors()
    assert collection["type"] == "FeatureCollection" and "crs" not in collection
    members = ok(call(client, "registry.actor.list", {"network": "CSCCA", "limit": 1000}))["actors"]
    placed = {a["id"]: a for a in members if a["fields"].get("coordinates")}
    assert {f["id"] for f in collection["features"]} == set(placed)
    for feature in collection["features"]:
        lon, lat = feature["geometry"]["coordinates"]
        point = placed[feature["id"]]["fields"]["coordinates"]
        assert (lon, lat) == (point["longitude"], point["latitude"])
        assert -180 <= lon <= 180 and -90 <= lat <= 90
        assert feature["properties"]["networks"] == ["CSCCA"]
    unplaced = len(members) - len(placed)
    assert unplaced >= 1 and ids[3] in collection["concord"]["without_coordinates_ids"]
    assert reply["counts"] == {"features": len(placed), "without_coordinates": unplaced}
    assert collection["concord"]["without_coordinates"] == unplaced


def test_the_progress_review_report_renders_in_headless_chromium(demo, zctx, tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "Debian's chromium is installed by dev/install-deps"
    client = req(zctx, demo.commands, timeout_ms=60000)
    add_cities(client)
    plan = add_plan_actions(client)
    ok(call(client, "registry.action_plan.record_progress", {
        "plan": plan["id"], "action": "6.1", "on": "2026-11-01", "status": "in_progress",
        "values": [{"indicator": "coverage", "value": 45}]}))
    ok(call(client, "registry.action_plan.record_progress", {
        "plan": plan["id"], "action": "6.1", "on": "2026-12-20", "values": [{"indicator": "coverage", "value": 70}]}))
    ok(call(client, "scheduling.series.create", {"series": {
        "kind": "review", "title": "{ordinal} review of the action plans", "network": "CSCCA", "first_number": 1,
        "dtstart": "2026-06-10T10:00:00", "duration": "PT4H", "time_zone": "Asia/Dushanbe",
        "rrule": "FREQ=MONTHLY;INTERVAL=6;COUNT=4", "review_plans": [plan["id"]]}}))
    reply, path = run(client, "report", {"network": "CSCCA", "review_date": "2026-12-10", "since": "2026-06-01"})
    html = (path / "report.html").read_text()
    assert "<script" not in html.lower() and "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    assert "Душанбе" in html and "&quot;Vientiane&quot;" not in html  # not a CSCCA member
    assert "<svg" in html and "1st review of the action plans" in html
    assert f'content="{reply["head_seq"]}"' in html
    # The indicator at the review date (45) and now (70): 42% and 83% of the way from 20 to 80.
    assert "<td class=\"number\">45</td><td class=\"number\">70</td><td class=\"number\">83%</td>" in html
    assert reply["counts"]["indicators"] == 2

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    png, pdf = ARTIFACTS / "report.png", ARTIFACTS / "report.pdf"
    common = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
              "--enable-logging=stderr", "--v=0", f"--user-data-dir={tmp_path / 'profile'}"]
    url = (path / "report.html").as_uri()
    shot = subprocess.run(common + ["--window-size=1280,2400", f"--screenshot={png}", url],
                          capture_output=True, text=True, timeout=120)
    printed = subprocess.run(common + [f"--print-to-pdf={pdf}", "--no-pdf-header-footer", url],
                             capture_output=True, text=True, timeout=120)
    for result in (shot, printed):
        console = [line for line in result.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
        assert not console, console
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20000
    assert pdf.read_bytes()[:5] == b"%PDF-"


def test_exports_refuse_bad_input_naming_the_field(demo, zctx):
    client = req(zctx, demo.commands)
    cases = [
        ({"format": "xlsx"}, "args.format"),
        ({"format": "popolo", "scope": {"netwrok": "UMCI"}}, "args.scope.netwrok: unknown field"),
        ({"format": "popolo", "path": "/etc"}, "path: expected a folder inside the exports directory"),
        ({"format": "popolo", "path": "a/../../b"}, "path: expected a folder inside the exports directory"),
        ({"format": "ical", "scope": {}}, "scope: an ical feed takes exactly one of"),
        ({"format": "report", "scope": {"network": "CSCCA"}}, "scope.review_date: missing"),
        ({"format": "geojson", "scope": {"network": "NOPE"}}, "scope.network: no network"),
    ]
    for args, message in cases:
        text = error(call(client, "exports.run", args), "bad_request")
        assert text.startswith(message), (args, text)
    never = error(call(client, "exports.schedule", {"schedule": {
        "format": "popolo", "rrule": "FREQ=YEARLY;COUNT=1", "dtstart": "2020-01-01T02:00:00"}}), "bad_request")
    assert never.startswith("schedule.rrule: the rule never fires"), never
    # And the daemon goes on serving.
    scheduled = ok(call(client, "exports.schedule", {"id": "weekly-popolo", "schedule": {
        "format": "popolo", "rrule": "FREQ=WEEKLY;BYDAY=MO;BYHOUR=3", "time_zone": "Asia/Vientiane", "keep": 4}}))
    assert scheduled["next_run"].endswith("Z")
    listed = ok(call(client, "exports.list"))
    assert [s["id"] for s in listed["schedules"]] == ["weekly-popolo"] and listed["runs"] == []
    status = ok(call(client, "system.status"))
    exporting = next(m for m in status["modules"] if m["name"] == "exporting")
    assert exporting["state"] == "running" and exporting["details"]["schedules"] == 1


def test_a_kill_9_mid_export_leaves_the_previous_export_whole(make_daemon, zctx, tmp_path):
    daemon = make_daemon()
    rows = ["name,kind,country,population,time_zone,latitude,longitude"]
    rows += [f"Town {i},city,VN,{5000 + i},Asia/Ho_Chi_Minh,{10 + (i % 900) / 100},{105 + (i % 97) / 100}"
             for i in range(40000)]
    (tmp_path / "towns.csv").write_text("\n".join(rows) + "\n")
    imported = ctl("import", "actors", str(tmp_path / "towns.csv"), "--json", "--timeout", "120",
                   env=endpoints(daemon), timeout=180)
    assert imported.returncode == 0, imported.stderr
    client = req(zctx, daemon.commands, timeout_ms=120000)
    first, first_path = run(client, "datapackage")
    target = first_path.parent

    # A second run, killed while it writes: its folder appears, then the daemon dies.
    dealer = zctx.socket(zmq.DEALER)
    dealer.setsockopt(zmq.LINGER, 0)
    dealer.connect(daemon.commands)
    dealer.send_multipart([b"", json.dumps({"id": "x", "command": "exports.run",
                                            "args": {"format": "datapackage"}}).encode()])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if [p for p in target.iterdir() if p.name not in (first_path.name, "latest")]:
            break
        time.sleep(0.002)
    daemon.kill()
    partial = [p for p in target.iterdir() if p.name not in (first_path.name, "latest")]
    assert partial and not (partial[0] / "SHA256SUMS").exists(), "the second run was cut off mid-way"

    # `latest` still names the first run, whole: every file matches its digest.
    assert (target / "latest").resolve() == first_path.resolve()
    for line in (target / "latest" / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ")
        assert hashlib.sha256((target / "latest" / name).read_bytes()).hexdigest() == digest, name

    # After a restart the cut-off folder is gone; the first run is the one on record, and a new run works.
    daemon.start()
    client = req(zctx, daemon.commands, timeout_ms=120000)
    assert sorted(p.name for p in target.iterdir()) == sorted([first_path.name, "latest"])
    assert [r["id"] for r in ok(call(client, "exports.list"))["runs"]] == [first["id"]]
    third, third_path = run(client, "datapackage")
    assert third["counts"]["actors"] == first["counts"]["actors"]
    assert "removed the folder of an export cut off" in daemon.log()


def test_a_run_due_while_the_daemon_was_down_runs_once_it_starts(make_daemon, zctx):
    daemon = make_daemon(extra_args=["--demo"])
    client = req(zctx, daemon.commands)
    scheduled = ok(call(client, "exports.schedule", {"id": "often", "schedule": {
        "format": "geojson", "scope": {"network": "UMCI"}, "rrule": "FREQ=SECONDLY;INTERVAL=4",
        "time_zone": "Asia/Vientiane"}}))
    assert daemon.stop() == 0
    due = datetime.strptime(scheduled["next_run"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    time.sleep(max(0.0, (due - datetime.now(timezone.utc)).total_seconds()) + 1)
    daemon.start()
    client = req(zctx, daemon.commands)
    deadline = time.monotonic() + 20
    runs = []
    while time.monotonic() < deadline and not runs:
        runs = ok(call(client, "exports.list", {"schedule": "often"}))["runs"]
        time.sleep(0.1)
    assert runs and runs[-1]["status"] == "completed", runs
    schedule = ok(call(client, "exports.list"))["schedules"][0]
    assert schedule["next_run"] > scheduled["next_run"]
