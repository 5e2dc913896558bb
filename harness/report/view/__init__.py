"""`harness view RUN_DIR`: browse a run's instances and attempts step by step, served on
loopback or written as static pages. `attempts` reads the run (records and each attempt's
files), `pages` turns that into HTML (pure), `site` serves or writes the pages."""
