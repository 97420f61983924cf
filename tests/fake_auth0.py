"""A small local fake of Auth0's Management API (logs and log streams), as Auth0 documents it, on loopback.

- POST /oauth/token (client credentials) returns a token; every API call must carry it.
- GET /api/v2/logs: a search (sort=date:1, per_page, page, q=date:[X TO *]) or a checkpoint page
  (from=<log id>, take=<n>: the logs after it in log_id order, with a Link rel="next" header; an empty
  page links to itself).
- GET /api/v2/log-streams.
- Faults on demand: ``rate_limit_once`` answers one 429 with X-RateLimit-Reset; ``fail_after_pages``
  answers 500 to every checkpoint page after that many; ``lag_after`` (a log id) hides every later log
  from checkpoint pages, as a lagging log store does, while searches still find them; ``empty_pages``
  answers that many checkpoint pages empty, then recovers; ``not_json_once`` answers one page with a body
  cut short; ``refuse`` answers every API call 401 or 403 as Auth0 does for an "expired" or "invalid"
  token, or one "without_scope"; ``latency`` (seconds) delays every answer.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOKEN = "fake-management-token"
CLIENT_SECRET = "secret"  # what tests/test_backfill.py api() sends


def moment(text: str) -> datetime:
    """A date as Auth0's search compares them (not as text)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class FakeAuth0:
    def __init__(self, logs: list[dict[str, Any]], streams: list[dict[str, Any]] | None = None) -> None:
        self.logs = sorted(logs, key=lambda log: log["log_id"])
        self.streams = streams or []
        self.rate_limit_once = False
        self.fail_after_pages: int | None = None
        self.pages_served = 0
        self.lag_after: str | None = None
        self.empty_pages = 0
        self.not_json_once = False
        self.refuse: str | None = None
        self.latency = 0.0
        self.rate_limit: int | None = None  # requests per second, said in x-ratelimit-* and enforced
        self._second, self._in_second = 0, 0
        self.limited = 0  # 429s answered for going over rate_limit
        self.lock = threading.Lock()
        self.requests: list[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                if self.path == "/oauth/token" and body.get("grant_type") == "client_credentials":
                    if body.get("client_secret") != CLIENT_SECRET:  # Auth0's answer to a wrong secret
                        self.answer(401, {"error": "access_denied", "error_description": "Unauthorized"})
                        return
                    fake.refuse = None if fake.refuse == "expired" else fake.refuse  # a new token
                    self.answer(200, {"access_token": TOKEN, "token_type": "Bearer", "expires_in": 86400})
                else:
                    self.answer(403, {"error": "access_denied"})

            def do_GET(self) -> None:
                fake.requests.append(self.path)
                time.sleep(fake.latency)
                if fake.rate_limit is not None:  # a token bucket of rate_limit a second, as Auth0 states it
                    with fake.lock:
                        second = int(time.time())
                        if second != fake._second:
                            fake._second, fake._in_second = second, 0
                        fake._in_second += 1
                        over = fake._in_second > fake.rate_limit
                        fake.limited += over
                    if over:
                        self.answer(429, {"statusCode": 429}, self.limits(0, second + 1))
                        return
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    self.answer(401, {"statusCode": 401, "error": "Unauthorized", "message": "Invalid token"})
                    return
                if fake.refuse:  # Auth0's answers (Management API v2 errors)
                    self.answer(*{
                        "expired": (401, {"statusCode": 401, "error": "Unauthorized",
                                          "message": "Expired token received for JSON Web Token validation",
                                          "attributes": {"error": "Expired token"}}),
                        "invalid": (401, {"statusCode": 401, "error": "Unauthorized", "message": "Invalid token"}),
                        "without_scope": (403, {"statusCode": 403, "error": "Forbidden", "errorCode": "insufficient_scope",
                                                "message": "Insufficient scope, expected any of: read:logs"}),
                    }[fake.refuse])  # fmt: skip
                    return
                url = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                if fake.rate_limit_once:
                    fake.rate_limit_once = False
                    self.answer(429, {"statusCode": 429}, {"X-RateLimit-Reset": str(int(time.time()) + 1)})
                elif url.path == "/api/v2/log-streams":
                    self.answer(200, fake.streams)
                elif url.path == "/api/v2/logs" and "from" in query:
                    self.checkpoint(query)
                elif url.path == "/api/v2/logs":
                    self.search(query)
                else:
                    self.answer(404, {"statusCode": 404})

            def checkpoint(self, query: dict[str, str]) -> None:
                if fake.fail_after_pages is not None and fake.pages_served >= fake.fail_after_pages:
                    self.answer(500, {"statusCode": 500})
                    return
                fake.pages_served += 1
                if fake.not_json_once:
                    fake.not_json_once = False
                    self.raw(200, b'[{"log_id": "9001", "date": "2026-11')
                    return
                take = min(int(query.get("take", 50)), 100)
                after = [log for log in fake.logs if log["log_id"] > query["from"]
                         and (fake.lag_after is None or log["log_id"] <= fake.lag_after)][:take]  # fmt: skip
                if fake.empty_pages:
                    fake.empty_pages -= 1
                    after = []
                next_from = after[-1]["log_id"] if after else query["from"]
                base = f"http://{self.headers['Host']}/api/v2/logs"
                link = f'<{base}?{urllib.parse.urlencode({"from": next_from, "take": take})}>; rel="next"'
                self.answer(200, after, {"Link": link})

            def search(self, query: dict[str, str]) -> None:
                logs = sorted(fake.logs, key=lambda log: log["date"])
                q = query.get("q", "")
                if q.startswith(("date:[", "date:{")):  # Lucene ranges: [ ] include their end, { } exclude it
                    low, high = q[len("date:[") : -1].split(" TO ")
                    keep = []
                    for log in logs:
                        at = moment(log["date"])
                        above = low == "*" or (at >= moment(low) if q[5] == "[" else at > moment(low))
                        below = high == "*" or (at <= moment(high) if q[-1] == "]" else at < moment(high))
                        if above and below:
                            keep.append(log)
                    logs = keep
                per_page, page = int(query.get("per_page", 50)), int(query.get("page", 0))
                self.answer(200, logs[page * per_page : (page + 1) * per_page])

            def answer(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                self.raw(status, json.dumps(body).encode(), headers)

            def limits(self, remaining: int, reset: int) -> dict[str, str]:
                return {"x-ratelimit-limit": str(fake.rate_limit), "x-ratelimit-remaining": str(remaining),
                        "x-ratelimit-reset": str(reset), "X-RateLimit-Reset": str(reset)}  # fmt: skip

            def raw(self, status: int, data: bytes, headers: dict[str, str] | None = None) -> None:
                if fake.rate_limit is not None and status == 200:
                    headers = {**(headers or {}), **self.limits(max(0, fake.rate_limit - fake._in_second),
                                                                int(time.time()) + 1)}  # fmt: skip
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeAuth0:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
