# SPDX-License-Identifier: BSD-2-Clause
"""The sample service instrumented in-process with the AWS X-Ray SDK: mode (D) of `make bench`.

    gunicorn --workers 2 --chdir <repo> bench.xray_app:app

Debian 12's python3-aws-xray-sdk (0.95) and its Flask middleware, configured so that every
request is traced and sent, the most comparable setting to pyspan tracing every request:

- sampling=False: the recorder samples nothing out; every request gets a segment that is
  serialized to JSON and sent as one UDP datagram.
- daemon_address=127.0.0.1:2000 (the X-Ray daemon's default), where `make bench` listens with
  a socket that only counts datagrams. Override with AWS_XRAY_DAEMON_ADDRESS.
- context_missing=LOG_ERROR, no plugins (no EC2/ECS metadata lookups), service name
  "pyspan-bench-demo".

One adaptation, because SDK 0.95 predates Flask 2.2's order of callbacks: for a view that
raises, Flask 2.2 runs after_request (where the middleware ends and sends the segment) before
teardown_request (where it records the exception), so the exception would be recorded on a
segment that is gone and the teardown itself would fail. Here the exception is recorded on the
open segment when Flask signals it (got_request_exception, before the 500 is built), with the
same call the middleware makes (segment.add_exception with a stack of at most
recorder._max_trace_back frames, status 500), and the teardown hook does nothing once the
segment has been sent. Failing requests thus cost what the SDK means them to cost: an
exception with its stack in the segment.
"""
import os
import sys
import traceback

from aws_xray_sdk.core import xray_recorder
from aws_xray_sdk.core.models import http
from aws_xray_sdk.ext.flask.middleware import XRayMiddleware
from flask import got_request_exception

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from demo.app import app  # noqa: E402

DAEMON_ADDRESS = "127.0.0.1:2000"

xray_recorder.configure(
    sampling=False,
    service="pyspan-bench-demo",
    daemon_address=DAEMON_ADDRESS,
    context_missing="LOG_ERROR",
)


class BenchXRayMiddleware(XRayMiddleware):
    def __init__(self, app, recorder):
        super().__init__(app, recorder)
        got_request_exception.connect(self._record_exception, app, weak=False)

    def _record_exception(self, sender, exception=None, **extra):
        segment = self._recorder.current_segment()
        if segment is None:
            return
        segment.put_http_meta(http.STATUS, 500)
        stack = traceback.extract_stack(limit=self._recorder._max_trace_back)
        segment.add_exception(exception, stack)

    def _handle_exception(self, exception):
        # The segment was ended and sent in after_request (see the module's docstring).
        entities = getattr(self._recorder.context._local, "entities", None)
        if not exception or not entities:
            return
        super()._handle_exception(exception)


BenchXRayMiddleware(app, xray_recorder)
