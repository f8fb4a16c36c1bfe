# SPDX-License-Identifier: BSD-2-Clause
"""A Flask app whose views fail in known ways, for tests/e2e/test_exceptions.py.

Under gunicorn:  gunicorn --workers 2 --chdir tests/e2e/apps flask_errors:app
Under werkzeug:  /usr/bin/python3 tests/e2e/apps/flask_errors.py --port 8000
                 (threaded dev server, HTTP/1.1)

Flask turns an exception that escapes a view into a 500 and logs it to stderr from inside its
except block ("Exception on /path [GET]" and the traceback). The test computes the expected
line of every raise from the "# LINE:<name>" marker comments, so keep each marker on the line
that raises (or calls) and keep markers unique in this file.
"""
import argparse
import os
import sys
import time

from flask import Flask

# The directory of this file is on sys.path in both modes (gunicorn --chdir, or as a script);
# make sure anyway, so that the class prints as "shop_errors.InventoryError".
_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
from shop_errors import InventoryError  # noqa: E402

app = Flask(__name__)


@app.after_request
def _served_by(resp):
    # Lets the test check which process served a request.
    resp.headers["X-Served-By"] = str(os.getpid())
    return resp


@app.get("/ok")
def ok():
    return "ok\n"


@app.get("/slow-ok")
def slow_ok():
    time.sleep(0.3)
    return "slow ok\n"


@app.get("/slow-err")
def slow_err():
    time.sleep(0.3)
    raise LookupError("slow failure")  # LINE:slow-err


@app.get("/status/<int:code>")
def status(code):
    # A failure with no exception: only the status says it failed.
    return "status %d\n" % code, code


@app.get("/err/builtin")
def err_builtin():
    raise ValueError("bad value 17")  # LINE:builtin


@app.get("/err/custom")
def err_custom():
    raise InventoryError("out of stock: sku-4411")  # LINE:custom


def a():
    return b() + 1  # LINE:nested-a


def b():
    return c() + 1  # LINE:nested-b


def c():
    raise KeyError("missing-key")  # LINE:nested-c


@app.get("/err/nested")
def err_nested():
    return str(a())  # LINE:nested-view


@app.get("/err/chained")
def err_chained():
    try:
        int("x")  # LINE:chained-cause
    except ValueError as e:
        raise RuntimeError("conversion failed") from e  # LINE:chained


@app.get("/err/context")
def err_context():
    try:
        1 / 0  # LINE:context-first
    except ZeroDivisionError:
        raise TypeError("cleanup failed")  # LINE:context


@app.get("/err/caught")
def err_caught():
    try:
        raise ValueError("handled inside the view")
    except ValueError:
        pass
    return "caught\n"


@app.get("/err/caught-logged")
def err_caught_logged():
    try:
        raise ValueError("handled inside the view, then logged")
    except ValueError:
        # Written to stderr while the exception is being handled, like real code that logs and
        # recovers: the 200 span must still carry no exception.
        app.logger.warning("recovered from a bad value")
    return "caught\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description="Flask error app (werkzeug dev server)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)

    from werkzeug.serving import WSGIRequestHandler

    WSGIRequestHandler.protocol_version = "HTTP/1.1"
    app.run(host=args.host, port=args.port, threaded=True, debug=False, use_reloader=False)


if __name__ == "__main__":
    main()
