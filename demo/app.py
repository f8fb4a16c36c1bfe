# SPDX-License-Identifier: BSD-2-Clause
"""pyspan's sample service: a small activities API shaped like a real backend.

Under gunicorn:   gunicorn --workers 2 --chdir <repo> demo.app:app
Under werkzeug:   /usr/bin/python3 demo/app.py --port 8000   (threaded dev server, HTTP/1.1)

Every response size is deterministic, so tests can compare the bytes a client received with
what pyspan reports.
"""
import argparse
import os
import sys
import time
import uuid

from flask import Flask, Response, abort, jsonify, request

try:
    from demo.errors import ActivityStoreError
except ImportError:  # run as a script: demo/ is sys.path[0], the repo root is not on the path
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from demo.errors import ActivityStoreError

# /api/stream sends STREAM_CHUNKS chunks of STREAM_CHUNK_SIZE bytes, with no Content-Length.
STREAM_CHUNKS = 10
STREAM_CHUNK_SIZE = 1000
STREAM_TOTAL = STREAM_CHUNKS * STREAM_CHUNK_SIZE
# /api/big sends exactly this many bytes, with a Content-Length.
BIG_SIZE = 2 * 1024 * 1024
MAX_ACTIVITY_ID = 1000

_BIG_BODY = (b"0123456789abcdef" * (BIG_SIZE // 16 + 1))[:BIG_SIZE]

_HANDLES = ["andrewbrown", "worf", "garek", "londo", "ivanova"]
_MESSAGES = [
    "Cloud is fun!",
    "I am out of prune juice",
    "My dear doctor, they're all true. Even the lies.",
    "Only an idiot fights a war on two fronts.",
    "Who am I? I am Susan Ivanova, Commander.",
]

app = Flask(__name__)


def _activity(activity_id):
    """A deterministic activity for an id (the 'database' of this demo)."""
    i = activity_id % len(_HANDLES)
    created = 1700000000 + activity_id * 3600
    return {
        "id": activity_id,
        "uuid": str(uuid.UUID(int=activity_id)),
        "handle": _HANDLES[i],
        "message": _MESSAGES[i],
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(created)),
        "expires_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(created + 7 * 86400)),
        "likes_count": (activity_id * 7) % 13,
        "replies_count": activity_id % 3,
        "reposts_count": 0,
    }


class ActivityStore:
    """Stands in for the database layer; load_feed fails the way a lost connection would."""

    def load_feed(self, limit):
        return self._query("SELECT * FROM activities ORDER BY created_at DESC LIMIT %s", limit)

    def _query(self, sql, *params):
        raise ActivityStoreError("activity store unavailable: connection refused (%s)" % sql)


@app.after_request
def _served_by(resp):
    # Lets tests check which process served a request (gunicorn workers come and go).
    resp.headers["X-Served-By"] = str(os.getpid())
    return resp


@app.get("/health")
def health():
    return Response("ok", mimetype="text/plain")


@app.get("/api/activities")
def list_activities():
    try:
        limit = int(request.args.get("limit", "3"))
    except ValueError:
        return jsonify(error="limit must be an integer"), 400
    limit = max(0, min(limit, 50))
    return jsonify([_activity(i) for i in range(1, limit + 1)])


@app.post("/api/activities")
def create_activity():
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("message"), str):
        return jsonify(error="expected a JSON object with a 'message' string"), 400
    item = {
        "id": 1001,
        "uuid": str(uuid.UUID(int=1001)),
        "handle": str(body.get("handle", "anonymous")),
        "message": body["message"],
        "created_at": "2023-11-14T22:13:20Z",
        "expires_at": "2023-11-21T22:13:20Z",
        "likes_count": 0,
        "replies_count": 0,
        "reposts_count": 0,
    }
    return jsonify(item), 201


@app.get("/api/activities/<int:activity_id>")
def get_activity(activity_id):
    if activity_id > MAX_ACTIVITY_ID:
        return jsonify(error="activity %d not found" % activity_id), 404
    return jsonify(_activity(activity_id))


@app.get("/api/activities/<activity_uuid>/replies")
def list_replies(activity_uuid):
    replies = [
        {"reply_to": activity_uuid, "handle": _HANDLES[n], "message": _MESSAGES[n]}
        for n in range(2)
    ]
    return jsonify(activity_uuid=activity_uuid, replies=replies)


@app.get("/api/fail")
def fail():
    # Raises two frames down; Flask turns the unhandled exception into a 500.
    return jsonify(ActivityStore().load_feed(limit=20))


@app.get("/api/stream")
def stream():
    def generate():
        for i in range(STREAM_CHUNKS):
            line = ("chunk %02d of %02d " % (i + 1, STREAM_CHUNKS)).ljust(STREAM_CHUNK_SIZE - 1, ".")
            yield (line + "\n").encode()
            time.sleep(0.005)

    # A generator and no Content-Length: HTTP/1.1 servers send it chunked.
    return Response(generate(), mimetype="text/plain")


@app.get("/api/big")
def big():
    return Response(_BIG_BODY, mimetype="application/octet-stream")


def _keepalive_handler():
    """A werkzeug request handler that keeps HTTP/1.1 connections open between requests.

    werkzeug 2.2's dev server always answers "Connection: close" because http.server cannot
    drain an unread request body before the next request line. This handler drains it (for
    bodies with a Content-Length) and then lets the connection live, so the demo also exercises
    keep-alive under the dev server. Chunked request bodies still close the connection.
    """
    from werkzeug.serving import WSGIRequestHandler
    from werkzeug.wsgi import LimitedStream

    class KeepAliveRequestHandler(WSGIRequestHandler):
        protocol_version = "HTTP/1.1"

        def make_environ(self):
            environ = super().make_environ()
            self._body = None
            self._can_keep_alive = False
            if environ.get("HTTP_TRANSFER_ENCODING", "").strip().lower() != "chunked":
                try:
                    length = int(environ.get("CONTENT_LENGTH") or 0)
                except ValueError:
                    length = -1
                if length >= 0:
                    self._body = LimitedStream(self.rfile, length)
                    environ["wsgi.input"] = self._body
                    self._can_keep_alive = True
            return environ

        def send_header(self, keyword, value):
            if (keyword.lower() == "connection" and value.lower() == "close"
                    and getattr(self, "_can_keep_alive", False)):
                return  # keep the client's choice (HTTP/1.1 default: keep-alive)
            super().send_header(keyword, value)

        def run_wsgi(self):
            super().run_wsgi()
            if self._body is not None and not self.close_connection:
                try:
                    self._body.exhaust()
                except OSError:
                    self.close_connection = True

    return KeepAliveRequestHandler


def main(argv=None):
    parser = argparse.ArgumentParser(description="pyspan sample service (werkzeug dev server)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    args = parser.parse_args(argv)

    from werkzeug.serving import WSGIRequestHandler

    WSGIRequestHandler.protocol_version = "HTTP/1.1"
    app.run(host=args.host, port=args.port, threaded=True, debug=False, use_reloader=False,
            request_handler=_keepalive_handler())


if __name__ == "__main__":
    main()
