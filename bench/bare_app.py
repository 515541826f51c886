"""The baseline for the throughput ratio: a bare Flask page of the same size as a step page."""

import os

from flask import Flask, render_template_string

app = Flask(__name__)
FILLER = "x" * int(os.environ.get("BENCH_PAGE_BYTES", "20000"))
PAGE = "<!doctype html><html><body><main>{{ filler }}</main></body></html>"


@app.route("/")
def page():
    return render_template_string(PAGE, filler=FILLER)
