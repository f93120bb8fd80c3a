"""Bulk import and export of the network through django-import-export.

The library does the reading, the admin views (upload, dry run, confirm) and the
commands; this package holds what Kindnet adds on top: spreadsheet-friendly CSV,
lookups of human values loaded once per import, natural keys, all-or-nothing bulk
writes with history, and a report that names row, column and reason.
"""
