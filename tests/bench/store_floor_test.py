"""Checks tests/bench/store_floor.py's arithmetic: the cost per statement and per row fitted from
two batch sizes, and the cost per enrolment at a batch size."""
import importlib.util
import os
import pathlib
import unittest

_SPEC = importlib.util.spec_from_file_location(
    "store_floor", pathlib.Path(os.path.abspath(__file__)).parent / "store_floor.py")
store_floor = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(store_floor)


class StoreFloorTest(unittest.TestCase):
    def test_fit_recovers_a_line(self):
        # 200 us per statement and 15 us per row: 320 us at 8 rows, 680 us at 32.
        fixed, per_row = store_floor.fit(320.0, 8, 680.0, 32)
        self.assertAlmostEqual(fixed, 200.0)
        self.assertAlmostEqual(per_row, 15.0)

    def test_per_enrolment_shares_the_statement_over_its_rows(self):
        self.assertAlmostEqual(store_floor.per_enrolment(200.0, 15.0, 8), 40.0)
        self.assertAlmostEqual(store_floor.per_enrolment(75.0, 6.0, 2.5), 36.0)

    def test_cases_cover_both_statements_in_their_shapes(self):
        kinds = [kind for _, kind, _ in store_floor.CASES]
        self.assertEqual(kinds.count("write"), 4)
        self.assertEqual(kinds.count("read"), 2)
        for _, kind, sql in store_floor.CASES:
            self.assertIn("{n}", sql)
            self.assertEqual(len(store_floor.BATCHES[kind]), 3)

    def test_locked_join_locks_the_enrolee_instead_of_a_foreign_key(self):
        sql = dict((what, sql) for what, _, sql in store_floor.CASES)["write, locked join"]
        self.assertIn("INSERT INTO enrolments_no_fk", sql)
        self.assertIn("JOIN enrolees e ON e.kpm_id = u.q FOR KEY SHARE OF e", sql)


if __name__ == "__main__":
    unittest.main()
