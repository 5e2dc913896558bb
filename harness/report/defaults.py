"""Defaults shared by the report commands' options and their implementation."""

DEFAULT_MAX_PASS_DROP = 5.0  # points
DEFAULT_MAX_COST_RISE = 20.0  # percent
DEFAULT_TABLE_LIMIT = 1000  # instances in the HTML per-instance table
DEFAULT_COST_GAP_PCT = 5.0  # percent of the priced cost: a larger billed gap is flagged
DEFAULT_VIEW_HOST = "127.0.0.1"  # `harness view` serves on loopback only unless told
DEFAULT_VIEW_PORT = 8000
