"""Page patterns: validation and matching against page URLs."""

from __future__ import annotations

import pytest

from ingest.pages import PatternError, matches, validate_pattern


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
