"""A clean install is quiet and says what it does: the license is an SPDX expression (no setuptools
deprecation warning on every build, with the setuptools that reads it), the version has one source,
and ``.ci/run`` names each Debian package it is about to install, and why, before installing it."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import fitbit_sync

ROOT = Path(__file__).resolve().parents[2]


def test_license_is_an_spdx_string_for_a_setuptools_that_reads_it() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert config["project"]["license"] == "MIT"  # a table is deprecated by setuptools >= 77
    [setuptools] = [r for r in config["build-system"]["requires"] if r.startswith("setuptools")]
    minimum = re.fullmatch(r"setuptools>=(\d+)(\.\d+)*", setuptools)
    assert minimum and int(minimum[1]) >= 77, setuptools  # the first that takes an SPDX string
    assert not [c for c in config["project"].get("classifiers", []) if c.startswith("License ::")]
    assert config["project"]["dynamic"] == ["version"]
    assert config["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "fitbit_sync.__version__"}
    assert fitbit_sync.__version__


def _stub(path: Path, body: str) -> None:
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)


def test_ci_run_names_each_apt_package_and_why_before_installing(tmp_path: Path) -> None:
    """``.ci/run`` as root on a machine missing everything (stubs for ``id``, ``apt-get`` and
    python3; ``scripts/venv.sh`` stops the run right after the apt step)."""
    repo = tmp_path / "repo"
    (repo / ".ci").mkdir(parents=True)
    (repo / "scripts").mkdir()
    shutil.copy(ROOT / ".ci" / "run", repo / ".ci" / "run")
    _stub(repo / "scripts" / "venv.sh", "echo 'venv.sh reached'; exit 3")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _stub(bin_dir / "id", "echo 0")
    _stub(bin_dir / "apt-get", 'echo "apt-get called: $*" >&2')  # stderr: .ci/run hides apt's stdout
    _stub(bin_dir / "python3", "exit 1")  # no venv module
    for tool in ("bash", "date", "ls", "dirname"):
        found = shutil.which(tool)
        assert found
        (bin_dir / tool).symlink_to(found)
    bash = shutil.which("bash")
    assert bash
    env = {"PATH": str(bin_dir), "HOME": str(tmp_path)}
    done = subprocess.run([bash, str(repo / ".ci" / "run")], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=60, cwd=tmp_path, check=False)
    lines = done.stdout.splitlines()  # stdout and stderr in the order they were written
    assert done.returncode == 3 and "venv.sh reached" in lines, done.stdout
    first_call = next(i for i, line in enumerate(lines) if line.startswith("apt-get called:"))
    install = next(line for line in lines if line.startswith("apt-get called: install"))
    packages = [p for p in install.split()[3:] if not p.startswith("-")]
    assert {"influxdb", "chromium"} <= set(packages), install
    announced = "\n".join(lines[:first_call])
    for package in packages:
        reason = rf"^   (\S+ )*{re.escape(package)}( \S+)*: \w.+$"  # "   influxdb influxdb-client: why"
        assert re.search(reason, announced, re.MULTILINE), (package, announced)
    assert "python3-venv" in packages  # which scripts/venv.sh would otherwise install without a word
