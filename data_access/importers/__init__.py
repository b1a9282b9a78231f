"""Importers: Refer and Monitor reports, provider case extracts, EPOP plan workbooks.

Each importer validates a whole file (every problem, with row, column, value and reason)
and writes it only if it is clean, as one batch in one transaction.
"""
