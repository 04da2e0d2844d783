"""Plugins loaded by the real concordd from its plugins directory: the MembershipDues .so driven over CWP/1 with
pyzmq, its events on the stream and in notifications' webhooks, and C plugins that fail the load checks or claim
what another module owns, while the daemon keeps serving."""

import shutil
import subprocess
import time

from conftest import ROOT, bin_dir, call, next_event, subscribe
from peers import WebhookReceiver
from test_notifications import SECRET, client_of, config, recipient, wait_for
from test_registry import error, ok

FIXTURE = ROOT / "Tests" / "Fixtures" / "plugins" / "fixture_plugin.c"
HEADERS = ROOT / "Modules" / "CConcordPlugin" / "include"

RATES = {"network": "ANMC21", "year": 2027, "currency": "USD", "due_on": "2027-03-31", "fees": [
    {"role": "*", "size_class": "*", "amount": 100_000},
    {"role": "member", "size_class": "metropolis", "amount": 500_000},
]}


def plugins_dir(tmp_path, *fixtures):
    """A plugins directory with the MembershipDues .so of this build and C fixtures built with their -D flags."""
    directory = tmp_path / "plugins"
    directory.mkdir(exist_ok=True)
    shutil.copy(bin_dir() / "libMembershipDues.so", directory / "libMembershipDues.so")
    for name, defines in fixtures:
        subprocess.run(["cc", "-shared", "-fPIC", "-Wall", "-Werror", "-I", str(HEADERS),
                        *[f"-D{d}" for d in defines], "-o", str(directory / f"{name}.so"), str(FIXTURE)], check=True)
    return directory


def modules(client):
    return {m["name"]: m for m in ok(call(client, "system.status"))["modules"]}


def test_membership_dues_over_cwp_survives_a_restart(make_daemon, tmp_path, zctx):
    plugins = plugins_dir(tmp_path)
    daemon = make_daemon(extra_args=["--demo", "--plugins-dir", str(plugins)], subdir="dues")
    with client_of(zctx, daemon) as client:
        status = modules(client)["dues"]
        assert status["state"] == "running" and status["version"] == "1.0.0"
        assert status["details"]["plugin"]["path"] == str(plugins / "libMembershipDues.so")
        assert status["details"]["plugin"]["abi"] == 1
        catalog = ok(call(client, "system.catalog"))
        commands = {c["command"]: c for c in catalog["commands"] if c["module"] == "dues"}
        assert sorted(commands) == ["dues.arrears.list", "dues.invoice.list", "dues.invoices.issue",
                                    "dues.payment.record", "dues.rates.set"]
        assert commands["dues.payment.record"]["mutating"] is True
        assert "paid_on" in commands["dues.payment.record"]["args_schema"]["properties"]
        assert {e["topic"] for e in catalog["events"] if e["module"] == "dues"} == {
            "dues.rates.set", "dues.invoice.issued", "dues.payment.recorded", "dues.invoice.settled",
            "dues.reminder.due"}

        events = subscribe(zctx, daemon.events, "dues.")
        anmc21 = next(n for n in ok(call(client, "registry.network.list"))["networks"] if n["acronym"] == "ANMC21")
        members = ok(call(client, "registry.membership.list", {"network": anmc21["id"], "status": "active"}))
        expected = {m["actor"] for m in members["memberships"]}
        assert ok(call(client, "dues.rates.set", RATES))["network"] == anmc21["id"]
        issued = ok(call(client, "dues.invoices.issue", {"network": "anmc21", "year": 2027}, id="issue-1"))
        assert {i["member"] for i in issued["issued"]} == expected and issued["skipped"] == []
        bangkok = next(i for i in issued["issued"] if i["member_name"] == "Bangkok")
        assert (bangkok["size_class"], bangkok["amount"], bangkok["status"]) == ("metropolis", 500_000, "open")

        pay = {"invoice": bangkok["id"], "amount": 500_000, "paid_on": "2027-02-01", "reference": "BKK-2027"}
        first = ok(call(client, "dues.payment.record", pay, idempotency_key="bkk-dues-2027"))
        again = ok(call(client, "dues.payment.record", pay, idempotency_key="bkk-dues-2027"))
        assert first == again and first["invoice"]["status"] == "settled"
        assert "is more than the 0 USD still owed" in error(
            call(client, "dues.payment.record", {**pay, "amount": 1}), "conflict")
        assert error(call(client, "dues.payment.record", {**pay, "paid_on": "1 Feb 2027"}), "bad_request") == (
            'args.paid_on: expected a date YYYY-MM-DD such as 2027-03-31, got "1 Feb 2027"')

        topics = []
        while len(topics) < len(expected) + 3:
            topics.append(next_event(events)[0].decode())
        # The retried payment recorded nothing more; the refused ones journaled nothing.
        assert topics == ["dues.rates.set"] + ["dues.invoice.issued"] * len(expected) + [
            "dues.payment.recorded", "dues.invoice.settled"]
        arrears = ok(call(client, "dues.arrears.list", {"network": "ANMC21", "as_of": "2027-04-30"}))
        assert {m["member"] for m in arrears["members"]} == expected - {bangkok["member"]}
        assert all(m["invoices"][0]["days_overdue"] == 30 for m in arrears["members"])
        events.close(0)

    assert daemon.stop() == 0
    daemon.start()
    with client_of(zctx, daemon) as client:
        assert modules(client)["dues"]["state"] == "running"
        listed = ok(call(client, "dues.invoice.list", {"network": "ANMC21", "year": 2027}))["invoices"]
        assert len(listed) == len(expected)
        assert next(i for i in listed if i["id"] == bangkok["id"])["status"] == "settled"
        again = ok(call(client, "dues.invoices.issue", {"network": "ANMC21", "year": 2027}))
        assert again["issued"] == [] and again["already_issued"] == len(expected)
        # The retry after the restart still answers the first reply.
        assert ok(call(client, "dues.payment.record", pay, idempotency_key="bkk-dues-2027")) == first


def test_notifications_deliver_a_plugins_events(make_daemon, tmp_path, zctx):
    plugins = plugins_dir(tmp_path)
    with WebhookReceiver(SECRET) as hooks:
        daemon = make_daemon(config=config(tmp_path), extra_args=["--demo", "--plugins-dir", str(plugins)])
        with client_of(zctx, daemon) as client:
            recipient(client, "treasurer", name="ANMC21 treasurer",
                      webhook={"url": hooks.url("/ok"), "secret_files": ["hook.secret"]})
            ok(call(client, "notifications.subscribe", {"id": "sub-dues", "fields": {
                "recipient": "treasurer", "topic": "dues.invoice.settled", "channel": "webhook"}}))
            ok(call(client, "dues.rates.set", RATES))
            issued = ok(call(client, "dues.invoices.issue", {"network": "ANMC21", "year": 2027}))["issued"]
            ok(call(client, "dues.payment.record",
                    {"invoice": issued[0]["id"], "amount": issued[0]["amount"], "paid_on": "2027-01-05"}))
            wait_for(client, lambda d: [x["state"] for x in d] == ["sent"])
    assert hooks.invalid == 0
    body = next(iter(hooks.bodies.values()))
    assert body["type"] == "dues.invoice.settled"
    assert body["data"]["payload"]["invoice"]["id"] == issued[0]["id"]


def test_plugins_that_fail_their_checks_or_claim_a_namespace_are_reported_and_the_daemon_serves(
        make_daemon, tmp_path, zctx):
    plugins = plugins_dir(tmp_path, ("a-abi2", ["FIXTURE_ABI=2"]),
                          ("b-old-swift", ['FIXTURE_COMPILER="5.10"', 'FIXTURE_NAME="oldswift"']),
                          ("c-thief", ['FIXTURE_NAME="thief"', 'FIXTURE_NAMESPACE="registry"']),
                          ("d-echo", ['FIXTURE_NAME="echo"']),
                          ("e-fails", ['FIXTURE_NAME="fails"', "FIXTURE_START_FAILS"]))
    (plugins / "f-notes.so").write_text("not a shared object")
    daemon = make_daemon(extra_args=["--plugins-dir", str(plugins)])
    with client_of(zctx, daemon) as client:
        states = modules(client)
        assert states["a-abi2"]["state"] == "refused"
        assert states["a-abi2"]["error"] == "it was built for plugin ABI 2; this concordd loads plugin ABI 1"
        assert states["oldswift"]["state"] == "refused"
        assert states["oldswift"]["error"].startswith("it was built with Swift 5.10; this concordd was built with Swift")
        assert states["f-notes"]["state"] == "refused" and "cannot be loaded" in states["f-notes"]["error"]
        assert states["thief"]["state"] == "failed"
        assert 'claims the namespace "registry", which module "registry" owns' in states["thief"]["error"]
        assert states["fails"]["state"] == "failed" and "the fixture fails to start" in states["fails"]["error"]
        assert states["echo"]["state"] == "running" and states["echo"]["details"]["report"] == {"language": "C"}
        assert states["dues"]["state"] == "running" and states["registry"]["state"] == "running"
        assert ok(call(client, "echo.echo", {"city": "Ulaanbaatar"})) == {"city": "Ulaanbaatar"}
        assert ok(call(client, "registry.network.list"))["networks"] == []
    log = daemon.log()
    refusals = [line for line in log.splitlines() if "plugin refused" in line]
    assert len(refusals) == 3 and any("plugin=a-abi2" in line for line in refusals)


def test_build_plugin_builds_the_named_plugin_into_a_directory(tmp_path):
    target = tmp_path / "installed"
    subprocess.run([str(ROOT / "dev" / "build-plugin"), "MembershipDues", "--debug", "--to", str(target)],
                   check=True, cwd=ROOT, capture_output=True)
    assert (target / "libMembershipDues.so").stat().st_size > 0
    bad = subprocess.run([str(ROOT / "dev" / "build-plugin"), "Nope", "--to", str(target)],
                         cwd=ROOT, capture_output=True, text=True)
    assert bad.returncode == 2 and "no plugin named Nope" in bad.stderr
