"""scheduling.recurrence.expand through the wire, against python-dateutil's rrule on random rules.

The rules are drawn from a fixed seed, floating or in zones without daylight saving (dateutil emits local
times that do not exist; those cases are tested against the documented policy in the Swift unit tests).
"""

import itertools
import random
import signal
import warnings
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from conftest import call, req

FREQS = ["YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY", "MINUTELY", "SECONDLY"]
DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
ZONES = [None, None, None, "Asia/Tokyo", "Asia/Kolkata", "Asia/Bangkok", "UTC"]
LIMIT = 500


def sample(rng, values, most):
    return sorted(rng.sample(values, rng.randint(1, most)))


def random_rule(rng):
    freq = rng.choice(FREQS)
    parts = [f"FREQ={freq}"]
    if rng.random() < 0.5:
        parts.append(f"INTERVAL={rng.randint(2, 5)}")
    by = []
    if rng.random() < 0.3:
        by.append("BYMONTH=" + ",".join(map(str, sample(rng, list(range(1, 13)), 4))))
    if freq == "YEARLY" and rng.random() < 0.25:
        weeks = sample(rng, list(range(1, 54)) + list(range(-53, 0)), 3)
        by.append("BYWEEKNO=" + ",".join(map(str, weeks)))
    if freq in ("YEARLY", "HOURLY", "MINUTELY", "SECONDLY") and rng.random() < 0.2:
        days = sample(rng, list(range(1, 367)) + list(range(-366, 0)), 4)
        by.append("BYYEARDAY=" + ",".join(map(str, days)))
    if freq != "WEEKLY" and rng.random() < 0.3:
        days = sample(rng, list(range(1, 32)) + list(range(-31, 0)), 4)
        by.append("BYMONTHDAY=" + ",".join(map(str, days)))
    if rng.random() < 0.45:
        ordinals = freq == "MONTHLY" or (freq == "YEARLY" and not any(p.startswith("BYWEEKNO") for p in by))
        items = []
        for day in sample(rng, DAYS, 3):
            if ordinals and rng.random() < 0.5:
                bound = 5 if freq == "MONTHLY" else 53
                items.append(f"{rng.choice([-1, 1]) * rng.randint(1, bound)}{day}")
            else:
                items.append(day)
        by.append("BYDAY=" + ",".join(items))
    if rng.random() < 0.2:
        by.append("BYHOUR=" + ",".join(map(str, sample(rng, list(range(24)), 3))))
    if rng.random() < 0.2:
        by.append("BYMINUTE=" + ",".join(map(str, sample(rng, list(range(60)), 3))))
    if rng.random() < 0.15:
        by.append("BYSECOND=" + ",".join(map(str, sample(rng, list(range(60)), 2))))
    if by and rng.random() < 0.25:
        by.append("BYSETPOS=" + ",".join(map(str, sample(rng, [1, 2, 3, -1, -2, 5, -3], 2))))
    # At most two parts that choose days: more together rarely match any day before year 9999, which dateutil
    # walks to.
    choosing = [p for p in by if p.split("=")[0] in ("BYMONTH", "BYWEEKNO", "BYYEARDAY", "BYMONTHDAY", "BYDAY")]
    for extra in choosing[2:]:
        by.remove(extra)
    if by and by[-1].startswith("BYSETPOS") and len(by) == 1:
        by = []
    parts += by
    if rng.random() < 0.3:
        parts.append(f"WKST={rng.choice(DAYS)}")
    return parts


def window(freq):
    return {"YEARLY": 3000, "MONTHLY": 1200, "WEEKLY": 600, "DAILY": 400}.get(freq, 3)


def expected(dtstart, rule, zone, before):
    """dateutil's occurrences up to `before` (inclusive), at most LIMIT + 1, as the reply writes them."""
    parsed = rrulestr(rule, dtstart=dtstart)
    until = parsed._until
    bound = before if until is None else min(until, before)
    with warnings.catch_warnings():
        # COUNT with UNTIL: dateutil's way of bounding a counted rule by the window, as the daemon's `before` does.
        warnings.simplefilter("ignore", DeprecationWarning)
        parsed = parsed.replace(until=bound, dtstart=dtstart)
    result = []
    for occurrence in itertools.islice(parsed, LIMIT + 1):
        item = {"local": occurrence.replace(tzinfo=None).isoformat()}
        if zone:
            item["utc"] = occurrence.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        result.append(item)
    return result


class Slow(Exception):
    pass


def within(seconds, function, *args):
    """Runs `function`, or raises Slow after `seconds`: dateutil walks to year 9999 for a rule that matches nothing."""
    def alarm(signum, frame):
        raise Slow()
    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return function(*args)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_two_thousand_random_rules_match_python_dateutil(daemon, zctx):
    rng = random.Random(5545)
    client = req(zctx, daemon.commands, timeout_ms=20000)
    compared = refused = slow = 0
    for index in range(2600):
        zone = rng.choice(ZONES)
        tz = ZoneInfo(zone) if zone else None
        start = datetime(rng.randint(1990, 2030), rng.randint(1, 12), rng.randint(1, 28),
                         rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59), tzinfo=tz)
        parts = random_rule(rng)
        freq = parts[0].split("=")[1]
        days = window(freq)
        before = start + timedelta(days=days)
        ending = rng.random()
        if ending < 0.4:
            parts.append(f"COUNT={rng.randint(1, 60)}")
        elif ending < 0.7:
            until = start + timedelta(days=rng.randint(0, days))
            parts.append("UNTIL=" + (until.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ") if zone
                                     else until.strftime("%Y%m%dT%H%M%S")))
        rule = ";".join(parts)
        args = {"dtstart": start.replace(tzinfo=None).isoformat(), "rrule": rule, "limit": LIMIT,
                "before": before.replace(tzinfo=None).isoformat()}
        if zone:
            args["time_zone"] = zone
        try:
            want = within(0.2, expected, start, rule, zone, before)
        except (Slow, IndexError):
            # Nothing to compare with (dateutil walks to 9999, or fails on the rule); the daemon answers in time.
            reply = call(client, "scheduling.recurrence.expand", args, id=f"r{index}")
            assert reply["ok"] is True, (rule, reply)
            slow += 1
            continue
        except ValueError as problem:
            # dateutil refuses a BYxxx that INTERVAL never reaches: so must the daemon, naming the part.
            reply = call(client, "scheduling.recurrence.expand", args, id=f"r{index}")
            assert reply["ok"] is False and reply["error"]["code"] == "bad_request", (rule, problem, reply)
            assert reply["error"]["message"].startswith("rrule."), reply
            refused += 1
            continue
        reply = call(client, "scheduling.recurrence.expand", args, id=f"r{index}")
        assert reply["ok"] is True, (rule, args, reply)
        got = reply["result"]["occurrences"]
        assert got == want[:LIMIT], (rule, args, got[:5], want[:5])
        assert reply["result"]["truncated"] == (len(want) > LIMIT), rule
        compared += 1
    print(f"compared {compared}, refused by both {refused}, too slow for dateutil {slow}")
    assert compared >= 2000, (compared, refused, slow)


def test_the_contract_example_and_a_malformed_rule(daemon, zctx):
    client = req(zctx, daemon.commands)
    reply = call(client, "scheduling.recurrence.expand", {
        "dtstart": "1997-09-02T09:00:00", "rrule": "FREQ=MONTHLY;BYDAY=-1FR;COUNT=10",
        "time_zone": "America/New_York"})
    assert reply["ok"] is True, reply
    assert list(reply["result"]) == ["occurrences", "truncated"]
    assert reply["result"]["occurrences"][0] == {"local": "1997-09-26T09:00:00", "utc": "1997-09-26T13:00:00Z"}
    assert len(reply["result"]["occurrences"]) == 10
    reply = call(client, "scheduling.recurrence.expand", {
        "dtstart": "1997-09-02T09:00:00", "rrule": "FREQ=MONTHLY;BYDAY=MO;BYSETPOS=0"})
    assert reply["ok"] is False
    assert reply["error"]["code"] == "bad_request"
    assert reply["error"]["message"] == "rrule.BYSETPOS: expected -366..-1 or 1..366, got 0"
    # The daemon keeps serving after bad input.
    assert call(client, "system.ping")["ok"] is True
