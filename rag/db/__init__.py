"""Shared state in one database: saved conversations, feedback votes, the document registry.

SQLite in the data folder by default (nothing to set up); PostgreSQL when `DANGJIAN_DATABASE_URL`
(or `dangjian serve --database-url`) names one, so replicas behind a proxy share it. SQLAlchemy
Core writes the SQL for both; `schema.MIGRATIONS` creates and changes the tables, run by the app.

    conversations.store_for(settings)   the page's saved conversations (per owner)
    feedback.votes_for(settings)        👍/👎 per (conversation, turn)
    registry.registry_for(settings)     which documents, their files, the index generation
"""

from __future__ import annotations

from .engine import Database, database_url, dispose, redact, shared
from .legacy import open_database
from .schema import current_version

__all__ = ["Database", "current_version", "database_url", "dispose", "open_database", "redact", "shared"]
