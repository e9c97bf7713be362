#!/usr/bin/env python3
"""Audit the installed packages for published vulnerabilities, and fail loudly when nothing could be checked.

    .venv/bin/python .ci/audit.py [--accepted .ci/audit-accepted.json]

1. pip-audit, against PyPI's vulnerability data for each installed version.
2. For every package pip-audit could not check (PyPI's per-version JSON is not served by every registry or
   proxy), PyPI's project JSON: its `vulnerabilities` list describes the latest release, so it checks an
   installed package only when that package is at its latest release. Others stay unchecked, by name.

Prints how many packages each step checked, the unchecked ones, and every vulnerability found. Exit codes:
0 no vulnerability beyond the accepted ones; 1 a vulnerability not accepted; 3 nothing could be checked at
all (no vulnerability service answered), which must never pass as "no known vulnerabilities".
An accepted vulnerability is listed in the accepted file with the reason it is tolerated; it is still printed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path

PYPI = "https://pypi.org/pypi"
HERE = Path(__file__).resolve().parent


def canonical(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


OWN = "isd-assistant"  # this project, which is not published


def installed() -> dict[str, str]:
    found = {canonical(d.metadata["Name"]): d.version for d in metadata.distributions() if d.metadata["Name"]}
    found.pop(OWN, None)
    return found


def run_pip_audit() -> dict[str, list[dict]] | None:
    """Package → vulnerabilities for the packages pip-audit checked; None when pip-audit could not run."""
    command = [sys.executable, "-m", "pip_audit", "--format", "json", "--progress-spinner", "off"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        print(f"pip-audit gave no report (exit {done.returncode}): {done.stderr.strip()[-300:]}", file=sys.stderr)
        return None
    return {canonical(d["name"]): d.get("vulns", []) for d in report.get("dependencies", []) if "skip_reason" not in d}


def project_vulnerabilities(name: str, version: str) -> list[dict] | None:
    """Vulnerabilities of `name` at `version` from PyPI's project JSON, or None when it cannot tell."""
    try:
        with urllib.request.urlopen(f"{PYPI}/{name}/json", timeout=30) as response:
            project = json.load(response)
    except (urllib.error.URLError, OSError, json.JSONDecodeError):
        return None
    if project.get("info", {}).get("version") != version or "vulnerabilities" not in project:
        return None
    return [{"id": v["id"], "aliases": v.get("aliases", []), "fix_versions": v.get("fixed_in") or [],
             "description": (v.get("details") or "")[:200]} for v in project["vulnerabilities"] if not v.get("withdrawn")]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accepted", type=Path, default=HERE / "audit-accepted.json")
    args = parser.parse_args()
    accepted = json.loads(args.accepted.read_text()) if args.accepted.exists() else {}
    packages = installed()
    checked = run_pip_audit() or {}
    by_pip_audit = len(checked)
    rest = sorted(set(packages) - set(checked))
    with ThreadPoolExecutor(8) as pool:
        for name, found in zip(rest, pool.map(lambda n: project_vulnerabilities(n, packages[n]), rest), strict=True):
            if found is not None:
                checked[name] = found
    unchecked = sorted(set(packages) - set(checked))
    print(f"Packages installed: {len(packages)}; checked: {len(checked)} "
          f"({by_pip_audit} by pip-audit, {len(checked) - by_pip_audit} from PyPI's project data); "
          f"not checked: {len(unchecked)}.")
    if unchecked:
        print("Not checked (not at their latest release, and per-version data unavailable): " + ", ".join(
            f"{n} {packages[n]}" for n in unchecked))
    if not checked:
        print("AUDIT FAILED: no package could be checked, so nothing is known about vulnerabilities. "
              "Check that https://pypi.org/pypi/<name>/json is reachable.", file=sys.stderr)
        return 3
    refused = 0
    seen: set[str] = set()
    for name in sorted(checked):
        for vuln in checked[name]:
            ids = {vuln["id"], *vuln.get("aliases", [])}
            if ids & seen:
                continue  # the same advisory under another id
            seen |= ids
            reason = next((accepted[i] for i in sorted(ids) if i in accepted), None)
            label = "accepted" if reason else "VULNERABLE"
            refused += reason is None
            print(f"{label}: {name} {packages[name]} {'/'.join(sorted(ids))} fixed in "
                  f"{', '.join(vuln.get('fix_versions') or []) or 'no release'}" + (f" — {reason}" if reason else ""))
    if refused:
        print(f"AUDIT FAILED: {refused} vulnerabilit{'y' if refused == 1 else 'ies'} not accepted in {args.accepted}.",
              file=sys.stderr)
        return 1
    print("Audit passed for the checked packages.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
