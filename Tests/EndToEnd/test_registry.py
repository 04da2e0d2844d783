"""The registry through CWP/1: the Metropolis / UCLG ASPAC joint membership (seed 003) and the register's errors."""

import json

from conftest import call, next_event, req, subscribe


def ok(reply):
    assert reply["ok"] is True, reply
    return reply["result"]


def error(reply, code):
    assert reply["ok"] is False, reply
    assert reply["error"]["code"] == code, reply
    return reply["error"]["message"]


def city(client, name, country, population, capital="none", time_zone=None):
    actor = {"name": name, "kind": "city", "country": country, "population": population, "capital": capital}
    if time_zone:
        actor["time_zone"] = time_zone
    return ok(call(client, "registry.actor.register", {"actor": actor}))


def test_joint_membership_by_rule_through_the_wire(daemon, zctx):
    client = req(zctx, daemon.commands)
    events = subscribe(zctx, daemon.events, "registry.membership.")
    for acronym, name in [("UCLG", "United Cities and Local Governments"), ("ASPAC", "UCLG Asia-Pacific"),
                          ("METROPOLIS", "Metropolis")]:
        ok(call(client, "registry.network.create", {"name": name, "acronym": acronym}))
    ok(call(client, "registry.rule.define", {
        "name": "ASPAC members that are state capitals or have a million inhabitants join Metropolis",
        "source": "ASPAC", "target": "METROPOLIS",
        "conditions": {"capitals": ["national", "state"], "min_population": 1000000}}))
    for target in ["ASPAC", "UCLG"]:
        ok(call(client, "registry.rule.define", {
            "name": f"Asia-Pacific Metropolis members join {target}", "source": "METROPOLIS", "target": target,
            "conditions": {"regions": ["asia_pacific"]}}))

    jakarta = city(client, "Jakarta", "ID", 10562088, "national", "Asia/Jakarta")
    assert jakarta["region"] == "035" and jakarta["size_class"] == "metropolis"
    change = ok(call(client, "registry.membership.add", {
        "actor": jakarta["id"], "network": "ASPAC", "role": "member", "basis": {"kind": "accession"}}))
    assert len(change["derived_started"]) == 2

    topics = [next_event(events)[0] for _ in range(3)]
    assert topics == [b"registry.membership.started"] * 3

    hue = city(client, "Huế", "VN", 652572)
    ok(call(client, "registry.membership.add", {
        "actor": hue["id"], "network": "ASPAC", "role": "member", "basis": {"kind": "accession"}}))

    joint = ok(call(client, "registry.network.joint_members", {"first": "ASPAC", "second": "METROPOLIS"}))
    assert joint["count"] == 1
    assert joint["members"][0]["name"] == "Jakarta"
    assert joint["members"][0]["second"]["kind"] == "rule"

    page = ok(call(client, "registry.actor.list", {"network": "ASPAC", "size_class": "intermediary"}))
    assert [actor["fields"]["name"] for actor in page["actors"]] == ["Huế"]


def test_registry_errors_name_what_was_wrong(daemon, zctx):
    client = req(zctx, daemon.commands)
    message = error(call(client, "registry.actor.get", {"id": "nobody"}), "not_found")
    assert "no actor with id" in message
    message = error(call(client, "registry.actor.register", {
        "actor": {"name": "Atlantis", "kind": "city", "country": "XX"}}), "bad_request")
    assert "actor.country" in message
    message = error(call(client, "registry.actor.register", {
        "actor": {"name": "Osh", "kind": "town", "country": "KG"}}), "bad_request")
    assert "actor.kind" in message
    osh = city(client, "Osh", "KG", 322000)
    assert "exists already" in error(call(client, "registry.actor.register", {
        "actor": {"name": "Osh", "kind": "city", "country": "KG"}}), "conflict")
    stale = {"id": osh["id"], "version": 7, "actor": osh["fields"]}
    assert "version 1, not 7" in error(call(client, "registry.actor.update", stale), "conflict")
    assert call(client, "system.ping")["ok"] is True


def test_the_registry_is_in_the_catalog(daemon, zctx):
    client = req(zctx, daemon.commands)
    catalog = ok(call(client, "system.catalog"))
    text = str(catalog)
    for name in ["registry.actor.register", "registry.membership.add", "registry.rule.define",
                 "registry.membership.started"]:
        assert name in text


def test_a_write_during_an_import_waits_for_it_and_then_sees_its_rows(daemon, zctx):
    """An import holds the register's writer from its first piece to its commit; other writes wait their turn
    (reads do not), so a namesake sent meanwhile is refused once the import's rows are in."""
    importer = req(zctx, daemon.commands)
    opened = ok(call(importer, "registry.import.begin",
                     {"kind": "actors", "header": ["name", "kind", "country"]}))
    progress = ok(call(importer, "registry.import.rows",
                       {"import": opened["import"], "first_line": 2, "csv": "Osh,city,KG\nTalas,city,KG\n"}))
    assert progress["accepted"] == 2

    other = req(zctx, daemon.commands)
    other.send(json.dumps({"id": "r-1", "command": "registry.actor.register",
                           "args": {"actor": {"name": "OSH", "kind": "city", "country": "KG"}}}).encode())
    assert other.poll(300) == 0, "the write waits while the import holds the writer"
    reader = req(zctx, daemon.commands)
    assert ok(call(reader, "registry.actor.list", {}))["actors"] == [], "reads go on, without the import's rows"

    summary = ok(call(importer, "registry.import.commit", {"import": opened["import"]}))
    assert summary["imported"] == 2
    message = error(json.loads(other.recv()), "conflict")
    assert 'an actor named "OSH" in KG exists already' in message
    names = [actor["fields"]["name"] for actor in ok(call(reader, "registry.actor.list", {}))["actors"]]
    assert names == ["Osh", "Talas"]
