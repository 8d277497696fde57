"""Alert receivers on 127.0.0.1 for tests: a webhook (http.server) and an SMTP server
(aiosmtpd). Each records what it received; either can start late or answer errors."""

from __future__ import annotations

import json
import socket
import threading
from collections import Counter
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    """Return a port on 127.0.0.1 nothing listens on (yet)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _HookHandler(BaseHTTPRequestHandler):
    receiver: WebhookReceiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        status = self.receiver.status
        (self.receiver.posts if status < 300 else self.receiver.refused).append(json.loads(body))
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


class WebhookReceiver:
    """A JSON webhook on 127.0.0.1 answering `status`; `posts` holds what it accepted."""

    def __init__(self, status: int = 200):
        self.status = status
        self.posts: list[dict[str, Any]] = []
        self.refused: list[dict[str, Any]] = []
        handler = type("Handler", (_HookHandler,), {"receiver": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The Apprise URL that posts JSON here."""
        return f"json://127.0.0.1:{self._server.server_port}/hook"

    def alerts(self) -> list[dict[str, Any]]:
        """The accepted alerts, as the JSON document each post carried in "message"."""
        return [json.loads(post["message"]) for post in self.posts]

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


class SmtpReceiver:
    """An SMTP server on 127.0.0.1, on a port fixed in advance so that it can start late;
    use as a context manager (it closes its event loop on exit)."""

    def __init__(self) -> None:
        self.port = free_port()
        self._mailbox = _Mailbox()
        self._controller = Controller(self._mailbox, hostname="127.0.0.1", port=self.port)
        self.running = False

    @property
    def url(self) -> str:
        return f"mailto://127.0.0.1:{self.port}?from=tnmt@example.vn&to=ops@example.vn"

    @property
    def messages(self) -> list[EmailMessage]:
        return self._mailbox.messages

    def subjects(self) -> Counter[str]:
        return Counter(str(message["Subject"]) for message in self.messages)

    def start(self) -> None:
        self._controller.start()
        self.running = True

    def __enter__(self) -> SmtpReceiver:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.running:
            self._controller.stop()
        self._controller.loop.close()
