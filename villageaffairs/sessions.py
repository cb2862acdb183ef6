"""Database sessions whose read is a prepared query.

Every signed-in request reads its session first. Django's database store builds and compiles
``Session.objects.get(session_key=…, expire_date__gt=now)`` each time, which costs more than
PostgreSQL takes to answer it; here the read is compiled once per process (and, on a persistent
PostgreSQL connection, planned once: ``villageaffairs.prepared``). The expiry is compared in
Python, after the row is read by its key, so the statement has one parameter and one plan.
Writing, rotating and deleting sessions are Django's, unchanged.
"""

from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.contrib.sessions.models import Session
from django.db import router
from django.utils import timezone

from villageaffairs.prepared import Prepared


def _session_query(session_key: str):
    return Session.objects.filter(session_key=session_key).order_by("pk")[:1]


_session = Prepared(_session_query)


class SessionStore(DBStore):
    def _get_session_from_db(self):
        key = self.session_key  # None when absent or not a valid key
        found = _session.first(key, using=router.db_for_read(Session)) if key else None
        if found is None or found.expire_date <= timezone.now():
            self._session_key = None
            return None
        return found
