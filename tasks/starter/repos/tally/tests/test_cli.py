import contextlib
import io
import os
import tempfile
import unittest
from unittest import mock

from tally.cli import main


def run(*argv, stdin=""):
    out, err = io.StringIO(), io.StringIO()
    with mock.patch("sys.stdin", io.StringIO(stdin)), contextlib.redirect_stdout(out), \
            contextlib.redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exc:
            code = exc.code
    return code, out.getvalue(), err.getvalue()


class TestCli(unittest.TestCase):
    def setUp(self):
        handle, self.path = tempfile.mkstemp(suffix=".txt")
        with os.fdopen(handle, "w", encoding="utf-8") as f:
            f.write("pear\napple: 3\npear\n# comment\nfig\n")

    def tearDown(self):
        os.unlink(self.path)

    def test_table_from_file(self):
        code, out, _ = run(self.path, "--no-bars")
        self.assertEqual(code, 0)
        self.assertEqual(out.splitlines(), ["apple  3  50.0%", "pear   2  33.3%", "fig    1  16.7%"])

    def test_stdin(self):
        code, out, _ = run("--top", "1", "--no-bars", stdin="a\nb\nb\n")
        self.assertEqual((code, out), (0, "b  2  66.7%\n"))

    def test_rank_option(self):
        code, out, _ = run(self.path, "--rank", "dense")
        self.assertEqual(code, 0)
        self.assertEqual(out, "1. apple (3)\n2. pear (2)\n3. fig (1)\n")

    def test_missing_file(self):
        """A file that cannot be read exits with status 1."""
        code, out, err = run(self.path + ".missing")
        self.assertEqual((code, out), (1, ""))
        self.assertIn("cannot read", err)

    def test_parse_error_exit_code(self):
        code, _, err = run("-", stdin="apple: lots\n")
        self.assertEqual(code, 1)
        self.assertIn("line 1: count must be a non-negative integer", err)

    def test_negative_top_is_usage_error(self):
        code, _, err = run("--top", "-1", stdin="a\n")
        self.assertEqual(code, 2)
        self.assertIn("--top cannot be negative", err)

    def test_summary(self):
        code, out, _ = run("--summary", "--no-bars", stdin="a\n")
        self.assertEqual(code, 0)
        self.assertEqual(out.splitlines()[-1], "1 key, 1 item")


if __name__ == "__main__":
    unittest.main()
