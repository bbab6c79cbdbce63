"""What the runner prints and writes: one line per script, failure reports, JUnit XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from qa.replay.runner import Failure, Result


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def line(r: Result) -> str:
    return f"{'✓' if r.passed else '✗'} {r.name} — {_rel(r.path)}"


def failure_text(r: Result) -> str:
    """The report of a failed script: where, why, what was expected and came, the chat."""
    f = r.failure
    assert f is not None
    return "\n".join(failure_lines(_rel(r.path), f))


def failure_lines(file: str, f: Failure) -> list[str]:
    where = f.where or "the script"
    at = f"{file}, {where}" + (f", line {f.line}" if f.line else "")
    out = [f"  {at}: {f.reason}"]
    step = f.source.removeprefix("- ")
    if step and step != f.expected:
        out.append(f"    step:     {step}")
    if f.expected:
        out.append(f"    expected: {f.expected}")
    if f.came:
        out.append(f"    came:     {f.came[0]}")
        out.extend(f"              {c}" for c in f.came[1:])
    if f.transcript is not None:  # the script ran up to this step
        shown = " ".join(f"[{label}]" for label in f.labels) or "(none)"
        out.append(f"    labels on screen: {shown}")
        out.append("    exchange so far:")
        out.extend(f"      {t}" for t in f.transcript or ["(nothing yet)"])
    return out


def summary(results: list[Result]) -> str:
    passed = sum(r.passed for r in results)
    return f"{passed} passed, {len(results) - passed} failed"


def junit(results: list[Result], path: Path) -> None:
    suite = ET.Element(
        "testsuite",
        name="replays",
        tests=str(len(results)),
        failures=str(sum(not r.passed for r in results)),
        errors="0",
        time=f"{sum(r.seconds for r in results):.3f}",
    )
    for r in results:
        case = ET.SubElement(
            suite, "testcase", classname=_rel(r.path), name=r.name, time=f"{r.seconds:.3f}"
        )
        if r.failure is not None:
            node = ET.SubElement(case, "failure", message=r.failure.reason)
            node.text = failure_text(r)
    path.parent.mkdir(parents=True, exist_ok=True)
    root = ET.Element("testsuites")
    root.append(suite)
    tree = ET.ElementTree(root)
    ET.indent(tree)
    tree.write(path, encoding="utf-8", xml_declaration=True)
