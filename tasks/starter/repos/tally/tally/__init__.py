"""tally: count things in plain-text lists and print ranked tables.

Typical use::

    from tally import parse_text, format_table

    print(format_table(parse_text(open("votes.txt").read()), top=10))
"""

__version__ = "0.3.0"

from .counter import Tally
from .errors import ParseError, TallyError
from .parse import parse_line, parse_text
from .ranking import RANK_METHODS, rank
from .report import format_summary, format_table

__all__ = [
    "ParseError",
    "RANK_METHODS",
    "Tally",
    "TallyError",
    "format_summary",
    "format_table",
    "parse_line",
    "parse_text",
    "rank",
]
