"""The reference of the throughput rounds: a bare Flask hello, nothing else.

    gunicorn -c gunicorn.conf.py loadtest.hello:app

Served by the same gunicorn settings as the service (loadtest.bench starts it beside
the service's), it is what Flask plus gunicorn plus the load generator manage on this
machine for a request that does nothing: the ceiling every saturated row of the
benchmark is reported against.
"""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, World!"
