"""Matching through CWP/1 on `concordd --demo`: Mekong members' needs against a city climate finance gap fund, a
regional development bank window, a project-preparation facility and a technology provider; screening with
reasons, explained scores, shortlists kept current with events, an optimal allocation with its dual bound, and
decisions that are never undone."""

import json
import time

import pytest

from conftest import call, next_event, req, subscribe
from test_registry import error, ok


@pytest.fixture
def demo(make_daemon):
    return make_daemon(extra_args=["--demo"])


def register(client, name, country, population, zone):
    return ok(call(client, "registry.actor.register", {"actor": {
        "name": name, "kind": "city", "country": country, "population": population, "time_zone": zone}}))["id"]


GAP_FUND = {
    "kind": "finance", "title": "City Climate Finance Gap Fund",
    "description": "Early-stage technical assistance for climate-smart urban infrastructure: flood resilience, "
                   "drainage, clean energy and low-carbon transport in cities of ODA-eligible countries.",
    "sectors": ["410", "740", "140", "230"], "instrument": "D02",
    "ticket": {"min": 50_000, "max": 1_000_000, "currency": "USD"},
    "countries": ["LA", "KH", "VN", "TH", "MM", "KZ", "KG", "TJ", "UZ"],
    "stages": ["idea", "concept", "pre_feasibility"],
    "window": {"opens": "2026-01-01", "closes": "2027-06-30"}, "capacity": {"projects": 1},
}
BANK_WINDOW = {
    "kind": "finance", "title": "Regional development bank: livable cities window",
    "description": "Sovereign and sub-sovereign loans for urban water supply, sanitation and flood protection.",
    "sectors": ["140", "740"], "instrument": "421",
    "ticket": {"min": 5_000_000, "max": 50_000_000, "currency": "USD"},
    "regions": ["035"], "stages": ["feasibility", "ready_to_finance"], "capacity": {"projects": 3},
}
PREPARATION = {
    "kind": "finance", "title": "Urban project preparation facility",
    "description": "Grants to prepare feasibility studies for drainage, solid waste and transport projects.",
    "sectors": ["140", "210", "410"], "instrument": "110",
    "ticket": {"min": 100_000, "max": 2_000_000, "currency": "USD"},
    "size_classes": ["small", "intermediary"], "stages": ["concept", "pre_feasibility"],
    "capacity": {"projects": 2},
}
PROVIDER = {
    "kind": "technology", "title": "Flood early-warning sensors",
    "description": "River level sensors and SMS flood early warning for cities on the Mekong.",
    "sectors": ["740"], "solutions": ["river gauges", "flood warning"], "maturity": 8, "regions": ["035"],
}


def need(actors, title, description, sectors, stage, budget, currency="USD", deadline=None):
    fields = {"actors": actors, "title": title, "description": description, "sectors": sectors, "stage": stage,
              "budget": {"min": budget[0], "max": budget[1], "currency": currency}, "sdg_targets": ["11.5", "13.1"]}
    if deadline:
        fields["deadline"] = deadline
    return fields


def test_mekong_needs_meet_funds_and_providers(demo, zctx):
    client = req(zctx, demo.commands)
    events = subscribe(zctx, demo.events, "matching.")
    vocabulary = ok(call(client, "matching.vocabulary"))
    assert {"code": "140", "label": "Water supply and sanitation"} in vocabulary["sectors"]["codes"]
    assert "OECD" in vocabulary["sectors"]["source"] and "IATI" in vocabulary["instruments"]["source"]

    vientiane = ok(call(client, "registry.actor.list", {"text": "Vientiane"}))["actors"][0]["id"]
    pakse = register(client, "Pakse", "LA", 88_332, "Asia/Vientiane")
    battambang = register(client, "Battambang", "KH", 119_251, "Asia/Phnom_Penh")
    can_tho = register(client, "Can Tho", "VN", 1_235_171, "Asia/Ho_Chi_Minh")

    offers = {}
    for key, fields in [("gap", GAP_FUND), ("bank", BANK_WINDOW), ("ppf", PREPARATION), ("sensors", PROVIDER)]:
        offers[key] = ok(call(client, "matching.offer.post", {"id": key, "fields": fields}))["id"]

    drainage = ok(call(client, "matching.need.post", {"id": "pakse-drainage", "fields": need(
        [pakse], "Pakse flood drainage", "Concept for drainage canals and flood early warning in Pakse.",
        ["740", "140"], "concept", (200_000, 600_000), deadline="2027-03-01")}))
    assert drainage["version"] == 1
    # Budgets in kip need a rate: without one, the pair is excluded, never converted silently.
    water = ok(call(client, "matching.need.post", {"id": "vte-water", "fields": need(
        [vientiane], "Vientiane water supply extension", "Feasibility-stage water supply and sanitation loan.",
        ["140"], "feasibility", (200_000_000_000, 400_000_000_000), currency="LAK")}))
    pairs = ok(call(client, "matching.assess", {"need": water["id"]}))["pairs"]
    bank = next(p for p in pairs if p["offer"] == "bank")
    assert bank["rule"] == "currency" and "LAK to USD" in bank["reason"], bank
    ok(call(client, "matching.rates.set", {"rates": {"date": "2026-12-01", "base": "USD",
                                                    "rates": {"LAK": 21_500, "KHR": 4_010, "VND": 25_400}}}))
    bank = ok(call(client, "matching.assess", {"need": water["id"], "offer": "bank"}))["pairs"][0]
    assert bank["eligible"], bank
    assert [c["name"] for c in bank["components"]] == [
        "sector", "text", "budget", "stage", "urgency", "small_cities", "regional_balance"]
    assert abs(sum(c["points"] for c in bank["components"]) - bank["score"]) < 0.01

    # Screening names the first rule that excluded a pair, in words to forward.
    gap = ok(call(client, "matching.assess", {"need": water["id"], "offer": "gap"}))["pairs"][0]
    assert (gap["rule"], gap["eligible"]) == ("stage", False)
    assert "feasibility stage" in gap["reason"], gap
    big = ok(call(client, "matching.assess", {"need": water["id"], "offer": "ppf"}))["pairs"][0]
    assert big["rule"] == "size_class" and "Vientiane Capital is large" in big["reason"], big

    # Small and intermediary cities get the documented priority.
    pakse_gap = ok(call(client, "matching.assess", {"need": "pakse-drainage", "offer": "gap"}))["pairs"][0]
    small = next(c for c in pakse_gap["components"] if c["name"] == "small_cities")
    assert small["points"] == 10 and "Pakse" in small["why"]

    for fields, nid in [
        (need([battambang], "Battambang drainage and waste", "Pre-feasibility of drainage and solid waste.",
              ["140", "410"], "pre_feasibility", (300_000, 900_000)), "btb-drainage"),
        (need([can_tho], "Can Tho flood protection", "Feasibility of river flood protection embankments.",
              ["740"], "feasibility", (10_000_000, 30_000_000)), "ct-flood"),
    ]:
        ok(call(client, "matching.need.post", {"id": nid, "fields": fields}))

    # Shortlists come back best first, and posting changes them with events naming the need or offer.
    shortlist = ok(call(client, "matching.shortlist", {"need": "pakse-drainage"}))["entries"]
    assert [e["id"] for e in shortlist][:1] and all(
        a["score"] >= b["score"] for a, b in zip(shortlist, shortlist[1:]))
    changed = set()
    deadline = time.monotonic() + 5
    while not {("need", "pakse-drainage"), ("offer", "gap")} <= changed and time.monotonic() < deadline:
        topic, body = next_event(events)[:2]
        payload = json.loads(body)["payload"]
        if topic == b"matching.shortlist.changed":
            changed.add(("need", payload["need"]) if payload.get("need") else ("offer", payload["offer"]))
    assert {("need", "pakse-drainage"), ("offer", "gap")} <= changed

    # The allocation is exact: the gap fund's one place goes where it scores most, with a dual bound equal
    # to the total.
    allocation = ok(call(client, "matching.allocation.propose"))
    assert allocation["optimal"] and abs(allocation["dual_bound"] - allocation["total"]) < 1e-9
    by_need = {a["need"]: a["offer"] for a in allocation["assignments"]}
    assert list(by_need.values()).count("gap") <= 1
    assert by_need.get("ct-flood") == "bank" and by_need.get("vte-water") == "bank"
    # Checked by brute force over the scores matching.assess gives: no allocation totals more.
    capacity = {"gap": 1, "bank": 3, "ppf": 2}
    scores = {}
    for nid in ["pakse-drainage", "vte-water", "btb-drainage", "ct-flood"]:
        for pair in ok(call(client, "matching.assess", {"need": nid}))["pairs"]:
            if pair["eligible"] and pair["offer"] in capacity:
                scores[(nid, pair["offer"])] = pair["score"]
    assert abs(best_total(scores, capacity) - allocation["total"]) < 1e-6, (scores, allocation)
    assert {p["offer"] for p in allocation["prices"]} == set(capacity)

    # A decline needs a reason, and a declined pair is never proposed again.
    ok(call(client, "matching.match.propose", {"need": "btb-drainage", "offer": "ppf"}))
    message = error(call(client, "matching.match.decide", {
        "need": "btb-drainage", "offer": "ppf", "party": "member", "accept": False}), "bad_request")
    assert message.startswith("reason:")
    declined = ok(call(client, "matching.match.decide", {
        "need": "btb-drainage", "offer": "ppf", "party": "member", "accept": False,
        "reason": "the city council chose the national programme"}))
    assert declined["state"] == "declined" and declined["declined_by"] == "member"
    error(call(client, "matching.match.propose", {"need": "btb-drainage", "offer": "ppf"}), "conflict")
    again = ok(call(client, "matching.assess", {"need": "btb-drainage", "offer": "ppf"}))["pairs"][0]
    assert again["rule"] == "declined" and "national programme" in again["reason"]
    allocation = ok(call(client, "matching.allocation.propose"))
    assert ("btb-drainage", "ppf") not in {(a["need"], a["offer"]) for a in allocation["assignments"]}

    # Both parties accept: the match takes the gap fund's only place, and the fund drops out of screening.
    ok(call(client, "matching.match.propose", {"need": "pakse-drainage", "offer": "gap"}))
    ok(call(client, "matching.match.decide", {"need": "pakse-drainage", "offer": "gap", "party": "provider",
                                              "accept": True}))
    accepted = ok(call(client, "matching.match.decide", {
        "need": "pakse-drainage", "offer": "gap", "party": "member", "accept": True}))
    assert accepted["state"] == "accepted"
    fund = ok(call(client, "matching.offer.get", {"id": "gap"}))
    assert fund["allocated"] == {"projects": 1, "amount": 600_000}
    later = ok(call(client, "matching.assess", {"need": "btb-drainage", "offer": "gap"}))["pairs"][0]
    assert later["rule"] == "capacity", later
    message = error(call(client, "matching.offer.capacity.set", {"id": "gap", "capacity": {"projects": 0}}),
                    "bad_request")
    assert message.startswith("capacity.projects: expected at least 1"), message
    decided = [frames[0] for frames in drain(events)]
    assert b"matching.match.decided" in decided

    # A matchmaking session at an ANMC21 trade fair: the accepted pairs, and the sensor provider meeting
    # Pakse and Can Tho, in the fewest slots with nobody booked twice.
    for nid, oid in [("ct-flood", "bank"), ("pakse-drainage", "sensors"), ("ct-flood", "sensors")]:
        ok(call(client, "matching.match.propose", {"need": nid, "offer": oid}))
        for party in ["member", "provider"]:
            ok(call(client, "matching.match.decide", {"need": nid, "offer": oid, "party": party, "accept": True}))
    fair = ok(call(client, "scheduling.meeting.schedule", {"meeting": {
        "kind": "trade_fair", "title": "ANMC21 Platform for Technology and Industry: trade fair",
        "network": "ANMC21", "start": "2027-05-10T09:00:00", "end": "2027-05-10T17:00:00",
        "time_zone": "Asia/Tokyo", "reminders": []}}))["meeting"]["id"]
    slots = [{"start": f"2027-05-10T{h:02d}:00", "end": f"2027-05-10T{h:02d}:30"} for h in (10, 11, 14)]
    plan = ok(call(client, "matching.session.plan", {"meeting": fair, "slots": slots, "tables": 2}))
    assert plan["guarantee"] == "fewest" and plan["slots_used"] == plan["lower_bound"] == 2, plan
    assert plan["unplaced"] == [] and len(plan["bookings"]) == 4
    seen = set()
    for booking in plan["bookings"]:
        for who in (booking["member"], booking["provider"]):
            assert (who, booking["slot"]) not in seen, plan
            seen.add((who, booking["slot"]))
    # Pakse can only come to the last slot: the plan follows, still booking nobody twice.
    limited = ok(call(client, "matching.session.plan", {"meeting": fair, "slots": slots, "tables": 2,
                                                       "availability": {pakse: [2]}}))
    assert all(b["slot"] == 2 for b in limited["bookings"] if b["member"] == pakse), limited
    assert limited["guarantee"] == "first_fit"
    plenary = ok(call(client, "scheduling.meeting.schedule", {"meeting": {
        "kind": "plenary", "title": "Plenary", "start": "2027-06-01", "end": "2027-06-02", "time_zone": "UTC",
        "reminders": []}}))["meeting"]["id"]
    message = error(call(client, "matching.session.plan", {"meeting": plenary, "slots": slots, "tables": 2}),
                    "bad_request")
    assert message.startswith("meeting: expected a trade fair or an expert meeting"), message


def best_total(scores, capacity):
    needs = sorted({n for n, _ in scores})
    best = 0.0

    def visit(index, total, load):
        nonlocal best
        if index == len(needs):
            best = max(best, total)
            return
        visit(index + 1, total, load)
        for (n, o), score in scores.items():
            if n == needs[index] and load.get(o, 0) < capacity[o]:
                visit(index + 1, total + score, {**load, o: load.get(o, 0) + 1})

    visit(0, 0.0, {})
    return best


def drain(sock, seconds=1.0):
    out = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            out.append(next_event(sock))
        except Exception:
            break
    return out


@pytest.mark.parametrize("change, expected", [
    ({"budget": {"min": 9, "max": 1, "currency": "USD"}}, "fields.budget.max: expected at least min (9), got 1"),
    ({"sectors": ["999"]}, "fields.sectors[0]: expected an OECD DAC CRS 3-digit sector code"),
    ({"budget": {"min": 1, "max": 9, "currency": "XYZ"}}, "fields.budget.currency: expected an ISO 4217"),
    ({"sdg_targets": ["18.1"]}, "fields.sdg_targets[0]: expected an SDG target"),
    ({"deadline": "2027-02-30"}, "fields.deadline: expected a date YYYY-MM-DD"),
])
def test_bad_needs_name_the_field(demo, zctx, change, expected):
    client = req(zctx, demo.commands)
    vientiane = ok(call(client, "registry.actor.list", {"text": "Vientiane"}))["actors"][0]["id"]
    fields = need([vientiane], "Drainage", "Drainage", ["140"], "concept", (1, 2))
    fields.update(change)
    message = error(call(client, "matching.need.post", {"fields": fields}), "bad_request")
    assert message.startswith(expected), message


def test_bad_offers_and_unknown_members(demo, zctx):
    client = req(zctx, demo.commands)
    bad = dict(GAP_FUND, instrument="999")
    assert error(call(client, "matching.offer.post", {"fields": bad}), "bad_request").startswith(
        "fields.instrument: expected an IATI finance type code")
    bad = dict(GAP_FUND, window={"opens": "2027-01-01", "closes": "2026-01-01"})
    assert error(call(client, "matching.offer.post", {"fields": bad}), "bad_request").startswith(
        "fields.window.closes: expected on or after opens")
    bad = dict(GAP_FUND, capacity={"projects": -1})
    assert error(call(client, "matching.offer.post", {"fields": bad}), "bad_request").startswith(
        "fields.capacity.projects: expected 0 or more")
    message = error(call(client, "matching.need.post", {"fields": need(
        ["no-such-actor"], "Drainage", "Drainage", ["140"], "concept", (1, 2))}), "not_found")
    assert message.startswith("fields.actors[0]: no actor"), message
    # The daemon keeps serving after all of it.
    assert ok(call(client, "matching.vocabulary"))["sdg_goals"]["codes"][10]["code"] == "11"
