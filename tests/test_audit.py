"""The CI vulnerability audit (.ci/audit.py): its verdicts, with the two vulnerability sources faked."""

from __future__ import annotations

import importlib.util
import json

import pytest

from assistant.settings import PROJECT_ROOT

spec = importlib.util.spec_from_file_location("ci_audit", PROJECT_ROOT / ".ci" / "audit.py")
assert spec is not None and spec.loader is not None
audit = importlib.util.module_from_spec(spec)
spec.loader.exec_module(audit)

ADVISORY = {"id": "GHSA-xxxx", "aliases": ["CVE-2026-1"], "fix_versions": [], "description": "server only"}


@pytest.fixture
def sources(monkeypatch):
    """Two installed packages; what pip-audit and PyPI's project data say is set per test."""
    state: dict = {"pip_audit": None, "project": {}}
    monkeypatch.setattr(audit, "installed", lambda: {"alpha": "1.0", "beta": "2.0"})
    monkeypatch.setattr(audit, "run_pip_audit", lambda: state["pip_audit"])
    monkeypatch.setattr(audit, "project_vulnerabilities", lambda name, version: state["project"].get(name))
    return state


def run(monkeypatch, tmp_path, accepted: dict[str, str]) -> int:
    path = tmp_path / "accepted.json"
    path.write_text(json.dumps(accepted))
    monkeypatch.setattr("sys.argv", ["audit.py", "--accepted", str(path)])
    return audit.main()


def test_nothing_checked_fails_loudly(sources, monkeypatch, tmp_path, capsys):
    assert run(monkeypatch, tmp_path, {}) == 3
    captured = capsys.readouterr()
    assert "checked: 0 (0 by pip-audit, 0 from PyPI's project data); not checked: 2." in captured.out
    assert "AUDIT FAILED: no package could be checked" in captured.err


def test_a_vulnerability_fails_unless_accepted_with_a_reason(sources, monkeypatch, tmp_path, capsys):
    sources["pip_audit"] = {"alpha": []}
    sources["project"] = {"beta": [ADVISORY]}
    assert run(monkeypatch, tmp_path, {}) == 1
    out = capsys.readouterr().out
    assert "checked: 2 (1 by pip-audit, 1 from PyPI's project data); not checked: 0." in out
    assert "VULNERABLE: beta 2.0 CVE-2026-1/GHSA-xxxx fixed in no release" in out
    assert run(monkeypatch, tmp_path, {"CVE-2026-1": "only the server is affected"}) == 0
    assert "accepted: beta 2.0 CVE-2026-1/GHSA-xxxx fixed in no release — only the server is affected" in (
        capsys.readouterr().out
    )


def test_packages_that_could_not_be_checked_are_named(sources, monkeypatch, tmp_path, capsys):
    sources["project"] = {"alpha": []}
    assert run(monkeypatch, tmp_path, {}) == 0
    assert "Not checked (not at their latest release, and per-version data unavailable): beta 2.0" in (
        capsys.readouterr().out
    )
