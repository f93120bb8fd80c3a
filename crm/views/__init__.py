"""Public (non-admin) pages of Kindnet, one module per page."""
