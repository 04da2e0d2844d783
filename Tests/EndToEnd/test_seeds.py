"""A scenario per founding document (shared/seeds), against `concordd --demo` through CWP/1."""

import json

import pytest

from conftest import call, req
from test_concordctl import ctl, endpoints
from test_registry import error, ok


@pytest.fixture
def demo(make_daemon):
    return make_daemon(extra_args=["--demo"])


def network(client, acronym):
    return next(n for n in ok(call(client, "registry.network.list"))["networks"] if n["acronym"] == acronym)


def declaration(client, acronym):
    return ok(call(client, "registry.declaration.list", {"network": acronym}))["declarations"][0]


def names(client, ids):
    return sorted(ok(call(client, "registry.actor.get", {"id": i}))["fields"]["name"] for i in ids)


def test_umci_registers_stakeholders_and_favours_small_and_intermediary_cities(demo, zctx):
    client = req(zctx, demo.commands)
    outcome = declaration(client, "UMCI")
    assert [a["title"] for a in outcome["fields"]["articles"]][1] == "Inclusive Urban Approach"
    assert len(outcome["fields"]["articles"]) == 7
    for actor in [
        {"name": "Luang Prabang", "kind": "city", "country": "LA", "population": 90313, "time_zone": "Asia/Vientiane"},
        {"name": "Mekong River Commission", "kind": "international_partner", "country": "LA"},
        {"name": "Mekong Youth Network", "kind": "civil_society", "country": "TH"},
        {"name": "Hanoi Water Company", "kind": "private_company", "country": "VN"},
    ]:
        registered = ok(call(client, "registry.actor.register", {"actor": actor}))
        ok(call(client, "registry.membership.add", {
            "actor": registered["id"], "network": "UMCI", "role": "member",
            "basis": {"kind": "accession"}}))
    intermediary = ok(call(client, "registry.actor.list", {
        "network": "UMCI", "size_class": "intermediary"}))["actors"]
    assert [a["fields"]["name"] for a in intermediary] == ["Luang Prabang"]
    members = ok(call(client, "registry.membership.list", {"network": "UMCI", "status": "active"}))["memberships"]
    assert len(members) == 5
    host = [m for m in members if m["role"] == "host"]
    assert names(client, [m["actor"] for m in host]) == ["Vientiane Capital"]


def test_anmc21_has_its_eight_cities_declaration_and_an_expired_pilot(demo, zctx):
    client = req(zctx, demo.commands)
    hanoi = declaration(client, "ANMC21")
    assert hanoi["fields"]["title"] == "Hanoi Declaration" and len(hanoi["fields"]["articles"]) == 5
    assert names(client, [p["actor"] for p in hanoi["fields"]["parties"]]) == [
        "Bangkok", "Hanoi", "Jakarta", "Kuala Lumpur", "Seoul", "Singapore", "Tokyo", "Tomsk"]
    tomsk = ok(call(client, "registry.actor.list", {"text": "tomsk"}))["actors"][0]
    assert tomsk["fields"]["time_zone"] == "Asia/Tomsk" and tomsk["fields"]["country"] == "RU"
    projects = ok(call(client, "registry.project.list", {"network": "ANMC21"}))["projects"]
    kinds = {p["name"]: (p["kind"], p["status"]) for p in projects}
    assert kinds["Platform for Technology and Industry"] == ("programme", "active")
    # The pilot's end date (2014) has passed: its durable timer fired and ended it, with an event.
    assert kinds["Education for Urban Solutions"] == ("pilot_programme", "ended")
    replay = ok(call(client, "events.replay", {"after_seq": 0, "topics": ["registry.project.ended"]}))
    assert [e["payload"]["expired"] for e in replay["events"]] == [True]


def test_central_asian_coalition_accession_copies_groups_and_plan_review(demo, zctx):
    client = req(zctx, demo.commands)
    dushanbe = declaration(client, "CSCCA")
    fields = dushanbe["fields"]
    assert len(fields["articles"]) == 11 and fields["open_to_accession"] is True
    assert names(client, [fields["custodian"]]) == ["Center for Emergency Situations and Disaster Risk Reduction"]
    founders = ok(call(client, "registry.membership.list", {"network": "CSCCA"}))["memberships"]
    assert {m["basis"]["kind"] for m in founders} == {"founding_signature"} and len(founders) == 5

    fields["certified_copies"] = [{"party": p["actor"], "sent_on": "2025-11-03"} for p in fields["parties"]]
    updated = ok(call(client, "registry.declaration.update", {
        "id": dushanbe["id"], "version": dushanbe["version"], "declaration": fields}))
    assert len(updated["declaration"]["fields"]["certified_copies"]) == 5

    khujand = ok(call(client, "registry.actor.register", {"actor": {
        "name": "Khujand", "kind": "city", "country": "TJ", "population": 200000, "time_zone": "Asia/Dushanbe"}}))
    application = ok(call(client, "registry.accession.apply", {"declaration": dushanbe["id"], "actor": khujand["id"]}))
    application = ok(call(client, "registry.accession.review", {
        "id": application["id"], "version": 1, "reviewer": "Coalition secretariat"}))
    assert "reason: required" in error(call(client, "registry.accession.decide", {
        "id": application["id"], "version": 2, "decision": "reject", "decided_by": "Parties"}), "bad_request")
    decision = ok(call(client, "registry.accession.decide", {
        "id": application["id"], "version": 2, "decision": "accept", "decided_by": "Meeting of the Parties"}))
    assert decision["membership"]["membership"]["basis"]["kind"] == "accession"
    assert ok(call(client, "registry.declaration.get", {"id": dushanbe["id"]}))["acceded"][0]["actor"] == khujand["id"]

    group = ok(call(client, "registry.working_group.list", {"network": "CSCCA"}))["groups"][0]
    group = ok(call(client, "registry.working_group.set_member", {
        "group": group["id"], "version": group["version"], "actor": khujand["id"], "role": "chair"}))
    assert group["members"][0]["role"] == "chair"

    plan = ok(call(client, "registry.action_plan.list", {"network": "CSCCA"}))["plans"][0]
    plan = ok(call(client, "registry.action_plan.add_action", {"plan": plan["id"], "version": plan["version"], "action": {
        "key": "1", "title": "Flood early warning", "owner": khujand["id"], "status": "planned",
        "indicators": [{"key": "coverage", "name": "Households warned", "unit": "%", "baseline": 10, "target": 90}]}}))
    ok(call(client, "registry.action_plan.record_progress", {
        "plan": plan["id"], "action": "1", "on": "2026-03-01", "status": "in_progress",
        "values": [{"indicator": "coverage", "value": 30}]}))
    ok(call(client, "registry.action_plan.record_progress", {
        "plan": plan["id"], "action": "1", "on": "2026-10-01", "values": [{"indicator": "coverage", "value": 50}]}))
    changes = ok(call(client, "registry.action_plan.changes", {"plan": plan["id"], "since": "2026-05-20"}))
    indicator = changes["actions"][0]["indicators"][0]
    assert (indicator["then"], indicator["now"], indicator["progress"]) == (30, 50, 0.5)


def test_metropolis_and_aspac_joint_membership_and_focal_point(demo, zctx):
    client = req(zctx, demo.commands)
    agreement = declaration(client, "METROPOLIS")
    assert agreement["fields"]["focal_point"]["person"]["name"] == "Agnès Bickart"
    assert agreement["fields"]["place"] == "Montevideo"
    assert ok(call(client, "registry.network.joint_members", {"first": "UCLG ASPAC", "second": "METROPOLIS"}))["count"] == 0
    jakarta = ok(call(client, "registry.actor.list", {"text": "jakarta", "kind": "city"}))["actors"][0]
    change = ok(call(client, "registry.membership.add", {
        "actor": jakarta["id"], "network": "UCLG ASPAC", "role": "member", "basis": {"kind": "accession"}}))
    assert len(change["derived_started"]) == 2
    joint = ok(call(client, "registry.network.joint_members", {"first": "UCLG ASPAC", "second": "METROPOLIS"}))
    assert joint["count"] == 1 and joint["members"][0]["second"]["kind"] == "rule"


def test_demo_loads_once(make_daemon, zctx):
    daemon = make_daemon(extra_args=["--demo"])
    client = req(zctx, daemon.commands)
    count = len(ok(call(client, "registry.network.list"))["networks"])
    assert count == 6
    client.close()
    assert daemon.stop() == 0
    daemon.start()
    client = req(zctx, daemon.commands)
    assert len(ok(call(client, "registry.network.list"))["networks"]) == count
    assert "demo data not loaded: the register has networks already" in daemon.log()


def test_concordctl_import_reports_rejected_rows_then_imports(daemon, zctx, tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("name,kind,country,population,time_zone\n"
                    "Osh,city,KG,322164,Asia/Bishkek\n"
                    "\"Khujand, Sughd\",city,TJ,200000,Asia/Dushanbe\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("name,kind,country,population,time_zone\n"
                   "Osh,city,KG,322164,Asia/Bishkek\n"
                   "\"Two\nlines\",city,XX,,\n"
                   "Namangan,city,UZ,abc,\n")
    env = endpoints(daemon)
    report = tmp_path / "rejected.csv"
    result = ctl("import", "actors", str(bad), "--report", str(report), env=env)
    assert result.returncode == 65, result.stderr
    assert "line 3: country: expected an ISO 3166-1 alpha-2" in result.stderr
    assert "line 5: population: expected a whole number" in result.stderr
    assert "2 of 3 rows rejected; nothing was imported" in result.stderr
    assert report.read_text().startswith("line,reason\n3,")

    dry = ctl("import", "actors", str(good), "--dry-run", env=env)
    assert dry.returncode == 0 and "nothing written (dry run)" in dry.stdout
    done = ctl("import", "actors", str(good), "--json", env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["imported"] == 2
    client = req(zctx, daemon.commands)
    listed = ok(call(client, "registry.actor.list"))["actors"]
    assert [a["fields"]["name"] for a in listed] == ["Khujand, Sughd", "Osh"]
    partial = ctl("import", "actors", str(bad), "--partial", "--force", "--json", env=env)
    assert partial.returncode == 0 and json.loads(partial.stdout)["imported"] == 1
