"""Dashboard users: created from the command line, stored with argon2id hashes."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from server.admin.users import UserError, UserStore
from server.platform.database import create_database_engine, migrate
from server.settings import Settings
from server.tables import users
from tests.conftest import SAMPLE_KB, cli_env, frontdesk


@pytest.fixture
def store(tmp_path: Path, database_url: str) -> Iterator[UserStore]:
    """On SQLite and on PostgreSQL."""
    engine = create_database_engine(Settings(data_dir=tmp_path, database_url=database_url))
    migrate(engine)
    yield UserStore(engine)
    engine.dispose()


def test_a_user_logs_in_with_the_right_password_only(store: UserStore) -> None:
    created = store.create("Lead@Example.com", "correct horse battery", "admin")
    assert created.email == "lead@example.com" and created.role == "admin"
    assert store.authenticate("lead@example.com", "correct horse battery") == created
    assert store.authenticate(" LEAD@example.com ", "correct horse battery") == created
    assert store.authenticate("lead@example.com", "wrong password!!") is None
    assert store.authenticate("nobody@example.com", "correct horse battery") is None
    with store.engine.connect() as db:
        stored = db.execute(select(users.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and "correct horse" not in stored


@pytest.mark.parametrize(
    ("email", "password", "role", "field"),
    [
        ("not-an-email", "long enough password", "viewer", "email"),
        ("a@example.com", "short", "viewer", "password"),
        ("a@example.com", "long enough password", "owner", "role"),
    ],
)
def test_bad_users_are_refused_naming_the_field(
    store: UserStore, email: str, password: str, role: str, field: str
) -> None:
    with pytest.raises(UserError, match=f"^{field}:"):
        store.create(email, password, role)  # type: ignore[arg-type]


def test_an_email_has_one_account(store: UserStore) -> None:
    store.create("a@example.com", "long enough password", "viewer")
    with pytest.raises(UserError, match="already has an account"):
        store.create("A@example.com", "another long password", "admin")


def test_create_user_command(tmp_path: Path) -> None:
    env = cli_env(tmp_path / "data", SAMPLE_KB)
    command = frontdesk(
        "admin", "create-user", "lead@example.com", "--role", "admin", "--password-stdin"
    )
    done = subprocess.run(
        command, env=env, input="correct horse battery\n", capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "created admin lead@example.com"
    again = subprocess.run(
        command, env=env, input="correct horse battery\n", capture_output=True, text=True
    )
    assert again.returncode == 1 and "already has an account" in again.stderr
    engine = create_database_engine(Settings(data_dir=tmp_path / "data"))
    assert UserStore(engine).authenticate("lead@example.com", "correct horse battery") is not None
    engine.dispose()
