# SPDX-License-Identifier: BSD-2-Clause
"""What every stand-in shares: a threaded HTTP server on a free loopback port that keeps what
it accepted and the reasons it refused the rest. Standard library only."""
import gzip
import http.server
import json
import threading


class Receiver:
    """Subclasses implement handle(handler, path, headers, body) -> (status, headers, obj)."""

    def __init__(self):
        self.requests = 0
        self.problems = []   # what a real service would have refused, and why
        self.statuses = []   # every answer given, in order
        self.lock = threading.Lock()
        rx = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with rx.lock:
                    rx.requests += 1
                    status, headers, obj = rx.handle(self, self.path, self.headers, body)
                    rx.statuses.append(status)
                data = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def problem(self, what):
        self.problems.append(what)

    @staticmethod
    def decode(headers, body, limit):
        """The body as the service reads it: gunzipped when Content-Encoding says gzip.
        (bytes, None) or (None, why)."""
        enc = (headers.get("Content-Encoding") or "").lower()
        if enc == "gzip":
            try:
                body = gzip.decompress(body)
            except (OSError, EOFError) as e:
                return None, "gzip body does not inflate: %s" % e
        elif enc not in ("", "identity"):
            return None, "unsupported Content-Encoding %r" % enc
        if len(body) > limit:
            return None, "body of %d bytes over the %d limit" % (len(body), limit)
        return body, None

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
