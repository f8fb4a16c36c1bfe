# SPDX-License-Identifier: BSD-2-Clause
"""A Flask app that talks the way services do: print(), the logging module, a logged
traceback, and a log file (APP_LOG_FILE). Every line names the request's id (?id=)."""
import logging
import os

from flask import Flask, request

logging.basicConfig(level=logging.INFO, format="%(levelname)s:%(name)s:%(message)s")
log = logging.getLogger("shop")
audit = logging.getLogger("audit")
audit.propagate = False
if os.environ.get("APP_LOG_FILE"):
    fh = logging.FileHandler(os.environ["APP_LOG_FILE"])
    fh.setFormatter(logging.Formatter("%(levelname)s audit %(message)s"))
    audit.addHandler(fh)
    audit.setLevel(logging.INFO)

app = Flask(__name__)


@app.route("/hello")
def hello():
    rid = request.args.get("id", "?")
    print("print hello %s" % rid)
    log.info("logged hello %s", rid)
    audit.info("file hello %s", rid)
    return "hello\n"


@app.route("/fail")
def fail():
    rid = request.args.get("id", "?")
    try:
        {}["missing-%s" % rid]
    except KeyError:
        log.exception("checkout failed %s", rid)
    return "failed\n", 500


@app.route("/warn")
def warn():
    rid = request.args.get("id", "?")
    log.warning("slow path %s", rid)
    return "nope\n", 404
