"""`python -m harness.cli ...`: the console script run by this interpreter (tests and
benchmarks spawn it so, with their own import path)."""

import sys

from harness.cli import main

sys.exit(main())
