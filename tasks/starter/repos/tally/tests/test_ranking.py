import unittest

from tally import Tally, rank


def sample():
    return Tally({"apple": 3, "banana": 5, "cherry": 3, "damson": 1})


class TestRank(unittest.TestCase):
    def test_competition(self):
        self.assertEqual(
            [(r, k) for r, k, _ in rank(sample())],
            [(1, "banana"), (2, "apple"), (2, "cherry"), (4, "damson")],
        )

    def test_dense(self):
        self.assertEqual([r for r, _, _ in rank(sample(), "dense")], [1, 2, 2, 3])

    def test_ordinal_ties(self):
        """Tied keys come out in the order they were first seen."""
        ranked = rank(Tally(["apple", "banana", "banana", "cherry"]), "ordinal")
        self.assertEqual(ranked, [(1, "banana", 2), (2, "apple", 1), (3, "cherry", 1)])

    def test_unknown_method(self):
        with self.assertRaises(ValueError) as caught:
            rank(sample(), "olympic")
        self.assertIn("competition, dense, ordinal", str(caught.exception))

    def test_empty(self):
        self.assertEqual(rank(Tally()), [])


if __name__ == "__main__":
    unittest.main()
