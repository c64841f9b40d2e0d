"""Reading the queue's events behind a hall API test client."""

from __future__ import annotations


def events(client, kind=None):
    out = client.app.state.hall.service.events_since(0, 10_000)
    return [e for e in out if kind is None or e.kind == kind]
