import pytest


@pytest.fixture(autouse=True)
def _eager_tasks(request):
    """Tasks run in-process here even when a broker is configured (PostgreSQL runs), except in
    the tests that start a real worker."""
    if "celery_live_worker" in request.fixturenames:
        yield
        return
    from villageaffairs.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before
