import unittest

from tally import Tally, format_summary, format_table


class TestFormatTable(unittest.TestCase):
    def test_columns_aligned(self):
        t = Tally({"apple": 4, "fig": 2, "cherry": 10})
        self.assertEqual(
            format_table(t, bar_width=10).splitlines(),
            [
                "cherry  10  62.5%  ##########",
                "apple    4  25.0%  ####",
                "fig      2  12.5%  ##",
            ],
        )

    def test_top(self):
        t = Tally({"apple": 4, "fig": 2, "cherry": 10})
        self.assertEqual(format_table(t, top=1, bars=False), "cherry  10  62.5%")

    def test_no_bars(self):
        t = Tally({"apple": 1, "pear": 3})
        self.assertEqual(format_table(t, bars=False), "pear   3  75.0%\napple  1  25.0%")

    def test_empty(self):
        """An empty tally prints a placeholder."""
        self.assertEqual(format_table(Tally()), "(empty)")

    def test_decimals_zero(self):
        t = Tally({"apple": 1, "pear": 3})
        self.assertEqual(format_table(t, bars=False, decimals=0), "pear   3  75%\napple  1  25%")

    def test_negative_bar_width(self):
        with self.assertRaises(ValueError):
            format_table(Tally(["a"]), bar_width=-1)


class TestSummary(unittest.TestCase):
    def test_plural(self):
        self.assertEqual(format_summary(Tally(["a", "b", "b"])), "2 keys, 3 items")

    def test_singular(self):
        """One key and one item are not pluralised."""
        self.assertEqual(format_summary(Tally(["a"])), "1 key, 1 item")


if __name__ == "__main__":
    unittest.main()
