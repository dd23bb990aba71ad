"""What a process that runs the app keeps of the descriptors it inherited.

Each case runs in a new interpreter (``keep_only`` changes the descriptors of the process it
runs in), with real pipes and files.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

#: Opens a pipe, a file and a pipe end moved to fd 5000, calls ``keep_only`` on the pipe's
#: reading end alone, and prints which of them still are what they were. argv: the folder to
#: list in place of /proc/self/fd ("" for the real listings), the file.
SCRIPT = """
import os, resource, sys
from wsgicheck.explore import descriptors

listing, path = sys.argv[1], sys.argv[2]
if listing:
    descriptors._LISTINGS = (listing,)
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if soft < 5001:
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(8192, hard), hard))
read, write = os.pipe()
far = os.dup2(write, 5000)
report = os.open(path, os.O_WRONLY)
before = {fd: os.fstat(fd) for fd in (0, 1, 2, read, write, far, report)}
null = os.stat(os.devnull)
descriptors.keep_only({read})
kept = []
for fd, was in before.items():
    now = os.fstat(fd)
    if (now.st_dev, now.st_ino) == (was.st_dev, was.st_ino):
        kept.append(fd)
    else:
        assert (now.st_rdev, now.st_ino) == (null.st_rdev, null.st_ino), fd
os.write(far, b"junk")  # into the null device now
os.write(report, b"junk")
print(sorted(kept) == sorted([0, 1, 2, read]), os.path.getsize(path))
"""


def _kept(tmp_path: Path, listing: str) -> str:
    report = tmp_path / "report.json"
    report.write_text("")
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, listing, str(report)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.parametrize(
    "listing",
    ["", "missing", "partial"],
    ids=["the system's listing", "no listing", "a listing of 0 to 2 alone"],
)
def test_only_fds_0_to_2_and_those_kept_are_left(tmp_path: Path, listing: str) -> None:
    """The fallbacks, where no listing tells (or FreeBSD's ``/dev/fd`` without fdescfs,
    which lists 0 to 2 alone): tried up to 4,096 before, fd 5000 kept its pipe."""
    if listing == "missing":
        listing = str(tmp_path / "no such folder")
    elif listing == "partial":
        folder = tmp_path / "fd"
        folder.mkdir()
        for number in ("0", "1", "2"):
            (folder / number).touch()
        listing = str(folder)
    assert _kept(tmp_path, listing) == "True 0"
