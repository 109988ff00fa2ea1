"""Page patterns: validation and matching against page URLs."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ingest.pages import PatternError, matches, validate_pattern
from tests.conftest import ROOT


@pytest.mark.parametrize(
    ("pattern", "url"),
    [
        ("/settings/billing*", "https://app.example.com/settings/billing/invoices?tab=2#x"),
        ("/settings/billing*", "/settings/billing"),
        ("/projects/:id/board", "/projects/42/board/"),
        ("/", "https://app.example.com/"),
        ("/time", "/time/"),
    ],
)
def test_pattern_matches_page(pattern: str, url: str) -> None:
    assert matches(pattern, url)


@pytest.mark.parametrize(
    ("pattern", "url"),
    [
        ("/projects/:id/board", "/projects/42/x/board"),
        ("/dashboard", "/dashboard2"),
        ("/settings/billing", "/settings/billing/plan"),
    ],
)
def test_pattern_does_not_match_other_pages(pattern: str, url: str) -> None:
    assert not matches(pattern, url)


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("settings", "must start with '/'"),
        ("/a b", "whitespace"),
        ("/a?tab=1", r"without '\?' or '#'"),
        ("/a//b", "empty segment"),
        ("/projects/x:id", "whole segment"),
        ("/<script>", "not allowed"),
    ],
)
def test_bad_pattern_says_why(pattern: str, reason: str) -> None:
    with pytest.raises(PatternError, match=reason):
        validate_pattern(pattern)


def test_stars_match_a_long_route_in_linear_time() -> None:
    """`/a*a*a*b` against a 2,048-character route froze a backtracking matcher for minutes;
    a separate process, so that a regression fails in seconds instead of hanging."""
    probe = (
        "import time\n"
        "from ingest.pages import matches\n"
        "started = time.perf_counter()\n"
        "for stars in ('/a*a*a*b', '/*a*a*a*a*a*a*b*'):\n"
        "    assert not matches(stars, '/' + 'a' * 2047)\n"
        "    assert matches(stars.rstrip('b*') + '*', '/' + 'a' * 2047)\n"
        "print(time.perf_counter() - started)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=20, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    assert float(done.stdout) < 1.0


def test_stars_cross_segments_and_a_parameter_fills_exactly_one() -> None:
    assert matches("/a*b", "/a/x/y/b") and matches("/a*", "/a") and not matches("/a*b", "/a/x/c")
    assert matches("/p/:id/*", "/p/7/x/y") and not matches("/p/:id/x", "/p/7/8/x")
    assert matches("/file.name+(1)", "/file.name+(1)") and not matches("/file.name", "/fileXname")
