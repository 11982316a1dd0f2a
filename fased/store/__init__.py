"""Storage: the database engine, schema, migrations and one repository per aggregate.

Imports nothing of ours but `fased.canonical` and `fased.errors`; callers pass plain values
(a database URL, timeouts), never the settings object.
"""

from fased.store.engine import Database, migrate, open_database
from fased.store.schema import OWNER_ID
from fased.store.sessions import SessionInfo, SessionStore, Turn
from fased.store.usage import UsageRecord, UsageRecorder, UsageTotals

__all__ = [
    "OWNER_ID",
    "Database",
    "SessionInfo",
    "SessionStore",
    "Turn",
    "UsageRecord",
    "UsageRecorder",
    "UsageTotals",
    "migrate",
    "open_database",
]
