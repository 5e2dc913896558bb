"""Whether this is a CI run (`CI=true`): there, a test that needs Docker, Go or an optional
extra fails when it is missing instead of skipping."""

from __future__ import annotations

import os

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
