"""A small client of Auth0's Management API for the operator commands: the tenant's logs and log streams.

- Credentials: ``AUTH0_API_TOKEN``, or ``AUTH0_CLIENT_ID`` and ``AUTH0_CLIENT_SECRET`` (client credentials
  grant; scopes ``read:logs`` and ``read:log_streams``). ``AUTH0_DOMAIN`` names the tenant (else the
  environment's ``[auth0].domain``); ``AUTH0_BASE_URL`` overrides ``https://<domain>`` (tests, private
  deployments).
- Logs by checkpoint (``from`` + ``take``, then the ``Link: <…>; rel="next"`` URL), as Auth0 recommends
  for export: ordered by log_id, without the 1,000-result limit of searches.
  https://auth0.com/docs/deploy-monitor/logs/retrieve-log-events-using-mgmt-api
- A 429 waits until ``X-RateLimit-Reset`` (epoch seconds); 5xx answers and broken connections are retried
  with backoff. https://auth0.com/docs/troubleshoot/customer-support/operational-policies/rate-limit-policy
"""

from __future__ import annotations

import json
import math
import os
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ops.common import OperatorError

TAKE = 100  # the most Auth0 returns per request
ATTEMPTS = 6
LINK_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


# Until Auth0 says its limit (x-ratelimit-limit, requests per second), ask at the lowest plan's rate.
DEFAULT_RATE = 2.0


class RateLimit:
    """Requests spaced to the tenant's rate limit, shared by every thread of a run: Auth0 states its limit in
    each answer (x-ratelimit-limit, requests per second; x-ratelimit-remaining; x-ratelimit-reset), and this
    asks at that rate, no faster. https://auth0.com/docs/troubleshoot/customer-support/operational-policies/rate-limit-policy
    """

    def __init__(self, per_second: float = DEFAULT_RATE, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_second, self.clock = per_second, clock
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self, sleep: Callable[[float], None]) -> None:
        with self._lock:
            now = self.clock()
            start = max(now, self._next)
            self._next = start + 1.0 / self.per_second
        if start > now:
            sleep(start - now)

    def learn(self, headers: Mapping[str, str]) -> None:
        limit = next((v for k, v in headers.items() if k.lower() == "x-ratelimit-limit"), None)
        try:
            value = float(limit) if limit is not None else math.nan
        except ValueError:
            return
        if math.isfinite(value) and value > 0:
            self.per_second = value


class Auth0Unavailable(OperatorError):
    """Auth0 could not be reached or kept failing: the operation stops where it is, resumable."""


def credentials_from(environ: Mapping[str, str], domain: str | None) -> tuple[str, str, dict[str, str]] | None:
    """(base URL, domain, credentials) from the environment, or None when there are none."""
    domain = environ.get("AUTH0_DOMAIN") or domain
    if not domain:
        return None
    if environ.get("AUTH0_API_TOKEN"):
        secrets = {"token": environ["AUTH0_API_TOKEN"]}
    elif environ.get("AUTH0_CLIENT_ID") and environ.get("AUTH0_CLIENT_SECRET"):
        secrets = {"client_id": environ["AUTH0_CLIENT_ID"], "client_secret": environ["AUTH0_CLIENT_SECRET"]}
    else:
        return None
    return environ.get("AUTH0_BASE_URL", f"https://{domain}").rstrip("/"), domain, secrets


class Auth0Api:
    def __init__(
        self,
        base_url: str,
        domain: str,
        secrets: Mapping[str, str],
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        out: Callable[[str], None] = print,
    ) -> None:
        self.base_url, self.domain, self.secrets = base_url, domain, dict(secrets)
        self.sleep, self.clock, self.out = sleep, clock, out
        self._token = self.secrets.get("token")
        self.rate = RateLimit()

    @classmethod
    def from_environment(cls, environ: Mapping[str, str], domain: str | None, **kwargs: Any) -> Auth0Api | None:
        found = credentials_from(environ, domain)
        return cls(*found, **kwargs) if found else None

    # --- HTTP ---------------------------------------------------------------------------

    def token(self) -> str:
        if self._token is None:
            body = {
                "grant_type": "client_credentials",
                "client_id": self.secrets["client_id"],
                "client_secret": self.secrets["client_secret"],
                "audience": f"https://{self.domain}/api/v2/",
            }
            answer, _ = self._request("POST", f"{self.base_url}/oauth/token", body=body, authorized=False)
            self._token = answer["access_token"]
        return self._token

    def get(self, path_or_url: str, params: Mapping[str, Any] | None = None) -> tuple[Any, Mapping[str, str]]:
        url = path_or_url if path_or_url.startswith("http") else f"{self.base_url}{path_or_url}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        return self._request("GET", url)

    def _request(
        self, method: str, url: str, *, body: Any = None, authorized: bool = True
    ) -> tuple[Any, Mapping[str, str]]:
        where = url.split("?", maxsplit=1)[0]
        refreshed = False
        for attempt in range(1, ATTEMPTS + 1):
            headers = {"Accept": "application/json"}
            if authorized:
                headers["Authorization"] = f"Bearer {self.token()}"
            data = None
            if body is not None:
                data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
            request = urllib.request.Request(url, data=data, method=method, headers=headers)
            self.rate.wait(self.sleep)
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    self.rate.learn(response.headers)
                    text = response.read()
                    try:
                        return json.loads(text or b"null"), dict(response.headers)
                    except ValueError:  # a proxy's page, a body cut short: worth asking again
                        problem = f"Auth0 answered {len(text)} bytes that are not JSON for {where}"
            except urllib.error.HTTPError as error:
                self.rate.learn(error.headers)
                if error.code == 429:
                    reset = float(error.headers.get("X-RateLimit-Reset") or self.clock() + 1)
                    wait = max(0.0, reset - self.clock()) + 0.5
                    self.out(f"  Auth0 rate limit reached: waiting {wait:.0f} s, until X-RateLimit-Reset")
                    self.sleep(wait)
                    continue
                if error.code in (401, 403):
                    answer = _answer(error)
                    if authorized and _expired(answer) and "client_id" in self.secrets and not refreshed:
                        self._token, refreshed = None, True  # a token of ours that expired: get a new one
                        continue
                    raise OperatorError(_refusal(error.code, answer, where, authorized, self.secrets)) from None
                if error.code < 500:
                    raise Auth0Unavailable(f"Auth0 answered {error.code} for {where}") from None
                problem = f"Auth0 answered {error.code} for {where}"
            except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
                problem = f"cannot reach Auth0 at {self.base_url}: {error}"
            if attempt == ATTEMPTS:
                raise Auth0Unavailable(problem)
            wait = min(30.0, 2.0**attempt)
            self.out(f"  {problem}: asking again in {wait:.0f} s (attempt {attempt + 1} of {ATTEMPTS})")
            self.sleep(wait)
        raise Auth0Unavailable(f"Auth0 kept limiting the rate for {where}")

    # --- logs ----------------------------------------------------------------------------

    def first_log(self, since: str | None = None) -> dict[str, Any] | None:
        """The oldest log Auth0 still holds, or the first at or after ``since`` (ISO 8601): a search."""
        params: dict[str, Any] = {"sort": "date:1", "per_page": 1, "page": 0}
        if since:
            params["q"] = f"date:[{since} TO *]"
        logs, _ = self.get("/api/v2/logs", params)
        return logs[0] if logs else None

    def first_log_between(self, after: str, before: str) -> dict[str, Any] | None:
        """The first log dated after ``after`` and before ``before`` (ISO 8601, both excluded): a search, to
        tell a tenant with nothing more to give from a checkpoint read that stopped early."""
        params = {"sort": "date:1", "per_page": 1, "page": 0, "q": f"date:{{{after} TO {before}}}"}
        logs, _ = self.get("/api/v2/logs", params)
        return logs[0] if logs else None

    def logs_after(self, log_id: str) -> Iterator[list[dict[str, Any]]]:
        """Pages of the logs after ``log_id``, in log_id order, until Auth0 has no more (checkpoint mode)."""
        url = f"{self.base_url}/api/v2/logs?" + urllib.parse.urlencode({"from": log_id, "take": TAKE})
        while True:
            logs, headers = self.get(url)
            if not logs:
                return
            yield logs
            link = next((v for k, v in headers.items() if k.lower() == "link"), "")
            match = LINK_NEXT.search(link)
            if match is None:
                return
            url = match.group(1)

    def log_streams(self) -> list[dict[str, Any]]:
        streams, _ = self.get("/api/v2/log-streams")
        return streams


def _answer(error: urllib.error.HTTPError) -> dict[str, Any]:
    try:
        answer = json.loads(error.read() or b"{}")
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


def _expired(answer: Mapping[str, Any]) -> bool:
    return "expired" in f"{answer.get('message', '')} {answer.get('error_description', '')}".lower()


def _refusal(code: int, answer: Mapping[str, Any], where: str, authorized: bool, secrets: Mapping[str, str]) -> str:
    """What Auth0's 401 or 403 means, from its answer: the wrong client secret, a token that expired or is
    not valid, or a token without the scope. https://auth0.com/docs/api/management/v2#!/Logs/get_logs"""
    said = answer.get("message") or answer.get("error_description") or answer.get("error") or ""
    if not authorized:
        return (
            f"Auth0 refused the client credentials ({code}: {said}): check AUTH0_CLIENT_ID and "
            "AUTH0_CLIENT_SECRET, and that the application may use the Management API (client credentials)"
        )
    if _expired(answer):
        return (f"the Auth0 token has expired ({said}): set a new AUTH0_API_TOKEN, or use AUTH0_CLIENT_ID and "
                "AUTH0_CLIENT_SECRET")  # fmt: skip
    if code == 403 or "scope" in str(said).lower():
        return (
            f"Auth0 refused {where} ({code}: {said}): the token lacks a scope; it needs read:logs (and "
            "read:log_streams for make verify)"
        )
    source = "AUTH0_API_TOKEN" if "token" in secrets else "the token from AUTH0_CLIENT_ID"
    tenant = where.split("/api", maxsplit=1)[0]
    return f"Auth0 did not accept {source} ({code}: {said or 'invalid token'}): is it a token of {tenant}?"


def from_os_environment(domain: str | None, **kwargs: Any) -> Auth0Api | None:
    return Auth0Api.from_environment(os.environ, domain, **kwargs)
