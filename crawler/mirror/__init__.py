"""The offline mirror: saved copies of real sites, served on 127.0.0.1.

Files live under sites/<host>/ laid out by URL path ("/a/" -> "a/index.html"); an optional
sites/<host>/routes.toml maps exact "path?query" keys to a file, a redirect or a status.
The crawler reaches it through its download handler (crawler/mirror/handler.py), which
fetches https://<host>/<path> from http://<address>/<host>/<path>, so the registry's real
entries are what gets crawled.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import os
import socket
import struct
import sys
import threading
import time
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

SITES_DIR = Path(__file__).parent / "sites"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".aspx": "text/html; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".rss": "application/rss+xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}


@dataclass(frozen=True)
class Reply:
    """What the mirror answers for one URL."""

    status: int
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    location: str = ""
    modified: float | None = None  # the file's mtime, for Last-Modified
    etag: str = ""  # the file's ETag (file_etag), set with `modified`
    fault: Fault | None = None  # a .fault sidecar's misbehaviour, for tests


def mirrored_hosts(sites_dir: Path = SITES_DIR) -> list[str]:
    """Return the hosts the mirror has copies of."""
    return sorted(path.name for path in sites_dir.iterdir() if path.is_dir())


@cache
def _routes(site: Path) -> dict[str, Any]:
    routes_file = site / "routes.toml"
    return tomllib.loads(routes_file.read_text("utf-8")) if routes_file.is_file() else {}


def resolve(sites_dir: Path, host: str, path: str, query: str) -> Reply:
    """Return the mirror's reply for https://<host><path>?<query>."""
    site = (sites_dir / host).resolve()
    if not site.is_dir() or site.parent != sites_dir.resolve():
        return Reply(404, b"unknown host")
    routes = _routes(site)
    route = routes.get(f"{path}?{query}" if query else path) or routes.get(path)
    if route is not None:
        if "redirect" in route:
            return Reply(route.get("status", 301), location=route["redirect"])
        if "file" not in route:
            return Reply(route.get("status", 404))
        return _file_reply(site, site / route["file"], route.get("status", 200))
    if query:
        return Reply(404, b"no route for this query")
    relative = unquote(path).lstrip("/")
    target = site / relative / "index.html" if path.endswith("/") else site / relative
    return _file_reply(site, target, 200)


def _file_reply(site: Path, target: Path, status: int) -> Reply:
    target = target.resolve()
    if (not target.is_file() or site not in target.parents or target.name == "routes.toml"
            or target.suffix in INJECTION_SUFFIXES):
        return Reply(404, b"not found")
    status = injected_status(target) or status
    content_type = CONTENT_TYPES.get(target.suffix.lower()) or (
        "text/html; charset=utf-8" if not target.suffix
        else mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    )
    stat = target.stat()  # before the read: a file changed meanwhile gets a new version
    body = target.read_bytes()
    reply = Reply(status, body, content_type, modified=stat.st_mtime,
                  etag=file_etag(body, target, stat))
    fault = injected_fault(target)
    if fault is None:
        return reply
    return Reply(fault.status or status, reply.body, fault.content_type or content_type,
                 modified=None, fault=fault)


# --- conditional GET: the mirror answers like a real server -------------------------------

def validator_headers(reply: Reply) -> dict[str, str]:
    """Return the ETag (from the content) and Last-Modified (from the mtime) of a file reply."""
    if reply.modified is None:
        return {}
    return {"ETag": reply.etag, "Last-Modified": formatdate(reply.modified, usegmt=True)}


_file_etags: dict[tuple[str, int, int], str] = {}


def file_etag(body: bytes, path: Path, stat: os.stat_result) -> str:
    """Return the ETag of a served file's `body` (a hash of its content), hashed once per
    version of the file (its path, mtime and size), as a server keeps it instead of hashing
    every reply."""
    version = (str(path), stat.st_mtime_ns, stat.st_size)
    if version not in _file_etags:
        _file_etags[version] = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    return _file_etags[version]


def not_modified(headers: Mapping[str, str], request_headers: Any) -> bool:
    """Whether a request's If-None-Match / If-Modified-Since match the reply's validators
    (If-None-Match wins when both are sent, as RFC 9110 says)."""
    if not headers:
        return False
    if_none_match = request_headers.get("If-None-Match")
    if if_none_match is not None:
        tags = {tag.strip() for tag in if_none_match.split(",")}
        return "*" in tags or headers["ETag"] in tags
    since = request_headers.get("If-Modified-Since")
    try:
        return since is not None and (
            parsedate_to_datetime(headers["Last-Modified"]) <= parsedate_to_datetime(since))
    except (TypeError, ValueError):
        return False


# --- Failure injection, for tests: sidecar files next to a served file -------------------
# <file>.status holds an HTTP status the file is served with instead (e.g. 500), and
# <file>.delay a number of seconds to wait before answering. Both are read on every request,
# so a test makes a page fail, hang or recover by writing or deleting the sidecar.
INJECTION_SUFFIXES = (".status", ".delay", ".fault")


def injected_status(target: Path) -> int | None:
    """Wait as long as `target`'s .delay sidecar says; return its .status sidecar's code."""
    delay, status = target.with_name(target.name + ".delay"), target.with_name(
        target.name + ".status")
    if delay.is_file():
        time.sleep(float(delay.read_text().strip() or 0))
    return int(status.read_text().strip()) if status.is_file() else None


# <file>.fault is a TOML table describing how the file is served wrong (RELIABILITY.md lists
# what each fault checks):
#   times = 1                    only the first N requests get the fault (default: all)
#   status = 503                 this status instead
#   headers = {Retry-After = "1"}  extra response headers
#   content_type = "text/html"   instead of the suffix's (a missing or wrong charset)
#   transfer = "reset"           the connection is reset before any answer
#            | "truncate"        Content-Length says twice what is sent, then the connection ends
#            | "drip"            the body trickles out in 10 pieces, drip_seconds apart
#            | "gzip"            gzip-encoded; with bomb_megabytes, that many MB of zeros instead
#   drip_seconds = 0.5, bomb_megabytes = 64
# A fault reply carries no validators, so a test never gets a 304 for it.


@dataclass(frozen=True)
class Fault:
    """How a file is served wrong (see the .fault sidecar above)."""

    status: int | None = None
    headers: tuple[tuple[str, str], ...] = ()
    content_type: str = ""
    transfer: str = ""
    drip_seconds: float = 0.5
    bomb_megabytes: int = 0


_fault_hits: dict[Path, int] = {}
_fault_lock = threading.Lock()


def injected_fault(target: Path) -> Fault | None:
    """Return `target`'s .fault sidecar, unless its `times` requests have been used up."""
    sidecar = target.with_name(target.name + ".fault")
    if not sidecar.is_file():
        return None
    table = tomllib.loads(sidecar.read_text("utf-8"))
    with _fault_lock:
        hits = _fault_hits[sidecar] = _fault_hits.get(sidecar, 0) + 1
    if "times" in table and hits > table["times"]:
        return None
    return Fault(status=table.get("status"),
                 headers=tuple((name, str(value))
                               for name, value in table.get("headers", {}).items()),
                 content_type=table.get("content_type", ""),
                 transfer=table.get("transfer", ""),
                 drip_seconds=float(table.get("drip_seconds", 0.5)),
                 bomb_megabytes=int(table.get("bomb_megabytes", 0)))


@cache
def gzip_bomb(megabytes: int) -> bytes:
    """That many megabytes of zeros, gzipped (about a thousandth of the size)."""
    return gzip.compress(bytes(megabytes * 1024 * 1024), compresslevel=9)


class _Handler(BaseHTTPRequestHandler):
    server_version = "tnmt-mirror"
    # Keep-alive, like the real sites: a crawler reuses its connections instead of paying a
    # new connection (and a new server thread) for every page. Every reply says its length.
    protocol_version = "HTTP/1.1"
    sites_dir: Path = SITES_DIR
    request_log: list[tuple[str, int]]
    request_times: list[tuple[str, float]]

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        host, _, rest = parts.path.lstrip("/").partition("/")
        reply = resolve(self.sites_dir, host, "/" + rest, parts.query)
        validators = validator_headers(reply) if reply.status == 200 else {}
        if not_modified(validators, self.headers):
            reply = Reply(304)
        self.request_log.append((self.path, reply.status))
        self.request_times.append((self.path, time.monotonic()))
        if reply.fault is not None and reply.fault.transfer:
            self._send_fault(reply, reply.fault)
            return
        self.send_response(reply.status)
        for name, value in validators.items():
            self.send_header(name, value)
        if reply.location:
            self.send_header("Location", reply.location)
        for name, value in reply.fault.headers if reply.fault else ():
            self.send_header(name, value)
        if reply.status != 304:
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    def _send_fault(self, reply: Reply, fault: Fault) -> None:
        if fault.transfer == "reset":  # SO_LINGER 0: close() sends a RST, not a FIN
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        body = reply.body
        if fault.transfer == "gzip":
            body = gzip_bomb(fault.bomb_megabytes) if fault.bomb_megabytes else gzip.compress(body)
        length = len(body) * 2 if fault.transfer == "truncate" else len(body)
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(length))
        if fault.transfer == "gzip":
            self.send_header("Content-Encoding", "gzip")
        for name, value in fault.headers:
            self.send_header(name, value)
        self.end_headers()
        self.close_connection = True
        step = max(1, len(body) // 10) if fault.transfer == "drip" else len(body) or 1
        try:
            for start in range(0, len(body), step):
                self.wfile.write(body[start:start + step])
                if fault.transfer == "drip":
                    self.wfile.flush()
                    time.sleep(fault.drip_seconds)
        except OSError:
            pass  # the crawler gave up on a slow answer: what the fault is for

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: the crawler reports what matters."""


class _Server(ThreadingHTTPServer):
    # A crawl of many sources opens dozens of connections at once: the default backlog of 5
    # would leave the rest to the kernel's SYN retries, seconds apart.
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet when the client went away mid-reply (a crawl that timed out, gave up on
        a fault or ended): socketserver would print the traceback on stderr from the
        handler's thread, whenever it comes, into whatever output is read then."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class MirrorServer:
    """The mirror on 127.0.0.1, in a background thread; use as a context manager."""

    def __init__(self, sites_dir: Path = SITES_DIR, port: int = 0):
        self.request_log: list[tuple[str, int]] = []  # (path, status) of every request
        # (path, time.monotonic()) of every request, for tests of waits between requests
        self.request_times: list[tuple[str, float]] = []
        handler = type("Handler", (_Handler,), {"sites_dir": sites_dir,
                                                "request_log": self.request_log,
                                                "request_times": self.request_times})
        self._server = _Server(("127.0.0.1", port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self.sites_dir = sites_dir

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self._server.server_port}"

    def __enter__(self) -> MirrorServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
