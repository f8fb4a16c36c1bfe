# SPDX-License-Identifier: BSD-2-Clause
"""The routes of flask_errors.py as a plain WSGI app: standard library only.

    PYTHON tests/e2e/apps/wsgi_errors.py --port 8000

Runs on CPython 3.6 and later (no third-party package, no syntax newer than 3.6). The server is
wsgiref's, made threaded with socketserver.ThreadingMixIn (one thread per connection,
HTTP/1.0). Like a framework, the WSGI app catches an exception that escapes a view, logs it to
stderr from inside the except block with logging.exception("Exception on %s", path), and
answers 500. The test computes the expected line of every raise from the "# LINE:<name>"
marker comments, so keep each marker on the line that raises (or calls).
"""
import argparse
import logging
import os
import socketserver
import sys
import time
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
from shop_errors import InventoryError  # noqa: E402

log = logging.getLogger("wsgi_errors")


def ok():
    return "ok\n"


def slow_ok():
    time.sleep(0.3)
    return "slow ok\n"


def slow_err():
    time.sleep(0.3)
    raise LookupError("slow failure")  # LINE:slow-err


def err_builtin():
    raise ValueError("bad value 17")  # LINE:builtin


def err_custom():
    raise InventoryError("out of stock: sku-4411")  # LINE:custom


def a():
    return b() + 1  # LINE:nested-a


def b():
    return c() + 1  # LINE:nested-b


def c():
    raise KeyError("missing-key")  # LINE:nested-c


def err_nested():
    return str(a())  # LINE:nested-view


def err_chained():
    try:
        int("x")  # LINE:chained-cause
    except ValueError as e:
        raise RuntimeError("conversion failed") from e  # LINE:chained


def err_context():
    try:
        1 / 0  # LINE:context-first
    except ZeroDivisionError:
        raise TypeError("cleanup failed")  # LINE:context


def err_caught():
    try:
        raise ValueError("handled inside the view")
    except ValueError:
        pass
    return "caught\n"


def err_caught_logged():
    try:
        raise ValueError("handled inside the view, then logged")
    except ValueError:
        # Written to stderr while the exception is being handled, like real code that logs and
        # recovers: the 200 span must still carry no exception.
        log.warning("recovered from a bad value")
    return "caught\n"


ROUTES = {
    "/ok": ok,
    "/slow-ok": slow_ok,
    "/slow-err": slow_err,
    "/err/builtin": err_builtin,
    "/err/custom": err_custom,
    "/err/nested": err_nested,
    "/err/chained": err_chained,
    "/err/context": err_context,
    "/err/caught": err_caught,
    "/err/caught-logged": err_caught_logged,
}


def app(environ, start_response):
    path = environ.get("PATH_INFO") or "/"
    view = ROUTES.get(path)
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("X-Served-By", str(os.getpid()))]
    if view is None:
        status, body = "404 Not Found", "not found\n"
    else:
        try:
            status, body = "200 OK", view()
        except Exception:
            # What frameworks do: log with the traceback, from inside the except block.
            log.exception("Exception on %s", path)
            status, body = "500 Internal Server Error", "internal server error\n"
    data = body.encode("utf-8")
    headers.append(("Content-Length", str(len(data))))
    start_response(status, headers)
    return [data]


class ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    # socketserver's default listen backlog is 5: a burst of concurrent clients would wait for
    # a SYN retransmit (about 1 s) instead of being served together.
    request_queue_size = 128


def main(argv=None):
    parser = argparse.ArgumentParser(description="stdlib WSGI error app (threaded wsgiref)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                        format="%(asctime)s %(levelname)s [%(threadName)s] %(name)s: %(message)s")
    httpd = make_server(args.host, args.port, app, server_class=ThreadingWSGIServer,
                        handler_class=WSGIRequestHandler)
    log.info("serving on http://%s:%d (python %s)", args.host, args.port, sys.version.split()[0])
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()


if __name__ == "__main__":
    main()
