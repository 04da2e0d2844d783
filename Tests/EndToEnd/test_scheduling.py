"""Scheduling through CWP/1 on `concordd --demo`: ANMC21's plenaries handed from Hanoi to Tomsk, the Mekong
bi-annual dialogues with their review cycle, the slot finder, and a reminder that fires once across a restart."""

import datetime
import json
import time

import pytest

from conftest import call, next_event, req, subscribe
from test_durability import replay_all
from test_registry import error, ok


@pytest.fixture
def demo(make_daemon):
    return make_daemon(extra_args=["--demo"])


def members(client, acronym):
    page = ok(call(client, "registry.actor.list", {"network": acronym, "limit": 100}))
    return {actor["fields"]["name"]: actor for actor in page["actors"]}


def test_anmc21_plenaries_pass_from_hanoi_to_tomsk(demo, zctx):
    client = req(zctx, demo.commands)
    events = subscribe(zctx, demo.events, "scheduling.")
    cities = members(client, "ANMC21")
    assert {"Hanoi", "Tomsk", "Tokyo"} <= set(cities)
    hanoi, tomsk = cities["Hanoi"]["id"], cities["Tomsk"]["id"]
    declaration = ok(call(client, "registry.declaration.list", {"network": "ANMC21"}))["declarations"][0]

    # The 12th, held in Hanoi on 18-19 November 2013. The Hanoi Declaration is a declaration, not an outcome.
    twelfth = {
        "kind": "plenary", "title": "12th Plenary Meeting", "number": 12, "network": "ANMC21", "host": hanoi,
        "venue": {"actor": hanoi}, "start": "2013-11-18", "end": "2013-11-19", "status": "held",
        "participants": [{"actor": a["id"], "role": "participant"} for a in cities.values()],
        "outcomes": [declaration["id"]], "reminders": [],
    }
    message = error(call(client, "scheduling.meeting.schedule", {"meeting": twelfth}), "bad_request")
    assert message.startswith("meeting.outcomes[0]: expected a declaration of kind outcome"), message
    del twelfth["outcomes"]
    held = ok(call(client, "scheduling.meeting.schedule", {"meeting": twelfth}))
    assert held["meeting"]["fields"]["time_zone"] == "Asia/Ho_Chi_Minh"
    assert held["meeting"]["start_utc"] == "2013-11-17T17:00:00Z"
    assert held["warnings"] == []

    series = ok(call(client, "scheduling.series.create", {"series": {
        "kind": "plenary", "title": "{ordinal} Plenary Meeting of the ANMC21", "network": "ANMC21",
        "first_number": 13, "dtstart": "2014-09-10", "duration": "P2D", "time_zone": "Asia/Tomsk",
        "rrule": "FREQ=YEARLY;COUNT=6", "rotation": {"kind": "round_robin", "after": hanoi}, "reminders": [],
    }}))["series"]
    decided = ok(call(client, "scheduling.rotation.decide", {
        "series": series["id"], "original_start": "2014-09-10", "kind": "override", "actor": tomsk,
        "reason": "plenary decision of 2013-11-19: \"to welcome Tomsk to host the 13th Plenary Meeting\"",
    }))
    assert decided["turns"][0]["host_name"] == "Tomsk"
    forecast = ok(call(client, "scheduling.rotation.next", {"series": series["id"], "count": 3, "after": "2014-01-01"}))
    turns = forecast["turns"]
    assert [t["host_name"] for t in turns] == ["Tomsk", "Kuala Lumpur", "Seoul"]
    assert [t["number"] for t in turns] == [13, 14, 15]
    assert turns[0]["basis"] == "override"
    assert turns[0]["reason"].startswith("override: plenary decision of 2013-11-19")
    assert turns[1]["reason"] == "next in rotation after Tomsk"

    occurrences = ok(call(client, "scheduling.series.occurrences", {"series": series["id"], "limit": 2}))
    first = occurrences["occurrences"][0]
    assert first["title"] == "13th Plenary Meeting of the ANMC21"
    assert (first["start"], first["end"], first["host"]) == ("2014-09-10", "2014-09-11", tomsk)
    assert first["start_utc"] == "2014-09-09T17:00:00Z"  # midnight in Tomsk, at +07:00 until October 2014

    topics = set()
    deadline = time.monotonic() + 5
    while {"scheduling.series.created", "scheduling.rotation.decided"} - topics and time.monotonic() < deadline:
        topics.add(next_event(events)[0].decode())
    assert {"scheduling.meeting.scheduled", "scheduling.series.created", "scheduling.rotation.decided"} <= topics

    # A host that is not a member is accepted with a warning, never silently.
    guest = ok(call(client, "registry.actor.register", {"actor": {
        "name": "Ulaanbaatar", "kind": "city", "country": "MN", "time_zone": "Asia/Ulaanbaatar"}}))
    warned = ok(call(client, "scheduling.rotation.decide", {
        "series": series["id"], "original_start": "2016-09-10", "kind": "override", "actor": guest["id"],
        "reason": "guest host"}))
    assert [w["code"] for w in warned["warnings"]] == ["host_not_active_member"]


def test_mekong_dialogues_meet_bi_annually_and_review_the_plan(demo, zctx):
    client = req(zctx, demo.commands)
    vientiane = members(client, "UMCI")["Vientiane Capital"]["id"]
    phnom_penh = ok(call(client, "registry.actor.register", {"actor": {
        "name": "Phnom Penh", "kind": "city", "country": "KH", "population": 2281951, "time_zone": "Asia/Phnom_Penh",
        "focal_points": [{"name": "Sokha Chan", "title": "Urban planning"}]}}))["id"]
    ok(call(client, "registry.membership.add", {
        "actor": phnom_penh, "network": "UMCI", "role": "member", "start": "2024-02-27",
        "basis": {"kind": "manual", "decided_by": "First Dialogue"}}))
    plan = ok(call(client, "registry.action_plan.adopt", {
        "network": "UMCI", "title": "Urban Mekong Corridor action plan", "adopted_on": "2024-02-27",
        "actions": [
            {"key": "1", "title": "Flood early-warning for corridor cities", "status": "planned",
             "indicators": [{"key": "cities", "name": "Cities covered", "baseline": 0, "target": 12}]},
            {"key": "2", "title": "Access to green finance", "status": "planned", "indicators": []},
        ]}))

    bad = error(call(client, "scheduling.series.create", {"series": {
        "kind": "dialogue", "title": "Dialogue", "dtstart": "2024-02-27T09:00:00", "duration": "PT8H",
        "rrule": "FREQ=MONTHLY;BYSETPOS=0;BYDAY=TU", "venue": {"actor": vientiane}}}), "bad_request")
    assert bad.startswith("series.rrule.BYSETPOS: expected -366..-1 or 1..366, got 0"), bad

    series = ok(call(client, "scheduling.series.create", {"series": {
        "kind": "dialogue", "title": "{ordinal} Dialogue of the Urban Mekong Corridor Initiative", "network": "UMCI",
        "first_number": 1, "dtstart": "2024-02-27T09:00:00", "duration": "PT8H",
        "rrule": "FREQ=MONTHLY;INTERVAL=6;COUNT=8", "host": vientiane, "venue": {"actor": vientiane},
        "participants": [{"actor": phnom_penh, "role": "participant", "focal_point": "Sokha Chan"}],
        "review_plans": [plan["id"]], "reminders": ["P30D", "P7D"],
    }}))["series"]
    assert series["fields"]["time_zone"] == "Asia/Vientiane"

    ok(call(client, "registry.action_plan.record_progress", {
        "plan": plan["id"], "action": "1", "on": "2024-06-01", "status": "in_progress",
        "values": [{"indicator": "cities", "value": 3}]}))
    brief = ok(call(client, "scheduling.review.brief", {"series": series["id"], "original_start": "2024-08-27T09:00:00"}))
    assert brief["previous"] == "2024-02-27"
    assert brief["occurrence"]["title"] == "2nd Dialogue of the Urban Mekong Corridor Initiative"
    change = brief["plans"][0]["actions"][0]
    assert (change["action"], change["status_then"], change["status_now"]) == ("1", "planned", "in_progress")
    assert change["indicators"][0]["now"] == 3

    # The third dialogue moves to Phnom Penh; a later edit of the series keeps that.
    ok(call(client, "scheduling.series.override", {"series": series["id"], "override": {
        "original_start": "2025-02-27T09:00:00", "start": "2025-03-04T09:00:00", "host": phnom_penh,
        "venue": {"actor": phnom_penh}, "reason": "hosted by Phnom Penh"}}))
    current = ok(call(client, "scheduling.series.get", {"id": series["id"]}))
    fields = dict(current["series"]["fields"], title="{ordinal} Mekong Dialogue")
    edited = ok(call(client, "scheduling.series.update", {"id": series["id"], "version": current["series"]["version"],
                                                          "series": fields}))
    assert edited["unmatched_overrides"] == []
    listed = ok(call(client, "scheduling.series.occurrences", {"series": series["id"], "limit": 3}))["occurrences"]
    assert [o["start"] for o in listed] == ["2024-02-27T09:00:00", "2024-08-27T09:00:00", "2025-03-04T09:00:00"]
    assert listed[2]["host"] == phnom_penh and listed[2]["overridden"] is True
    assert listed[2]["title"] == "3rd Mekong Dialogue"

    # A slot for Vientiane and Phnom Penh (both at +07:00), avoiding Cambodia's operator-supplied holiday.
    ok(call(client, "scheduling.blackout.add", {"blackouts": [
        {"country": "KH", "from": "2027-04-14", "to": "2027-04-16", "name": "Khmer New Year"}]}))
    slots = ok(call(client, "scheduling.slots.find", {
        "participants": [{"actor": vientiane}, {"actor": phnom_penh, "focal_point": "Sokha Chan"}],
        "duration": "PT2H", "from": "2027-04-14", "to": "2027-04-19", "step": 60, "limit": 3}))
    first = slots["slots"][0]
    assert first["start_utc"] == "2027-04-19T01:00:00Z", slots  # Monday 08:00 local; 14-16 April are holidays
    assert first["reason"] == "all 2 participants within working hours and free"
    assert [a["local_start"] for a in first["attendees"]] == ["2027-04-19T08:00:00", "2027-04-19T08:00:00"]
    none = ok(call(client, "scheduling.slots.find", {
        "participants": [{"actor": phnom_penh}], "duration": "PT2H", "from": "2027-04-14", "to": "2027-04-16"}))
    assert none["slots"] == [] and none["empty_reason"] == "attendees_unavailable"


def test_a_reminder_fires_once_across_a_restart(make_daemon, zctx):
    daemon = make_daemon()
    client = req(zctx, daemon.commands)
    events = subscribe(zctx, daemon.events, "scheduling.meeting.reminder_due")
    start = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=4)).replace(microsecond=0)
    local = start.strftime("%Y-%m-%dT%H:%M:%S")
    end = (start + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    meeting = ok(call(client, "scheduling.meeting.schedule", {"meeting": {
        "kind": "other", "title": "Call", "start": local, "end": end, "time_zone": "UTC", "reminders": ["PT2S"]}}))
    topic, body = next_event(events)[:2]
    assert topic == b"scheduling.meeting.reminder_due"
    payload = json.loads(body)
    payload = payload.get("payload", payload)
    assert payload["meeting"] == meeting["meeting"]["id"] and payload["offset"] == "PT2S"
    daemon.stop()
    daemon.start()
    client = req(zctx, daemon.commands)
    time.sleep(1.5)
    due = [e for e in replay_all(client) if e["topic"] == "scheduling.meeting.reminder_due"]
    assert len(due) == 1
