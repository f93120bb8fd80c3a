"""Views of the REST API, one module per domain (members, agreements, network, join requests)."""
