# SPDX-License-Identifier: BSD-2-Clause
"""The sample service with one outbound HTTPS call per request: stage 5 of `make bench`.

    BENCH_UPSTREAM_URL=https://localhost:PORT/quote BENCH_UPSTREAM_CA=cert.pem \
        gunicorn --workers 2 --chdir <repo> bench.upstream_app:app

demo.app's app plus GET /api/upstream, which fetches BENCH_UPSTREAM_URL (the bench's loopback
HTTPS server, its self-signed certificate as the only trusted one) with python3-requests and
answers with the upstream's status and body length. Each gunicorn worker keeps one
requests.Session, so a worker makes its calls over one kept-alive TLS connection: what is
measured is the cost of tracing the calls (the OpenSSL uprobes, the client spans), not of TLS
handshakes. The other routes are demo.app's, unchanged.
"""
import os
import sys

import requests
from flask import jsonify

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from demo.app import app  # noqa: E402

UPSTREAM_URL = os.environ["BENCH_UPSTREAM_URL"]
UPSTREAM_CA = os.environ["BENCH_UPSTREAM_CA"]

# One per worker: gunicorn imports this module in each worker it forks (no --preload).
# trust_env off: no proxy from the environment, no ~/.netrc read on every call.
_session = requests.Session()
_session.trust_env = False


@app.get("/api/upstream")
def upstream():
    r = _session.get(UPSTREAM_URL, verify=UPSTREAM_CA, timeout=10)
    return jsonify(upstream_status=r.status_code, upstream_bytes=len(r.content))
