# SPDX-License-Identifier: BSD-2-Clause
"""A loopback OTLP/HTTP JSON collector: /v1/traces and /v1/logs checked against the OTLP JSON
mapping (lowercase hex ids of the right length, int64 as decimal strings, integer enums,
lowerCamelCase), answered with the real shapes: 200 (+ partialSuccess), or a google.rpc.Status
error. behave(n, signal, records) may return None (accept all), ("partial", k, message) to
reject the last k, or (status, headers, body); n counts that signal's requests from 1.

validate=False skips the per-record checks and the decoded copies (_resource, _attrs), the
bulk of the receiver's CPU: path, headers, encoding, JSON and the scope are still checked and
every record is counted. `make bench` uses it so the receiver stays light under load."""
import json
import re

from .base import Receiver

HEX32 = re.compile(r"^[0-9a-f]{32}$")
HEX16 = re.compile(r"^[0-9a-f]{16}$")
DIGITS = re.compile(r"^[0-9]+$")
BODY_MAX = 64 << 20
SNAKE = re.compile(r'"[a-z]+_[a-z_]+":')  # proto field names must be lowerCamelCase


class OtlpReceiver(Receiver):
    def __init__(self, headers=None, behave=None, validate=True):
        self.want_headers = headers or {}
        self.validate = validate
        self.behave = behave or (lambda n, signal, records: None)
        self.spans = []      # accepted, each with "_resource" (dict of attributes) added
        self.logs = []
        self.rejected = {"traces": 0, "logs": 0}
        self.gzipped = 0
        self.signal_requests = {"traces": 0, "logs": 0}
        super().__init__()

    def handle(self, h, path, headers, body):
        signal = {"/v1/traces": "traces", "/v1/logs": "logs"}.get(path)
        if not signal:
            self.problem("path %r" % path)
            return 404, {}, {"code": 5, "message": "not found"}
        # Per signal: the service's own output goes to /v1/logs alongside the spans.
        self.signal_requests[signal] += 1
        n = self.signal_requests[signal]
        if not (headers.get("Content-Type") or "").startswith("application/json"):
            self.problem("Content-Type %r" % headers.get("Content-Type"))
            return 415, {}, {"code": 3, "message": "unsupported content type"}
        for k, v in self.want_headers.items():
            if headers.get(k) != v:
                self.problem("header %s missing or wrong" % k)
                return 401, {}, {"code": 16, "message": "unauthenticated"}
        self.gzipped += (headers.get("Content-Encoding") or "") == "gzip"
        raw, why = self.decode(headers, body, BODY_MAX)
        if why:
            self.problem(why)
            return 400, {}, {"code": 3, "message": why}
        try:
            req = json.loads(raw)
        except ValueError:
            self.problem("body is not JSON")
            return 400, {}, {"code": 3, "message": "invalid JSON"}
        snake = self.validate and SNAKE.findall(
            raw.decode(errors="replace").split('"attributes"')[0])
        if snake:
            self.problem("snake_case field names %s" % snake[:3])
        records = self.collect(signal, req)
        verdict = self.behave(n, signal, records)
        if isinstance(verdict, tuple) and verdict[0] != "partial":
            return verdict
        k, msg = (verdict[1], verdict[2]) if verdict else (0, "")
        kept = records[:len(records) - k] if k else records
        (self.spans if signal == "traces" else self.logs).extend(kept)
        self.rejected[signal] += k
        if not k:
            return 200, {}, {}
        field = "rejectedSpans" if signal == "traces" else "rejectedLogRecords"
        return 200, {}, {"partialSuccess": {field: str(k), "errorMessage": msg}}

    def collect(self, signal, req):
        out = []
        top, scope_key, rec_key = (("resourceSpans", "scopeSpans", "spans") if signal == "traces"
                                   else ("resourceLogs", "scopeLogs", "logRecords"))
        for rs in req.get(top) or []:
            res = {a["key"]: self.value(a["value"]) for a in
                   (rs.get("resource") or {}).get("attributes") or []}
            for ss in rs.get(scope_key) or []:
                if (ss.get("scope") or {}).get("name") != "pyspan":
                    self.problem("scope %r" % ss.get("scope"))
                if not self.validate:
                    out.extend(ss.get(rec_key) or [])
                    continue
                for r in ss.get(rec_key) or []:
                    why = self.check_span(r) if signal == "traces" else self.check_log(r)
                    if why:
                        self.problem(why)
                    r = dict(r)
                    r["_resource"] = res
                    r["_attrs"] = {a["key"]: self.value(a["value"])
                                   for a in r.get("attributes") or []}
                    out.append(r)
        return out

    def value(self, v):
        if "intValue" in v:
            if not (isinstance(v["intValue"], str) and DIGITS.match(v["intValue"].lstrip("-"))):
                self.problem("intValue %r is not a decimal string" % v["intValue"])
            return int(v["intValue"])
        for k in ("stringValue", "boolValue", "doubleValue"):
            if k in v:
                return v[k]
        self.problem("attribute value %r" % v)
        return None

    @staticmethod
    def check_span(s):
        if not HEX32.match(str(s.get("traceId"))):
            return "traceId %r" % s.get("traceId")
        if not HEX16.match(str(s.get("spanId"))):
            return "spanId %r" % s.get("spanId")
        if "parentSpanId" in s and not HEX16.match(str(s["parentSpanId"])):
            return "parentSpanId %r" % s["parentSpanId"]
        if s.get("kind") not in (1, 2, 3, 4, 5):
            return "kind %r is not an integer enum" % s.get("kind")
        for k in ("startTimeUnixNano", "endTimeUnixNano"):
            if not (isinstance(s.get(k), str) and DIGITS.match(s[k])):
                return "%s %r is not a decimal string" % (k, s.get(k))
        st = s.get("status")
        if st is not None and st.get("code") not in (0, 1, 2):
            return "status.code %r" % st.get("code")
        for ev in s.get("events") or []:
            if not DIGITS.match(str(ev.get("timeUnixNano"))):
                return "event timeUnixNano %r" % ev.get("timeUnixNano")
        return None

    @staticmethod
    def check_log(r):
        if not (isinstance(r.get("timeUnixNano"), str) and DIGITS.match(r["timeUnixNano"])):
            return "timeUnixNano %r" % r.get("timeUnixNano")
        if "traceId" in r and not HEX32.match(str(r["traceId"])):
            return "traceId %r" % r["traceId"]
        if "spanId" in r and not HEX16.match(str(r["spanId"])):
            return "spanId %r" % r["spanId"]
        if "severityNumber" in r and not isinstance(r["severityNumber"], int):
            return "severityNumber %r" % r["severityNumber"]
        return None
