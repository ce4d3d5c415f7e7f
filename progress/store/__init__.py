"""The store: schema, migrations and every query. The only package with SQL.

Connection rules (ARCHITECTURE.md traps): one connection per script run, WAL, foreign keys on,
synchronous=FULL, a busy timeout; every logical write (an assessment with its items, its
alert, its summary and its audit row) runs inside ``db.atomic()`` so it lands whole or not
at all. Per-patient summaries are refreshed inside the same transaction, so clinic-wide views
read one row per patient and never scan every assessment.

One module per kind of record; callers use ``from progress import store`` and ``store.X``,
which this file re-exports. A new module adds its names to the imports below.
"""

from progress.store.alerts import *  # noqa: F403
from progress.store.alerts import __all__ as _alerts
from progress.store.assessments import *  # noqa: F403
from progress.store.assessments import __all__ as _assessments
from progress.store.assessments import _safety_alert  # noqa: F401
from progress.store.audit import *  # noqa: F403
from progress.store.audit import __all__ as _audit
from progress.store.audit import _audit_hash  # noqa: F401
from progress.store.backup import *  # noqa: F403
from progress.store.backup import __all__ as _backup
from progress.store.bulk import *  # noqa: F403
from progress.store.bulk import __all__ as _bulk
from progress.store.connection import *  # noqa: F403
from progress.store.connection import __all__ as _connection
from progress.store.connection import _check_choice, _frame  # noqa: F401
from progress.store.course import *  # noqa: F403
from progress.store.course import __all__ as _course
from progress.store.exchange import *  # noqa: F403
from progress.store.exchange import __all__ as _exchange
from progress.store.outcomes import *  # noqa: F403
from progress.store.outcomes import __all__ as _outcomes
from progress.store.people import *  # noqa: F403
from progress.store.people import __all__ as _people
from progress.store.reminders import *  # noqa: F403
from progress.store.reminders import __all__ as _reminders
from progress.store.schema import *  # noqa: F403
from progress.store.schema import __all__ as _schema
from progress.store.screening import *  # noqa: F403
from progress.store.screening import __all__ as _screening
from progress.store.sessions import *  # noqa: F403
from progress.store.sessions import __all__ as _sessions
from progress.store.shape import *  # noqa: F403
from progress.store.shape import __all__ as _shape
from progress.store.signals import *  # noqa: F403
from progress.store.signals import __all__ as _signals
from progress.store.signins import *  # noqa: F403
from progress.store.signins import __all__ as _signins
from progress.store.summaries import *  # noqa: F403
from progress.store.summaries import __all__ as _summaries

__all__ = [
    *_schema, *_connection, *_audit, *_people, *_course, *_assessments, *_summaries,
    *_alerts, *_bulk, *_signins, *_backup, *_signals, *_exchange, *_reminders, *_screening, *_sessions,
    *_outcomes,
    *_shape,
]
