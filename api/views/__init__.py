"""Views of the REST API, one module per domain (members, agreements, network, map)."""

#: Ids in URLs: whole numbers that fit the database's integers; anything else is a 404
#: (a huge number would otherwise overflow SQLite's integers). Set on every viewset.
ID_PATTERN = r"[0-9]{1,18}"
