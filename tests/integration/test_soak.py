"""The fault soak of tests/soak, at the size CI affords (issue 8, item 1):
three rounds of ten seconds, eight workers, faults on every request type."""
import os
import sys

from conftest import BINARY, ROOT

sys.path.insert(0, os.path.join(ROOT, "tests", "soak"))
import soak  # noqa: E402


def test_fault_soak(tmp_path):
    report, problems = soak.run(BINARY, rounds=3, round_seconds=10, workers=8, seed=7,
                                workdir=str(tmp_path))
    print("\n".join(report))
    assert not problems, "\n".join(problems + report)
    operations = int(report[1].split()[1])
    assert operations > 100            # the workers really worked
    assert "'stall'" in report[3] and "'reset'" in report[3]
    assert int(report[2].split(": ")[1]) > 0   # reads were checked by sha256
