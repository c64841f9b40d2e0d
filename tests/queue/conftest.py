from __future__ import annotations

import pytest

from onevisit.queue import QueueService
from onevisit.queue.replay import snapshot


@pytest.fixture
def hall_config(config, tmp_path):
    """The demo hall with its database and secrets under the test's own folder."""
    return config.model_copy(update={"base_dir": tmp_path})


@pytest.fixture(params=["sqlite", "postgresql"])
def db_engine(request) -> str:
    """Every queue test runs on both engines."""
    return request.param


@pytest.fixture
def service(hall_config, clock, db_target):
    svc = QueueService.open(hall_config, db_path=db_target, clock=clock)
    yield svc
    svc.close()


@pytest.fixture
def unchanged(service):
    """Asserts a block changed no table and wrote no event: `with unchanged(): ...`."""
    from contextlib import contextmanager

    @contextmanager
    def check():
        before = snapshot(service.store)
        events_before = len(service.events_since(0, 100000))
        yield
        assert snapshot(service.store) == before
        assert len(service.events_since(0, 100000)) == events_before

    return check
