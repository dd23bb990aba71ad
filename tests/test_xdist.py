"""The plugin's suite under pytest-xdist: each worker explores its own share, verdicts merge.

Real ``pytest -n 2`` runs in a subprocess. The app under test breaks a different rule in each
worker's process (it reads ``PYTEST_XDIST_WORKER``, which its supervised process inherits),
so a finding can only have come from the share that worker explored; ``--dist loadscope``
sends every suite item to one worker, so one of the two findings reaches its item from the
other worker's share.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from wsgicheck.explore.runner import PROFILES
from wsgicheck.explore.shares import ShareFolder, ShareStalled, split

pytest_plugins = ["pytester"]

TIMEOUT = 180
SEED = 7
FAST = ("--wsgi-profile=quick", f"--wsgi-seed={SEED}", "--wsgi-database=off")

SPLIT_APP = """
import os

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def app(environ, start_response):
    if WORKER == "gw0":  # APP-STATUS-STR: a bytes status
        start_response(b"200 OK", [("Content-Type", "text/plain")])
        return [b"Hello\\n"]
    start_response("200 OK", [("Content-Type", "text/plain")])
    if WORKER == "gw1":  # APP-YIELD-BYTES: a str in the body
        return ["Hello\\n"]
    return [b"Hello\\n"]
"""
#: The rule each worker's process breaks.
BROKEN_IN = {"gw0": "APP-STATUS-STR", "gw1": "APP-YIELD-BYTES"}

SHARE_LINE = re.compile(
    r"^  share (\d+)/(\d+): (\d+) examples in [\d.]+s, seed (\d+), explored by (gw\d+)$", re.M
)


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args, timeout=TIMEOUT)


def suite_cases(xml: Path) -> dict[str, tuple[str, str]]:
    """Each suite item's verdict in a JUnit XML file, and its failure text."""
    found = {}
    for case in ET.parse(xml).getroot().iter("testcase"):
        if case.get("classname") != "wsgicheck":
            continue
        verdict, text = "passed", ""
        for kind in ("failure", "error", "skipped"):
            element = case.find(kind)
            if element is not None:
                verdict, text = kind, element.text or element.get("message", "")
                break
        found[case.get("name", "")] = (verdict, text)
    return found


def shares(result: pytest.RunResult) -> list[tuple[int, int, int, int, str]]:
    """The summary's share lines: (number, count, examples, seed, worker)."""
    return [
        (int(a), int(b), int(c), int(d), e)
        for a, b, c, d, e in SHARE_LINE.findall(result.stdout.str())
    ]


def test_each_worker_explores_its_own_seeded_share(pytester: pytest.Pytester) -> None:
    """Share k of 2 is explored by worker gw(k-1), with the seed and the number of examples
    shares.split gives; the run's line counts them all."""
    pytester.makepyfile(wc_split=SPLIT_APP)
    xml = pytester.path / "report.xml"
    result = run(pytester, "--wsgi-app=wc_split:app", *FAST, "-n", "2", f"--junitxml={xml}")
    seen = shares(result)
    expected = split(PROFILES["quick"], SEED, 2)
    assert [(n, count, seed, worker) for n, count, _, seed, worker in seen] == [
        (1, 2, expected[0].seed, "gw0"),
        (2, 2, expected[1].seed, "gw1"),
    ]
    assert expected[0].seed == SEED
    assert expected[0].seed != expected[1].seed
    for (_, _, examples, _, _), share in zip(seen, expected, strict=True):
        assert examples >= share.examples  # its budget (shrinking a failure runs more)
    # The JUnit file has them too, on the run's testcase.
    run_case = next(
        case for case in ET.parse(xml).getroot().iter("testcase") if case.get("name") == "run"
    )
    properties = {p.get("name"): p.get("value") for p in run_case.iter("property")}
    assert {name: value for name, value in properties.items() if "share" in str(name)} == {
        f"wsgicheck_share_{n}_of_2": f"seed {seed}, {examples} examples, {worker}"
        for n, _, examples, seed, worker in seen
    }
    # The examples the shares sent, with those past the profile's that shrinking sent.
    total = re.search(
        r"^wc_split:app: (\d+) examples(?: \((\d+) asked, (\d+) more shrinking failures\))? in ",
        result.stdout.str(),
        re.M,
    )
    assert total is not None
    sent = sum(examples for _, _, examples, _, _ in seen)
    assert int(total.group(1)) == sent
    if total.group(2) is not None:
        assert int(total.group(2)) + int(total.group(3)) == sent


def test_findings_of_either_share_fail_their_items_deterministically(
    pytester: pytest.Pytester,
) -> None:
    """All suite items run on one worker (loadscope), yet both workers' findings fail their
    rules' items, and nothing else fails; a second run with the seed gives the same verdicts,
    failure reports and shares."""
    pytester.makepyfile(wc_split=SPLIT_APP)
    runs = []
    for attempt in range(2):
        xml = pytester.path / f"report{attempt}.xml"
        result = run(
            pytester,
            "--wsgi-app=wc_split:app",
            *FAST,
            "-n",
            "2",
            "--dist",
            "loadscope",
            "-v",
            f"--junitxml={xml}",
        )
        assert result.ret == pytest.ExitCode.TESTS_FAILED
        ran_on = set(re.findall(r"^\[(gw\d)\] .* wsgicheck::", result.stdout.str(), re.M))
        assert len(ran_on) == 1  # the premise: one worker judged every rule
        cases = suite_cases(xml)
        failed = {name for name, (verdict, _) in cases.items() if verdict == "failure"}
        assert failed == set(BROKEN_IN.values())
        for worker, rule in BROKEN_IN.items():
            assert cases[rule][1].startswith(f"{rule} (MUST, app): ")
            assert (
                f"Replay this run: --wsgi-seed={SEED} --wsgi-profile=quick -n 2" in cases[rule][1]
            )
            assert f"explored by {worker}" in result.stdout.str()
        runs.append((cases, shares(result)))
    assert runs[0] == runs[1]


#: An app that fails every request in gw0's share and none in gw1's.
HALF_FAILING_APP = """
import os

FAILING = os.environ.get("PYTEST_XDIST_WORKER", "") == "gw0"


def app(environ, start_response):
    if FAILING:
        environ["wsgi.errors"].write("no database in this worker\\n")
        start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
        return [b"err"]
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]
"""


def test_the_whole_run_rules_judge_all_the_shares_answers(pytester: pytest.Pytester) -> None:
    """Audit of 2026-12-05: HARNESS-ALL-ERRORS was judged per share and the findings
    joined, so a share whose requests all failed failed the run, where another share's
    succeeded (``check --jobs 2`` judges the run's answers together, and passed). Now the
    shares' answers are judged together, and the note on the app's own 5xx counts them all."""
    pytester.makepyfile(wc_half=HALF_FAILING_APP)
    xml = pytester.path / "report.xml"
    result = run(pytester, "--wsgi-app=wc_half:app", *FAST, "-n", "2", f"--junitxml={xml}")
    cases = suite_cases(xml)
    assert cases["HARNESS-ALL-ERRORS"][0] == "passed", cases["HARNESS-ALL-ERRORS"]
    assert {name for name, (verdict, _) in cases.items() if verdict == "failure"} == set()
    gw0 = next(examples for _, _, examples, _, worker in shares(result) if worker == "gw0")
    notes = re.findall(
        r"^note: the app answered (\d+) request\(s\) with a server error", result.stdout.str(), re.M
    )
    assert [int(each) for each in notes] == [gw0]


REFUSING_APP = """
import threading

threading.Thread(target=threading.Event().wait, args=(60,), name="pool").start()


def app(environ, start_response):
    start_response("403 Forbidden", [("Content-Type", "text/plain")])
    return [b"no"]
"""


def test_a_whole_run_rules_replay_ends_past_the_apps_threads(pytester: pytest.Pytester) -> None:
    """A review of 2026-12-07: the whole-run rules are judged again on all the shares'
    answers, and their replays were made anew without the threads the app left running,
    so HARNESS-ALL-REFUSED's Python replay never ended under xdist (it did under -n 0)."""
    pytester.makepyfile(wc_refusing=REFUSING_APP)
    xml = pytester.path / "report.xml"
    run(pytester, "--wsgi-app=wc_refusing:app", *FAST, "-n", "2", f"--junitxml={xml}")
    verdict, text = suite_cases(xml)["HARNESS-ALL-REFUSED"]
    assert verdict == "failure"
    assert "    # 'pool'\n    sys.stdout.flush()\n    os._exit(0)\n" in text


# -- the shares and their folder, in this process and another -----------------------------------


def test_split_gives_every_example_once_and_the_first_share_the_run_seed() -> None:
    for count in (1, 2, 3, 7):
        parts = split(50, 1234, count)
        assert [part.index for part in parts] == list(range(count))
        assert sum(part.examples for part in parts) == 50
        assert max(part.examples for part in parts) - min(part.examples for part in parts) <= 1
        assert parts[0].seed == 1234
        assert len({part.seed for part in parts}) == count
    assert split(50, 1234, 3) == split(50, 1234, 3)
    with pytest.raises(ValueError, match="at least 1"):
        split(50, 1234, 0)


HOLDER = """
import os, sys, time
from pathlib import Path
from wsgicheck.explore.shares import ShareFolder

folder, mode = ShareFolder(Path(sys.argv[1])), sys.argv[2]
folder.claim(0)
(folder.path / "ready").touch()
time.sleep(0.5)
if mode == "write":
    folder.result(0, lambda: {"explored by": "holder"})
elif mode == "die":
    os._exit(3)
else:
    time.sleep(60)
"""


def hold(folder: Path, mode: str) -> subprocess.Popen[bytes]:
    """Another process holding share 0 of ``folder``, once it says so (bounded wait)."""
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(folder), mode])
    deadline = time.monotonic() + 30
    while not (folder / "ready").exists():
        assert holder.poll() is None, "the holder ended before it held the share"
        assert time.monotonic() < deadline, "the holder never held the share"
        time.sleep(0.05)
    return holder


def never() -> object:
    raise AssertionError("computed a share another process wrote")


def test_a_reader_waits_for_the_share_another_process_holds(tmp_path: Path) -> None:
    holder = hold(tmp_path, "write")
    try:
        assert ShareFolder(tmp_path).result(0, never) == {"explored by": "holder"}
    finally:
        holder.kill()
        holder.wait(30)


def test_a_share_whose_holder_died_unwritten_is_computed_by_its_reader(tmp_path: Path) -> None:
    holder = hold(tmp_path, "die")
    try:
        assert ShareFolder(tmp_path).result(0, lambda: {"explored by": "reader"}) == {
            "explored by": "reader"
        }
        assert holder.wait(30) == 3
        assert ShareFolder(tmp_path).result(0, never) == {"explored by": "reader"}
    finally:
        holder.kill()
        holder.wait(30)


def test_a_reader_gives_up_on_a_holder_that_shows_no_progress(tmp_path: Path) -> None:
    holder = hold(tmp_path, "stall")
    try:
        with pytest.raises(ShareStalled, match=r"share 0 .* no progress for 1s"):
            ShareFolder(tmp_path, stall=1.0).result(0, never)
    finally:
        holder.kill()
        holder.wait(30)


def test_a_share_that_failed_fails_every_reader_alike(tmp_path: Path) -> None:
    def broken() -> object:
        raise OSError("no room")

    failed = r"^share 0 of the wsgicheck run failed: OSError: no room$"
    with pytest.raises(RuntimeError, match=failed):
        ShareFolder(tmp_path).result(0, broken)
    with pytest.raises(RuntimeError, match=failed):  # another reader: told, not computed again
        ShareFolder(tmp_path).result(0, never)
    assert ShareFolder(tmp_path).written(1) is None


def test_the_shares_output_is_labelled_even_when_one_share_alone_printed() -> None:
    """Review of 2026-12-05: one share's output among two was shown without its label."""
    from wsgicheck.results.run import CapturedOutput
    from wsgicheck.suite_verdicts import _joined

    printed = CapturedOutput("hello\n", 6, 0)
    assert _joined([printed]) == printed
    assert _joined([None, printed]) == CapturedOutput("[share 2]\nhello\n", 6, 0)
    assert _joined([None, None]) is None


WARNING_TESTS = """
from wsgicheck import Client, validator


def app(environ, start_response):
    write = start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    write(b"hi")  # allowed, and a SHOULD not followed: APP-AVOID-WRITE
    return []


def test_warned():
    assert Client(validator(app)).get("/").status_code == 200


def test_other():
    assert True
"""


def test_a_validators_warning_in_a_worker_reaches_the_controller(pytester: pytest.Pytester) -> None:
    """A trial of 2026-12-06: pytest-xdist makes a worker's warning again in the controller
    from its text (``cls(*args)``); WSGIWarning took only a Finding, so the worker went down
    with an INTERNALERROR (exit 3) on the first SHOULD a ``validator`` warned of."""
    pytester.makepyfile(test_warned=WARNING_TESTS)
    result = run(pytester, "-n", "2", "-W", "default::UserWarning")
    result.assert_outcomes(passed=2, warnings=1)
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*WSGIWarning: APP-AVOID-WRITE: *"])
    result.stdout.no_fnmatch_line("*INTERNALERROR*")
