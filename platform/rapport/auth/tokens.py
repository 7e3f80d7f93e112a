"""Bearer tokens for agents: HS256 JWTs signed with the secret key, ``sub`` = agent id."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt

ALGORITHM = "HS256"
ISSUER = "rapport"
DEFAULT_TTL_SECONDS = 3600


class InvalidToken(Exception):
    """The token is malformed, forged, expired or names no agent. Callers say no more than that."""


def issue_token(agent_id: int, signing_key: str, ttl_seconds: int = DEFAULT_TTL_SECONDS) -> str:
    if ttl_seconds <= 0:
        raise ValueError("ttl must be a positive number of seconds")
    now = datetime.now(UTC)
    claims = {"sub": str(agent_id), "iss": ISSUER, "iat": now, "exp": now + timedelta(seconds=ttl_seconds)}
    return jwt.encode(claims, signing_key, algorithm=ALGORITHM)


def agent_id_from_token(token: str, signing_key: str) -> int:
    """The agent id a valid token names; InvalidToken otherwise."""
    try:
        claims = jwt.decode(
            token, signing_key, algorithms=[ALGORITHM], issuer=ISSUER, options={"require": ["exp", "sub", "iss"]}
        )
        return int(claims["sub"])
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise InvalidToken("invalid token") from exc


def expires_at(token: str, signing_key: str) -> float | None:
    """When a token this key signed expires (Unix seconds), even if that is past; None for anything else."""
    try:
        claims = jwt.decode(token, signing_key, algorithms=[ALGORITHM], issuer=ISSUER, options={"verify_exp": False})
        return float(claims["exp"])
    except (jwt.PyJWTError, KeyError, ValueError, TypeError):
        return None
