"""Dashboard users: created from the command line, passwords hashed with argon2id."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError

from server.tables import users

Role = Literal["admin", "viewer"]
MIN_PASSWORD = 12
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
_DUMMY = _hasher.hash("a password nobody has")  # equal work for unknown emails


class UserError(ValueError):
    """A user that cannot be created; the message says which field is wrong."""


@dataclass(frozen=True)
class User:
    id: int
    email: str
    role: Role


@dataclass(frozen=True)
class UserStore:
    engine: Engine

    def create(self, email: str, password: str, role: Role) -> User:
        try:
            email = validate_email(email, check_deliverability=False).normalized.lower()
        except EmailNotValidError as exc:
            raise UserError(f"email: {exc}") from None
        if len(password) < MIN_PASSWORD:
            raise UserError(f"password: use at least {MIN_PASSWORD} characters")
        if role not in ("admin", "viewer"):
            raise UserError("role: must be admin or viewer")
        row = {
            "email": email,
            "password_hash": _hasher.hash(password),
            "role": role,
            "created_at": int(time.time() * 1000),
        }
        try:
            with self.engine.begin() as db:
                new_id = db.execute(users.insert().values(**row).returning(users.c.id)).scalar_one()
        except IntegrityError:
            raise UserError(f"email: {email} already has an account") from None
        return User(int(new_id), email, role)

    def authenticate(self, email: str, password: str) -> User | None:
        """The user if the password is right; the same work is done when the email is unknown."""
        with self.engine.connect() as db:
            row = db.execute(select(users).where(users.c.email == email.strip().lower())).first()
        stored = row.password_hash if row else _DUMMY
        try:
            _hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        if row is None:
            return None
        if _hasher.check_needs_rehash(stored):  # parameters got stronger since it was hashed
            with self.engine.begin() as db:
                db.execute(
                    update(users)
                    .where(users.c.id == row.id)
                    .values(password_hash=_hasher.hash(password))
                )
        return User(row.id, row.email, row.role)

    def get(self, user_id: int) -> User | None:
        with self.engine.connect() as db:
            row = db.execute(select(users).where(users.c.id == user_id)).first()
        return User(row.id, row.email, row.role) if row else None

    def any(self) -> bool:
        """Whether anyone can log in yet."""
        with self.engine.connect() as db:
            return db.execute(select(users.c.id).limit(1)).first() is not None
