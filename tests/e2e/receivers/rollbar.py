# SPDX-License-Identifier: BSD-2-Clause
"""A loopback stand-in for Rollbar's item API (POST /api/1/item/), for end-to-end tests.

It checks every request as Rollbar would (https://docs.rollbar.com/reference/create-item): the X-Rollbar-Access-Token
header, a JSON body of at most 128 KB, the item's schema (required fields, one body form,
length limits), and answers with Rollbar's real shapes: {"err": 0, "result": {"id": null,
"uuid": ...}} on success, {"err": 1, "message": ...} with 400/401/403/413/422 on errors. A test
can make it refuse chosen items (`refuse`) and rate-limit: `rate_limit(seconds)` answers the
next request, and every request until the window ends, with 429 and the X-Rate-Limit-* headers.

Standard library only. Usage:

    from receivers.rollbar import RollbarReceiver
    rb = RollbarReceiver(token="...")
    ... pyspan --export rollbar --rollbar-endpoint rb.endpoint ...
    rb.items          # accepted items (the "data" objects), in arrival order
    rb.stop()
"""
import http.server
import json
import threading
import time

MAX_BYTES = 128 * 1024
LEVELS = ("critical", "error", "warning", "info", "debug")
BODY_FORMS = ("trace", "trace_chain", "message", "crash_report")


def _str(v, maxlen=None, empty_ok=True):
    return isinstance(v, str) and (empty_ok or v) and (maxlen is None or len(v) <= maxlen)


def _check_trace(t, where, out):
    if not isinstance(t, dict):
        out.append("%s is not an object" % where)
        return
    frames = t.get("frames")
    if not isinstance(frames, list):
        out.append("%s.frames is not an array" % where)
    else:
        for i, f in enumerate(frames):
            w = "%s.frames[%d]" % (where, i)
            if not isinstance(f, dict) or not _str(f.get("filename"), empty_ok=False):
                out.append("%s.filename is required" % w)
                continue
            ln = f.get("lineno", 0)
            if not isinstance(ln, int) or isinstance(ln, bool):
                out.append("%s.lineno is not an integer" % w)
            if "method" in f and not _str(f["method"]):
                out.append("%s.method is not a string" % w)
    exc = t.get("exception")
    if not isinstance(exc, dict) or not _str(exc.get("class"), empty_ok=False):
        out.append("%s.exception.class is required" % where)
    elif "message" in exc and not _str(exc["message"]):
        out.append("%s.exception.message is not a string" % where)


def validate_item(payload):
    """The reasons Rollbar would refuse this payload with a 422; [] when it is a valid item."""
    out = []
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), dict):
        return ["payload has no data object"]
    d = payload["data"]
    if not _str(d.get("environment"), 255, empty_ok=False):
        out.append("data.environment is required (a string of at most 255 characters)")
    body = d.get("body")
    if not isinstance(body, dict):
        out.append("data.body is required")
    else:
        forms = [k for k in BODY_FORMS if k in body]
        if len(forms) != 1:
            out.append("data.body must have exactly one of %s, has %s" % (BODY_FORMS, forms))
        elif forms[0] == "trace":
            _check_trace(body["trace"], "data.body.trace", out)
        elif forms[0] == "trace_chain":
            chain = body["trace_chain"]
            if not isinstance(chain, list) or not chain:
                out.append("data.body.trace_chain must be a non-empty array")
            else:
                for i, t in enumerate(chain):
                    _check_trace(t, "data.body.trace_chain[%d]" % i, out)
        elif forms[0] == "message":
            if not isinstance(body["message"], dict) or not _str(body["message"].get("body")):
                out.append("data.body.message.body is required")
    if "level" in d and d["level"] not in LEVELS:
        out.append("data.level %r is not one of %s" % (d["level"], LEVELS))
    ts = d.get("timestamp", 0)
    if not isinstance(ts, int) or isinstance(ts, bool):
        out.append("data.timestamp is not an integer")
    for k, n in (("code_version", 40), ("fingerprint", 40), ("title", 255), ("uuid", 36)):
        if k in d and not _str(d[k], n):
            out.append("data.%s must be a string of at most %d characters" % (k, n))
    for k in ("platform", "language", "framework", "context"):
        if k in d and not _str(d[k]):
            out.append("data.%s is not a string" % k)
    req = d.get("request")
    if req is not None:
        if not isinstance(req, dict):
            out.append("data.request is not an object")
        else:
            for k in ("url", "method", "query_string", "user_ip", "body"):
                if k in req and not _str(req[k]):
                    out.append("data.request.%s is not a string" % k)
            h = req.get("headers", {})
            if not isinstance(h, dict) or not all(_str(v) for v in h.values()):
                out.append("data.request.headers is not an object of strings")
    person = d.get("person")
    if person is not None and (not isinstance(person, dict)
                               or not _str(person.get("id"), 40, empty_ok=False)):
        out.append("data.person.id is required (at most 40 characters)")
    srv = d.get("server")
    if srv is not None:
        if not isinstance(srv, dict):
            out.append("data.server is not an object")
        else:
            for k in ("host", "root", "branch"):
                if k in srv and not _str(srv[k]):
                    out.append("data.server.%s is not a string" % k)
            if "code_version" in srv and not _str(srv["code_version"], 40):
                out.append("data.server.code_version must be at most 40 characters")
    for k in ("custom", "notifier"):
        if k in d and not isinstance(d[k], dict):
            out.append("data.%s is not an object" % k)
    return out


class RollbarReceiver:
    """Keeps every request it got (self.requests: dicts with time, status, uuid, raw body,
    headers) and the items it accepted (self.items). refuse(data) -> (status, message) or
    None lets a test refuse chosen items."""

    def __init__(self, token, path="/api/1/item/", refuse=None):
        self.token = token
        self.path = path
        self.refuse = refuse
        self.items = []
        self.requests = []
        self.problems = []  # what Rollbar would have refused, and why
        self.limited_until = 0.0  # time.time() before which every request gets a 429
        self.limit_windows = []  # (start, end) of each rate-limit window
        self._arm = None  # seconds: the next request starts a window
        self.lock = threading.Lock()
        rb = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(n)
                with rb.lock:
                    status, headers, reply = rb.handle(self.path, self.headers, raw)
                data = json.dumps(reply).encode()
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.endpoint = "http://127.0.0.1:%d%s" % (self.port, path[:-len("item/")])
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def rate_limit(self, seconds):
        """The next request, and every one after it for `seconds`, gets a 429."""
        with self.lock:
            self._arm = seconds

    def _record(self, status, raw, headers, uuid=None, problem=None):
        self.requests.append({"time": time.time(), "status": status, "raw": raw,
                              "uuid": uuid, "headers": dict(headers.items()),
                              "problem": problem})
        if problem:
            self.problems.append(problem)

    def handle(self, path, headers, raw):
        """(status, headers, reply) for one request, as Rollbar would answer it."""
        def err(status, message, extra=None, uuid=None, problem=None):
            self._record(status, raw, headers, uuid, problem)
            return status, extra or {}, {"err": 1, "message": message}

        now = time.time()
        if path != self.path:
            return err(404, "no such endpoint %s" % path, problem="path %s" % path)
        token = headers.get("X-Rollbar-Access-Token")
        if token is None:
            return err(401, "missing access token", problem="no X-Rollbar-Access-Token")
        if token != self.token:
            return err(403, "invalid access token", problem="wrong access token")
        if not (headers.get("Content-Type") or "").startswith("application/json"):
            return err(400, "expected application/json",
                       problem="Content-Type %r" % headers.get("Content-Type"))
        if len(raw) > MAX_BYTES:
            return err(413, "request entity too large",
                       problem="%d bytes, over %d" % (len(raw), MAX_BYTES))
        try:
            payload = json.loads(raw)
        except ValueError as e:
            return err(400, "invalid JSON: %s" % e, problem="invalid JSON")
        data = payload.get("data") if isinstance(payload, dict) else None
        uuid = data.get("uuid") if isinstance(data, dict) else None
        if self._arm is not None:
            self.limited_until = now + self._arm
            self.limit_windows.append((now, self.limited_until))
            self._arm = None
        if now < self.limited_until:
            left = self.limited_until - now
            return err(429, "rate limit reached for this access token",
                       {"X-Rate-Limit-Limit": "100", "X-Rate-Limit-Remaining": "0",
                        "X-Rate-Limit-Reset": str(int(self.limited_until + 0.999)),
                        "X-Rate-Limit-Remaining-Seconds": str(max(1, int(left + 0.999)))},
                       uuid=uuid)
        bad = validate_item(payload)
        if bad:
            return err(422, "; ".join(bad), uuid=uuid, problem="; ".join(bad))
        if self.refuse:
            r = self.refuse(data)
            if r:
                return err(r[0], r[1], uuid=uuid)
        self._record(200, raw, headers, uuid)
        if not any(i.get("uuid") == uuid for i in self.items):
            self.items.append(data)  # Rollbar keeps one item per uuid
        return 200, {"X-Rate-Limit-Limit": "100", "X-Rate-Limit-Remaining": "99"}, \
            {"err": 0, "result": {"id": None, "uuid": uuid}}

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
