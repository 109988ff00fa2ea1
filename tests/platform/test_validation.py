"""Checks every request passes before anything runs."""

from __future__ import annotations

import pytest

from tests.sessions import Client


@pytest.mark.parametrize(
    "path",
    [
        "/demo/static/%00",
        "/admin/static/%00",
        "/admin/static/admin.css%00.png",
        "/demo/%00",
        "/widget/%00.js",
    ],
)
def test_a_nul_byte_in_a_path_is_a_404_problem(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
