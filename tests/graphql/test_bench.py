"""The request-path benchmark runs end to end in a process of its own (its figures are printed, never\nasserted; it opens its own database)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest


OPERATIONS = ("customer_detail", "customer_page", "customer_nested", "ticket_queue", "log_interaction")
LINE = re.compile(r"^(\w+)\s+wall median\s+[\d.]+ ms\s+p90\s+[\d.]+ ms\s+cpu median\s+[\d.]+ ms\s+(\d+) statements\s+(\d+) rows", re.M)


@pytest.mark.slow
def test_the_benchmark_prints_a_line_per_operation_on_the_demo_data(tmp_path) -> None:
    done = subprocess.run([sys.executable, "-m", "rapport.graphql.bench", "--requests", "3"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = {name: (int(statements), int(rows)) for name, statements, rows in LINE.findall(done.stdout)}
    assert tuple(lines) == OPERATIONS, done.stdout
    assert all(statements > 0 for statements, _ in lines.values())
    assert lines["customer_page"][1] == lines["customer_nested"][1] == 50, lines  # full pages, as the figures claim
    assert 0 < lines["ticket_queue"][1] <= 50, lines


@pytest.mark.slow
def test_an_unknown_persona_is_a_clear_error(tmp_path) -> None:
    done = subprocess.run([sys.executable, "-m", "rapport.graphql.bench", "--as", "nobody@example.com"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1 and "no agent 'nobody@example.com'" in done.stderr
