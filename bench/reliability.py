"""Run the reliability tests and write their table and figures into RELIABILITY.md.

    python bench/reliability.py [RELIABILITY.md]

Runs pytest on the fault, crash, safety and fuzz tests with a JUnit XML report, then writes
one row per test case (the fault or bad input, the outcome it must have, the test, passed or
not) and the figures (faults tried, survived, articles lost in the kill -9 test) between the
markers of the file. Nothing in the table is typed by hand: a failing test shows as failed.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ["tests/test_faults.py", "tests/test_crash.py", "tests/test_safety.py",
         "tests/test_fuzz.py"]
START, END = "<!-- table: bench/reliability.py -->", "<!-- end of table -->"
# Not bench/ itself: bench/incremental.py would hide the `incremental` package Twisted needs.
sys.path[:] = [str(ROOT / "tests"), str(ROOT),
               *(entry for entry in sys.path if Path(entry or ".").resolve() != ROOT / "bench")]
from test_faults import CASES  # noqa: E402  (the fault catalogue, after the path is set)


@dataclass(frozen=True)
class Result:
    test: str  # file::name[parameter]
    passed: bool
    properties: dict[str, str]


def run_tests() -> list[Result]:
    """Run the reliability tests; return one result per test case."""
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.xml"
        # xunit1: the family whose report keeps record_property's figures
        subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        "-o", "junit_family=xunit1", f"--junitxml={report}", *TESTS],
                       cwd=ROOT, check=False)
        cases = ElementTree.parse(report).getroot().iter("testcase")
        return [Result(f"{case.get('classname', '').rsplit('.', 1)[-1]}.py::{case.get('name')}",
                       not any(child.tag in ("failure", "error", "skipped") for child in case),
                       {prop.get("name", ""): prop.get("value", "")
                        for prop in case.iter("property")})
                for case in cases]


def describe(test: str) -> tuple[str, str]:
    """(fault or bad input, expected outcome) of a test case."""
    match = re.search(r"::test_fault\[(.+)\]$", test)
    if match:
        case = next(case for case in CASES if case.slug == match[1])
        return f"{case.fault} (`{case.host.split('.')[0]}`)", case.outcome
    name = test.split("::", 1)[1]
    words = re.sub(r"\[.*\]$", "", name).removeprefix("test_").replace("_", " ")
    parameter = re.search(r"\[(.+)\]$", name)
    return (words + (f" ({parameter[1]})" if parameter else ""), "as the name says")


def table(results: list[Result]) -> str:
    lines = ["| # | fault or bad input | expected outcome | test | result |",
             "|---|---|---|---|---|"]
    for number, result in enumerate(results, 1):
        fault, outcome = (text.replace("<", "&lt;") for text in describe(result.test))
        lines.append(f"| {number} | {fault} | {outcome} | `{result.test}` | "
                     f"{'passed' if result.passed else '**FAILED**'} |")
    lost = [int(result.properties["articles_lost"]) for result in results
            if "articles_lost" in result.properties]
    before = [result.properties["articles_before_kill"] for result in results
              if "articles_before_kill" in result.properties]
    survived = sum(result.passed for result in results)
    lines += ["", f"**Faults and bad inputs tried: {len(results)}; survived: {survived}; "
                  f"articles lost after kill -9: "
                  f"{sum(lost) if lost else 'not measured'} "
                  f"(of {before[0] if before else '?'} committed before the kill).**"]
    return "\n".join(lines)


def main() -> None:
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "RELIABILITY.md"
    text = target.read_text("utf-8")
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    target.write_text(f"{head}{START}\n{table(run_tests())}\n{END}{tail}", "utf-8")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
