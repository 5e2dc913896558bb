import unittest

from tally import Tally


class TestAdd(unittest.TestCase):
    def test_add_default_one(self):
        t = Tally()
        t.add("pear")
        t.add("pear")
        self.assertEqual(t["pear"], 2)
        self.assertEqual(len(t), 1)

    def test_add_count(self):
        t = Tally()
        t.add("apple", 3)
        t.add("apple", 0)
        self.assertEqual(t["apple"], 3)
        self.assertIn("apple", t)
        self.assertNotIn("cherry", t)

    def test_negative_count_rejected(self):
        """Negative counts are refused."""
        with self.assertRaises(ValueError):
            Tally().add("pear", -1)

    def test_non_integer_count_rejected(self):
        for count in (1.5, "2", True):
            with self.subTest(count=count), self.assertRaises(TypeError):
                Tally().add("pear", count)

    def test_non_string_key_rejected(self):
        with self.assertRaises(TypeError):
            Tally().add(42)


class TestFoldCase(unittest.TestCase):
    def test_first_spelling_wins(self):
        """With fold_case the first spelling of a key is kept."""
        t = Tally(["Pear", "pear", "PEAR"], fold_case=True)
        self.assertEqual(t.items(), [("Pear", 3)])

    def test_lookup_ignores_case(self):
        t = Tally(["Pear"], fold_case=True)
        self.assertEqual(t["pEAR"], 1)
        self.assertIn("pear", t)


class TestMostCommon(unittest.TestCase):
    def test_orders_by_count(self):
        t = Tally({"apple": 1, "pear": 5, "cherry": 3})
        self.assertEqual(t.most_common(), [("pear", 5), ("cherry", 3), ("apple", 1)])

    def test_top_n(self):
        t = Tally({"apple": 1, "pear": 5, "cherry": 3})
        self.assertEqual(t.most_common(2), [("pear", 5), ("cherry", 3)])
        self.assertEqual(t.most_common(0), [])
        self.assertEqual(len(t.most_common(10)), 3)

    def test_tied_keys_keep_first_seen_order(self):
        """Tied keys come out in the order they were first seen."""
        t = Tally(["apple", "banana", "cherry", "cherry"])
        self.assertEqual(t.most_common(), [("cherry", 2), ("apple", 1), ("banana", 1)])

    def test_negative_n_rejected(self):
        with self.assertRaises(ValueError):
            Tally(["apple"]).most_common(-1)


class TestPercentages(unittest.TestCase):
    def test_simple_shares(self):
        t = Tally({"apple": 1, "pear": 3})
        self.assertEqual(t.percentages(), {"apple": 25.0, "pear": 75.0})

    def test_empty_tally(self):
        self.assertEqual(Tally().percentages(), {})
        self.assertEqual(Tally({"apple": 0}).percentages(), {"apple": 0.0})

    def test_decimals(self):
        """Shares are rounded to the requested number of places."""
        t = Tally({"apple": 1, "pear": 2})
        self.assertEqual(t.percentages(2), {"apple": 33.33, "pear": 66.67})
        self.assertEqual(t.percentages(0), {"apple": 33.0, "pear": 67.0})


class TestMerge(unittest.TestCase):
    def test_merge_adds_counts(self):
        merged = Tally(["a", "b"]).merge(Tally(["b", "c"]))
        self.assertEqual(merged.items(), [("a", 1), ("b", 2), ("c", 1)])

    def test_plus_operator(self):
        left = Tally(["a"])
        total = left + {"a": 2}
        self.assertEqual(total["a"], 3)
        self.assertEqual(left["a"], 1)

    def test_update_from_mapping(self):
        t = Tally()
        t.update({"x": 2, "y": 0})
        self.assertEqual(t.keys(), ["x", "y"])
        self.assertEqual(t.total(), 2)

    def test_update_rejects_plain_string(self):
        with self.assertRaises(TypeError):
            Tally().update("abc")

    def test_equality_with_dict(self):
        self.assertEqual(Tally(["a", "a"]), {"a": 2})
        self.assertNotEqual(Tally(["a"]), Tally(["b"]))


if __name__ == "__main__":
    unittest.main()
