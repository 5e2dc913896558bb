"""humankit: numbers, durations and text for people."""

from humankit.durations import format_duration, split_seconds
from humankit.sizes import naturalsize, parse_size
from humankit.tables import render_table
from humankit.text import join_words, pluralize, slugify, truncate

__all__ = [
    "format_duration",
    "join_words",
    "naturalsize",
    "parse_size",
    "pluralize",
    "render_table",
    "slugify",
    "split_seconds",
    "truncate",
]

__version__ = "0.4.0"
