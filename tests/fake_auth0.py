"""A small local fake of Auth0's Management API (logs and log streams), as Auth0 documents it, on loopback.

- POST /oauth/token (client credentials) returns a token; every API call must carry it.
- GET /api/v2/logs: a search (sort=date:1, per_page, page, q=date:[X TO *]) or a checkpoint page
  (from=<log id>, take=<n>: the logs after it in log_id order, with a Link rel="next" header; an empty
  page links to itself).
- GET /api/v2/log-streams.
- Faults on demand: ``rate_limit_once`` answers one 429 with X-RateLimit-Reset; ``fail_after_pages``
  answers 500 to every checkpoint page after that many.
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
        self.requests: list[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                if self.path == "/oauth/token" and body.get("grant_type") == "client_credentials":
                    self.answer(200, {"access_token": TOKEN, "token_type": "Bearer", "expires_in": 86400})
                else:
                    self.answer(403, {"error": "access_denied"})

            def do_GET(self) -> None:
                fake.requests.append(self.path)
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    self.answer(401, {"statusCode": 401, "error": "Unauthorized"})
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
                take = min(int(query.get("take", 50)), 100)
                after = [log for log in fake.logs if log["log_id"] > query["from"]][:take]
                next_from = after[-1]["log_id"] if after else query["from"]
                base = f"http://{self.headers['Host']}/api/v2/logs"
                link = f'<{base}?{urllib.parse.urlencode({"from": next_from, "take": take})}>; rel="next"'
                self.answer(200, after, {"Link": link})

            def search(self, query: dict[str, str]) -> None:
                logs = sorted(fake.logs, key=lambda log: log["date"])
                if query.get("q", "").startswith("date:["):
                    since = moment(query["q"][len("date:[") :].split(" TO ")[0])
                    logs = [log for log in logs if moment(log["date"]) >= since]
                per_page, page = int(query.get("per_page", 50)), int(query.get("page", 0))
                self.answer(200, logs[page * per_page : (page + 1) * per_page])

            def answer(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
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
