"""Real local receivers for ticket deliveries: an HTTP endpoint that can go down, and SMTP."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from tests.conftest import free_port


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HttpReceiver:
    """Records every POST; answers `status` (503 to play a receiver that is down)."""

    url: str
    requests: list[Received] = field(default_factory=list)
    status: int = 200


class _QuietHandler(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def _serving(port: int, handler: type[BaseHTTPRequestHandler]) -> Iterator[None]:
    """An HTTP server on loopback in a thread, for the length of the block."""
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def http_receiver() -> Iterator[HttpReceiver]:
    port = free_port()
    receiver = HttpReceiver(f"http://127.0.0.1:{port}")

    class Handler(_QuietHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            receiver.requests.append(Received(self.path, dict(self.headers.items()), body))
            self.send_response(receiver.status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"ticket": {"id": 1}}')

    with _serving(port, Handler):
        yield receiver


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(message_from_bytes(envelope.original_content or envelope.content))
        return "250 OK"


@contextmanager
def smtp_receiver() -> Iterator[tuple[str, list[Message]]]:
    """A real SMTP server (aiosmtpd) on loopback: its `smtp://` URL and the messages it got."""
    inbox = _Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}", inbox.messages
    finally:
        controller.stop()


@dataclass
class Issue:
    number: int
    title: str
    body: str
    labels: list[str]
    assignees: list[str]
    comments: list[str] = field(default_factory=list)


@dataclass
class GitHubReceiver:
    """GitHub Issues' REST shape: `POST /repos/{owner}/{repo}/issues` and
    `.../issues/{number}/comments`, with a bearer token. A request repeating an
    `Idempotency-Key` gets the first answer again and changes nothing. `fail_next` answers
    that many requests 500 before doing anything; `lose_next` does that many, then answers
    500 (a success whose answer was lost)."""

    url: str
    token: str
    repo: str
    issues: dict[int, Issue] = field(default_factory=dict)
    requests: list[Received] = field(default_factory=list)
    answered: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    fail_next: int = 0
    lose_next: int = 0

    def handle(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        self.requests.append(Received(path, headers, body))
        if headers.get("Authorization") != f"Bearer {self.token}":
            return 401, b'{"message": "Bad credentials"}'
        key = headers.get("Idempotency-Key")
        if key and key in self.answered:
            return self.answered[key]
        if self.fail_next:
            self.fail_next -= 1
            return 500, b'{"message": "Server Error"}'
        document = json.loads(body)
        prefix = f"/repos/{self.repo}/issues"
        if path == prefix:
            number = len(self.issues) + 1
            self.issues[number] = Issue(
                number,
                document["title"],
                document["body"],
                list(document.get("labels", [])),
                list(document.get("assignees", [])),
            )
            answer = {"number": number, "html_url": f"https://github.test/{self.repo}/{number}"}
            status = 201
        elif path.startswith(prefix + "/") and path.endswith("/comments"):
            number = int(path[len(prefix) + 1 :].removesuffix("/comments"))
            if number not in self.issues:
                return 404, b'{"message": "Not Found"}'
            self.issues[number].comments.append(document["body"])
            answer = {"id": sum(len(i.comments) for i in self.issues.values())}
            status = 201
        else:
            return 404, b'{"message": "Not Found"}'
        result = (status, json.dumps(answer).encode())
        if key:
            self.answered[key] = result
        if self.lose_next:
            self.lose_next -= 1
            return 500, b'{"message": "Server Error"}'
        return result


@contextmanager
def github_receiver(token: str = "gh-token", repo: str = "acme/app") -> Iterator[GitHubReceiver]:
    """A GitHub-shaped issues API on loopback; its `url` is the API's base URL."""
    port = free_port()
    receiver = GitHubReceiver(f"http://127.0.0.1:{port}", token, repo)
    lock = threading.Lock()

    class Handler(_QuietHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with lock:
                status, answer = receiver.handle(self.path, dict(self.headers.items()), body)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

    with _serving(port, Handler):
        yield receiver
