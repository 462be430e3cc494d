"""Run the command line in this process: ``cli(*args) -> (exit code, stdout, stderr)``."""

from __future__ import annotations

import pytest


@pytest.fixture
def cli(capsys, monkeypatch, tmp_path):
    from selfsim.cli import main

    monkeypatch.chdir(tmp_path)

    def run(*args: object) -> tuple[int, str, str]:
        capsys.readouterr()
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # argparse refusals
            code = int(exc.code or 0)
        out = capsys.readouterr()
        return code, out.out, out.err

    return run
