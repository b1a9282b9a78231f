"""Data access layer: schema, sessions, reference data, imports, demo data and access scoping.

Nothing here connects at import time; callers build an engine with :func:`make_engine` and
hand sessions to the functions that need them.
"""
