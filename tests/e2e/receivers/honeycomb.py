# SPDX-License-Identifier: BSD-2-Clause
"""A loopback Honeycomb Events API: POST /1/batch/DATASET checked as the service would
(X-Honeycomb-Team, gzip, a JSON array of {data, time?, samplerate?}, 1 MB per event, 5 MB per
batch), answered with its real shapes: 200 + per-event statuses, or a whole-request error.

behave(n, dataset, events) may return None (accept all: 202 each), a list of per-event
statuses (ints; 4xx ones get Honeycomb's error text), or (status, headers, body).

validate=False skips the per-event checks (fields, ids, sizes), the bulk of the receiver's
CPU: path, key, gzip, JSON and the array are still checked and every event is counted.
`make bench` uses it so the receiver stays light under load."""
import json
import re
from urllib.parse import unquote

from .base import Receiver

EVENT_MAX = 1000000
BATCH_MAX = 5000000
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$")


class HoneycombReceiver(Receiver):
    def __init__(self, key, behave=None, validate=True):
        self.key = key
        self.validate = validate
        self.behave = behave or (lambda n, dataset, events: None)
        self.events = {}    # dataset -> accepted events (the batch elements)
        self.rejected = []  # events answered with a per-event 4xx
        self.gzipped = 0
        super().__init__()

    def all_events(self):
        return [e for evs in self.events.values() for e in evs]

    def handle(self, h, path, headers, body):
        n = self.requests
        m = re.match(r"^/1/batch/([^/]+)$", path)
        if not m:
            self.problem("path %r" % path)
            return 404, {}, {"error": "unknown endpoint"}
        dataset = unquote(m.group(1))
        if headers.get("X-Honeycomb-Team") != self.key:
            self.problem("X-Honeycomb-Team %r" % (headers.get("X-Honeycomb-Team") or "")[:6])
            return 401, {}, {"error": "unknown API key - check your credentials"}
        self.gzipped += (headers.get("Content-Encoding") or "") == "gzip"
        raw, why = self.decode(headers, body, BATCH_MAX)
        if why:
            self.problem(why)
            return 400, {}, {"error": "Request body is too large." if "limit" in why
                             else "could not decode the body"}
        try:
            events = json.loads(raw)
        except ValueError:
            self.problem("body is not JSON")
            return 400, {}, {"error": "request body is malformed and cannot be read as JSON"}
        if not isinstance(events, list) or not events:
            self.problem("body is not a non-empty array")
            return 400, {}, {"error": "request body should be a JSON array"}
        for e in events if self.validate else ():
            why = self.check_event(e)
            if why:
                self.problem(why)
        verdict = self.behave(n, dataset, events)
        if isinstance(verdict, tuple):
            return verdict
        statuses = verdict or [202] * len(events)
        out = []
        for e, st in zip(events, statuses):
            if st == 202:
                self.events.setdefault(dataset, []).append(e)
                out.append({"status": 202})
            else:
                self.rejected.append(e)
                out.append({"status": st, "error": "Event has too many columns."})
        return 200, {}, out

    @staticmethod
    def check_event(e):
        if not isinstance(e, dict) or not isinstance(e.get("data"), dict):
            return "event without a data object: %r" % (e,)[:80]
        if len(json.dumps(e)) > EVENT_MAX:
            return "event over 1 MB"
        if "time" in e and not (isinstance(e["time"], str) and RFC3339.match(e["time"])):
            return "time %r is not RFC 3339" % e["time"]
        if "samplerate" in e and not (isinstance(e["samplerate"], int) and e["samplerate"] > 1):
            return "samplerate %r (omit it when 1)" % e["samplerate"]
        if len(e["data"]) > 2000:
            return "more than 2000 fields"
        d = e["data"]
        if not re.match(r"^[0-9a-f]{32}$", str(d.get("trace.trace_id"))):
            return "trace.trace_id %r" % d.get("trace.trace_id")
        if not re.match(r"^[0-9a-f]{16}$", str(d.get("trace.span_id"))):
            return "trace.span_id %r" % d.get("trace.span_id")
        if "trace.parent_id" in d and not re.match(r"^[0-9a-f]{16}$", str(d["trace.parent_id"])):
            return "trace.parent_id %r" % d["trace.parent_id"]
        if not isinstance(d.get("duration_ms"), (int, float)):
            return "duration_ms %r" % d.get("duration_ms")
        for k, v in d.items():
            if isinstance(v, str) and len(v.encode()) > 65535:
                return "field %s over 64 KB" % k
        return None
