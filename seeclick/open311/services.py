"""API keys, and service requests posted through Open311. Flush, never commit."""

from datetime import UTC, datetime

from sqlalchemy import select

from seeclick.extensions import db
from seeclick.open311.models import ApiKey, digest, new_key


def create_key(name: str, created_by=None) -> tuple[ApiKey, str]:
    """A new key; the key itself is returned once and only its hash is kept."""
    name = (name or "").strip()
    if not name:
        raise ValueError("Say who the key is for.")
    key = new_key()
    api_key = ApiKey(name=name[:200], key_hash=digest(key), prefix=key[:10],
                     created_by_id=getattr(created_by, "id", None))
    db.session.add(api_key)
    db.session.flush()
    return api_key, key


def revoke(key_id: int) -> ApiKey | None:
    api_key = db.session.get(ApiKey, key_id)
    if api_key is not None and api_key.revoked_at is None:
        api_key.revoked_at = datetime.now(UTC)
    return api_key


def authenticate(key: str) -> ApiKey | None:
    if not key:
        return None
    return db.session.scalar(select(ApiKey).where(ApiKey.key_hash == digest(key), ApiKey.revoked_at.is_(None)))


def keys() -> list[ApiKey]:
    return db.session.scalars(select(ApiKey).order_by(ApiKey.created_at.desc())).all()
