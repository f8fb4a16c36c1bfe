# SPDX-License-Identifier: BSD-2-Clause
"""A loopback CloudWatch Logs (JSON 1.1): verifies SigV4 with botocore, enforces PutLogEvents'
limits and ordering, and answers with the service's error shapes.

Log groups and streams start missing, so the first PutLogEvents meets
ResourceNotFoundException. With throttle_once the first PutLogEvents after that gets one
ThrottlingException. With reject_old_once the first accepted batch reports its first event
as too old through rejectedLogEventsInfo (as a group's retention would)."""
import http.server
import json
import re
import threading
import time

MAX_BATCH_BYTES = 1048576
MAX_EVENTS = 10000
EVENT_OVERHEAD = 26
MAX_EVENT_BYTES = 256 * 1024
DAY_MS = 24 * 3600 * 1000


class CloudWatchLogs:
    def __init__(self, akid, secret, token, region, throttle_once=True, reject_old_once=True):
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        self.creds = (akid, secret, token)
        self.region = region
        self.throttle_once = throttle_once
        self.reject_old_once = reject_old_once
        self.lock = threading.Lock()
        self.groups = {}      # group -> {stream -> [events as accepted]}
        self.rejected = []    # events answered as too old
        self.bad = []         # what was wrong with a request (pyspan's fault)
        self.ops = []         # (operation, answer code or "ok") in arrival order
        self.emf_headers = 0  # PutLogEvents carrying x-amzn-logs-format: json/emf
        self.batches = []     # (events, bytes as the service counts them)
        api = self
        sig = (SigV4Auth, AWSRequest, Credentials)

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with api.lock:
                    status, reply = api.handle(self, body, sig)
                data = json.dumps(reply).encode()
                self.send_response(status)
                if status != 200:
                    self.send_header("x-amzn-ErrorType", reply["__type"].split("#")[-1])
                self.send_header("x-amzn-RequestId", "e2e-%d" % len(api.ops))
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def events(self, group, stream):
        with self.lock:
            return list(self.groups.get(group, {}).get(stream, []))

    @staticmethod
    def error(code, message, status=400):
        return status, {"__type": code, "message": message}

    def verify(self, h, body, sig):
        SigV4Auth, AWSRequest, Credentials = sig
        akid_want, secret, token = self.creds
        if h.path != "/":
            return "path %r" % h.path
        if h.headers.get("Content-Type") != "application/x-amz-json-1.1":
            return "Content-Type %r" % h.headers.get("Content-Type")
        auth = h.headers.get("Authorization", "")
        m = re.match(r"^AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request,"
                     r" SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$", auth)
        if not m:
            return "Authorization header %r" % auth[:60]
        akid, date, region, service, signed, signature = m.groups()
        amz_date = h.headers.get("X-Amz-Date", "")
        if (akid, region, service) != (akid_want, self.region, "logs") \
                or not amz_date.startswith(date):
            return "credential scope %s/%s/%s/%s" % (akid, date, region, service)
        names = signed.split(";")
        for need in ("content-type", "host", "x-amz-date", "x-amz-target",
                     "x-amz-security-token"):
            if need not in names:
                return "%s is not signed (%s)" % (need, signed)
        if h.headers.get("X-Amz-Security-Token") != token:
            return "session token header"
        req = AWSRequest(method="POST", url="http://127.0.0.1:%d%s" % (self.port, h.path),
                         data=body, headers={n: h.headers.get(n, "") for n in names})
        req.context["timestamp"] = amz_date
        signer = SigV4Auth(Credentials(akid_want, secret, token), "logs", self.region)
        want = signer.signature(signer.string_to_sign(req, signer.canonical_request(req)), req)
        if want != signature:
            return "signature %s, botocore computes %s" % (signature, want)
        return None

    def handle(self, h, body, sig):
        problem = self.verify(h, body, sig)
        target = h.headers.get("X-Amz-Target", "")
        op = target[len("Logs_20140328."):] if target.startswith("Logs_20140328.") else target
        if problem:
            self.bad.append(problem)
            self.ops.append((op, "InvalidSignatureException"))
            return self.error("InvalidSignatureException", problem, 403)
        try:
            req = json.loads(body)
        except ValueError as e:
            self.bad.append("%s body: %s" % (op, e))
            return self.error("SerializationException", str(e))
        status, reply = {"CreateLogGroup": self.create_group,
                         "CreateLogStream": self.create_stream,
                         "PutLogEvents": self.put}.get(op, self.unknown)(h, req)
        self.ops.append((op, "ok" if status == 200 else reply["__type"].split("#")[-1]))
        return status, reply

    def unknown(self, h, req):
        self.bad.append("operation %r" % h.headers.get("X-Amz-Target"))
        return self.error("UnknownOperationException", "unknown operation")

    def create_group(self, h, req):
        g = req.get("logGroupName", "")
        if not re.fullmatch(r"[\.\-_/#A-Za-z0-9]{1,512}", g):
            self.bad.append("logGroupName %r" % g)
            return self.error("InvalidParameterException", "bad logGroupName")
        if g in self.groups:
            return self.error("ResourceAlreadyExistsException",
                              "The specified log group already exists")
        self.groups[g] = {}
        return 200, {}

    def create_stream(self, h, req):
        g, s = req.get("logGroupName", ""), req.get("logStreamName", "")
        if g not in self.groups:
            return self.error("ResourceNotFoundException", "The specified log group does not exist.")
        if not s or len(s) > 512 or ":" in s or "*" in s:
            self.bad.append("logStreamName %r" % s)
            return self.error("InvalidParameterException", "bad logStreamName")
        if s in self.groups[g]:
            return self.error("ResourceAlreadyExistsException",
                              "The specified log stream already exists")
        self.groups[g][s] = []
        return 200, {}

    def put(self, h, req):
        g, s = req.get("logGroupName", ""), req.get("logStreamName", "")
        events = req.get("logEvents")
        if g not in self.groups:
            return self.error("ResourceNotFoundException", "The specified log group does not exist.")
        if s not in self.groups[g]:
            return self.error("ResourceNotFoundException",
                              "The specified log stream does not exist.")
        if h.headers.get("x-amzn-logs-format") == "json/emf":
            self.emf_headers += 1
        if not isinstance(events, list) or not 1 <= len(events) <= MAX_EVENTS:
            self.bad.append("%s events in one batch" % (len(events) if events else events))
            return self.error("InvalidParameterException", "logEvents: 1 to 10000 events")
        size = 0
        for e in events:
            m = e.get("message")
            if not isinstance(m, str) or not m or not isinstance(e.get("timestamp"), int):
                self.bad.append("event %r" % (e,))
                return self.error("InvalidParameterException", "bad event")
            n = len(m.encode()) + EVENT_OVERHEAD
            if n > MAX_EVENT_BYTES:
                self.bad.append("event of %d bytes" % n)
                return self.error("InvalidParameterException", "Log event too large")
            size += n
        if size > MAX_BATCH_BYTES:
            self.bad.append("batch of %d bytes" % size)
            return self.error("InvalidParameterException",
                              "Upload too large: %d bytes exceeds limit of %d"
                              % (size, MAX_BATCH_BYTES))
        ts = [e["timestamp"] for e in events]
        if ts != sorted(ts):
            self.bad.append("events out of order")
            return self.error("InvalidParameterException",
                              "Log events in a single PutLogEvents request must be in "
                              "chronological order.")
        if ts[-1] - ts[0] > DAY_MS:
            self.bad.append("batch spans %d ms" % (ts[-1] - ts[0]))
            return self.error("InvalidParameterException",
                              "The batch of log events in a single PutLogEvents request "
                              "cannot span more than 24 hours.")
        if self.throttle_once:
            self.throttle_once = False
            return self.error("com.amazonaws.logs#ThrottlingException", "Rate exceeded")
        now = int(time.time() * 1000)
        info = {}
        old_end = 0
        if self.reject_old_once:
            self.reject_old_once = False
            old_end = 1
        while old_end < len(ts) and ts[old_end] < now - 14 * DAY_MS:
            old_end += 1
        new_start = len(ts)
        while new_start > old_end and ts[new_start - 1] > now + 2 * 3600 * 1000:
            new_start -= 1
        if old_end:
            info["tooOldLogEventEndIndex"] = old_end
            self.rejected += events[:old_end]
        if new_start < len(ts):
            info["tooNewLogEventStartIndex"] = new_start
            self.rejected += events[new_start:]
        self.groups[g][s] += events[old_end:new_start]
        self.batches.append((len(events), size))
        return 200, ({"rejectedLogEventsInfo": info} if info else {})
