import unittest

from tally import ParseError, parse_line, parse_text


class TestParseLine(unittest.TestCase):
    def test_plain_key(self):
        self.assertEqual(parse_line("  pear  "), ("pear", 1))

    def test_key_with_count(self):
        self.assertEqual(parse_line("apple: 3"), ("apple", 3))
        self.assertEqual(parse_line("big apple :12"), ("big apple", 12))

    def test_blank_and_comment(self):
        """Blank lines and comments give nothing."""
        self.assertIsNone(parse_line(""))
        self.assertIsNone(parse_line("   "))
        self.assertIsNone(parse_line("# apple: 3"))

    def test_bad_count(self):
        """A count that is not a whole number is an error."""
        for line in ("apple: 1.5", "apple: -2", "apple: many", "apple:"):
            with self.subTest(line=line), self.assertRaises(ParseError):
                parse_line(line)

    def test_missing_key(self):
        with self.assertRaises(ParseError) as caught:
            parse_line(": 3", lineno=4)
        self.assertEqual(str(caught.exception), "line 4: missing key before ':'")


class TestParseText(unittest.TestCase):
    def test_counts_lines(self):
        t = parse_text("pear\napple: 3\n\n# note\npear\n")
        self.assertEqual(t.items(), [("pear", 2), ("apple", 3)])

    def test_error_has_line_number(self):
        with self.assertRaises(ParseError) as caught:
            parse_text("pear\n\napple: x\n")
        self.assertEqual(caught.exception.lineno, 3)
        self.assertEqual(caught.exception.line, "apple: x")

    def test_fold_case(self):
        t = parse_text("Pear\npear: 2\n", fold_case=True)
        self.assertEqual(t.items(), [("Pear", 3)])

    def test_windows_line_endings(self):
        t = parse_text("pear\r\napple: 2\r\n")
        self.assertEqual(t.items(), [("pear", 1), ("apple", 2)])


if __name__ == "__main__":
    unittest.main()
