"""The fault soak of tests/soak, at the size CI affords (issue 8, item 1):
rounds of ten seconds, eight workers, faults on every request type."""
import os
import sys

from conftest import BINARY, RELEASE_BINARY, ROOT

sys.path.insert(0, os.path.join(ROOT, "tests", "soak"))
import soak  # noqa: E402


def check_soak(report, problems):
    assert not problems, "\n".join(problems + report)
    operations = int(report[1].split()[1])
    assert operations > 100            # the workers really worked
    assert "'stall'" in report[3] and "'reset'" in report[3]
    assert int(report[2].split(": ")[1]) > 0   # reads were checked by sha256


def test_fault_soak(tmp_path):
    # Under a sanitizer the resident memory grows with the work done, leak
    # or not; LeakSanitizer reports a real leak when this daemon exits.
    report, problems = soak.run(BINARY, rounds=3, round_seconds=10, workers=8, seed=7,
                                workdir=str(tmp_path), memory_slack_kib=None)
    print("\n".join(report))
    check_soak(report, problems)


def test_fault_soak_memory_stays_bounded(tmp_path):
    # The product build, six rounds: what it holds after the second round
    # (caches filled, connections open) may grow by at most 8 MiB while the
    # soak goes on creating backups and exports (measured: +3 MiB).
    assert os.access(RELEASE_BINARY, os.X_OK), \
        "build it: cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release && " \
        "cmake --build build-release --target dbbackupfs"
    report, problems = soak.run(RELEASE_BINARY, rounds=6, round_seconds=10, workers=8, seed=7,
                                workdir=str(tmp_path))
    print("\n".join(report))
    check_soak(report, problems)
