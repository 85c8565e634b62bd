"""The one place that decides what is a secret and hides it from anything stored or shown.

Three questions, one answer each:
- `uri_secrets(uri)`: the password (and secret query values) of one URL, found with the same
  parsers that will later use the URL: SQLAlchemy's `make_url` and `urllib.parse`, plus a
  last-`@` rule for the forms both get wrong (a password holding `@`, `/` or a space).
- `is_secret_name(name)` / `param_secrets(params)`: parameters whose name or value looks secret.
- `redact(text, ...)`: a message or stored value with every such secret replaced by `***`.

Callers that know the secrets (the parameter values of a run) pass them as `secrets=`, so a
password is hidden wherever it appears, not only where it sits inside a URL.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, unquote, unquote_plus, urlsplit

MASK = "***"

# A URL with userinfo in free text: the password runs to the last `@` on the line, because
# SQLAlchemy accepts `/`, spaces and `@` in it. Over-redacting a line is the safe mistake.
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][\w+.-]*://)(?P<user>[^:/\s]*):(?P<pw>[^\n]*)@")
_SECRET_KEYS = (
    r"password|passwd|pwd|pass|secret|token|sig|signature|x-amz-signature|x-amz-credential|"
    r"x-amz-security-token|aws_secret_access_key|aws_session_token|api_?key|access_?key|"
    r"client_secret|sas|auth|authorization|credentials?"
)
_SECRET_QUERY = re.compile(rf"(?i)(?P<key>[?&;](?:{_SECRET_KEYS})=)[^&;\s]*")
# `Password=...;` in ODBC/ADO connection strings and `password: ...` in free text.
_SECRET_PAIR = re.compile(
    r"(?i)(?P<key>\b(?:password|passwd|pwd|secret|token|api_?key)\s*[=:]\s*)"
    r"(?P<value>\"[^\"]*\"|'[^']*'|[^\s;&,]+)"
)
# Token formats that are secrets wherever they appear (AWS keys, GitHub, Slack, JWT, sk- keys).
_TOKEN = re.compile(
    r"\b(?:AKIA[0-9A-Z]{16}|ASIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{30,}|"
    r"xox[abprs]-[A-Za-z0-9-]{10,}|sk-[A-Za-z0-9_-]{20,}|"
    r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})"
)
# Name segments (split at `_`, `-`, `.` and camelCase) that make a parameter or option secret;
# `max_tokens` or `sort_key` stay visible, `hf_token`, `db_password`, `api_key` do not.
_SECRET_SEGMENTS = frozenset(
    {
        "password",
        "passwd",
        "passphrase",
        "pwd",
        "pw",
        "secret",
        "token",
        "apikey",
        "credential",
        "credentials",
        "creds",
        "pat",
        "privatekey",
        "accesskey",
        "secretkey",
        "sessionkey",
    }
)
_KEY_PAIRS = frozenset({"api", "access", "private", "secret", "session", "auth", "signing"})
_SEGMENT = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
_SECRET_QUERY_NAMES = re.compile(rf"(?i)^(?:{_SECRET_KEYS})$")


def is_secret_name(name: str) -> bool:
    """A parameter, option or query-string name whose value is a credential."""
    parts = [p.lower() for p in _SEGMENT.findall(name)]
    if parts == ["key"] or any(p in _SECRET_SEGMENTS for p in parts):
        return True
    return any(a in _KEY_PAIRS and b == "key" for a, b in itertools.pairwise(parts))


def _last_at_password(uri: str) -> str | None:
    """`scheme://user:PASSWORD@host...` with the password ending at the last `@`."""
    match = re.match(r"[A-Za-z][\w+.-]*://(?P<rest>.*)\Z", uri, re.S)
    if not match or "@" not in match["rest"]:
        return None
    userinfo = match["rest"].rsplit("@", 1)[0]
    user, colon, password = userinfo.partition(":")
    return password if colon and "/" not in user else None


def uri_secrets(uri: str) -> set[str]:
    """Every secret in one URL, raw and decoded: its password and secret query values."""
    found: set[str] = set()
    if not isinstance(uri, str) or "://" not in uri:
        return found
    candidates = [_last_at_password(uri)]
    try:  # SQLAlchemy decodes %XX and is what connects with the URL
        from sqlalchemy.engine import make_url

        url = make_url(uri)
        candidates.append(url.password if isinstance(url.password, str) else None)
        candidates += [str(v) for k, v in url.query.items() if _SECRET_QUERY_NAMES.match(k)]
    except Exception:  # not a SQLAlchemy URL: urllib's reading is the other one that matters
        pass
    try:
        parts = urlsplit(uri)
        candidates.append(parts.password)
        candidates += [v for k, v in parse_qsl(parts.query) if _SECRET_QUERY_NAMES.match(k)]
    except ValueError:
        pass
    for value in candidates:
        if value:
            found.update({value, unquote(value), unquote_plus(value)})
    # a parser that stopped at the first `@` saw only the start of the password: keep the whole
    return {v for v in found if v and not any(o != v and o.startswith(v) for o in found)}


def value_secrets(name: str, value: Any) -> set[str]:
    """The secret parts of one parameter: all of it for a secret name, else what its text holds."""
    text = value if isinstance(value, str) else str(value)
    if not text or text in ("None", "True", "False"):
        return set()
    if is_secret_name(name):
        return {text}
    found = uri_secrets(text) if "://" in text else set()
    found.update(m["value"].strip("'\"") for m in _SECRET_PAIR.finditer(text))
    found.update(_TOKEN.findall(text))
    return {s for s in found if s}


def param_secrets(params: Mapping[str, Any]) -> set[str]:
    """The secret parts of a set of parameters (see `value_secrets`)."""
    found: set[str] = set()
    for name, value in params.items():
        found |= value_secrets(str(name), value)
    return found


def _forms(secret: str) -> Iterable[str]:
    """A secret as it may be written: raw, percent-encoded, and escaped inside JSON text."""
    yield secret
    yield quote(secret, safe="")
    yield quote_plus(secret, safe="")
    yield json.dumps(secret)[1:-1]
    yield json.dumps(secret, ensure_ascii=False)[1:-1]


def scrub(text: str, secrets: Iterable[str]) -> str:
    """`text` with every known secret (in each written form) replaced, longest first."""
    forms = {form for secret in secrets if len(secret) >= 3 for form in _forms(secret)}
    for form in sorted(forms, key=len, reverse=True):
        if form and form in text:
            text = text.replace(form, MASK)
    return text


def _option_secrets(options: Mapping[str, Any]) -> Iterable[str]:
    for name, value in options.items():
        if isinstance(value, Mapping):
            yield from _option_secrets(value)
        elif isinstance(value, str) and value and is_secret_name(str(name)):
            yield value


def redact(
    text: str, options: Mapping[str, Any] | None = None, *, secrets: Iterable[str] = ()
) -> str:
    """`text` with URL passwords, secret query values, `password=` pairs, token-shaped values,
    secret option values (`options`, e.g. fsspec storage_options) and `secrets` replaced."""
    known = set(secrets) | set(_option_secrets(options or {}))
    for match in _USERINFO.finditer(text):
        known |= uri_secrets(match.group(0) + "host")
    text = scrub(text, known)
    text = _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", text)
    text = _SECRET_QUERY.sub(lambda m: f"{m['key']}{MASK}", text)
    text = _SECRET_PAIR.sub(lambda m: f"{m['key']}{MASK}", text)
    return _TOKEN.sub(MASK, text)


def redact_param(name: str, value: Any) -> str:
    """How a parameter value may be stored (MLflow params, tags, notebooks): its text with the
    secret parts masked; the whole value for a secret-looking name."""
    text = value if isinstance(value, str) else str(value)
    secrets = value_secrets(name, text)
    if is_secret_name(name) and secrets:
        return MASK
    return redact(text, secrets=secrets) if secrets or "://" in text else text
