"""Address points: what a person can find by typing an address, a ZIP code or a neighbourhood."""

import enum

from geoalchemy2 import Geometry
from sqlalchemy import BigInteger, CheckConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from seeclick.extensions import db


class Kind(enum.StrEnum):
    ADDRESS = "address"
    POSTCODE = "postcode"
    NEIGHBOURHOOD = "neighbourhood"


class Address(db.Model):
    """One point to find: an address (number, street, ...), or a ZIP code area or neighbourhood by its name."""

    __tablename__ = "address"
    __table_args__ = (
        CheckConstraint("kind IN ('address', 'postcode', 'neighbourhood')", name="known_kind"),
        Index("ix_address_search", "search", postgresql_using="gin", postgresql_ops={"search": "gin_trgm_ops"}),
        Index("ix_address_search_start", "search"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), server_default="address")
    number: Mapped[str] = mapped_column(Text, server_default="")
    street: Mapped[str] = mapped_column(Text, server_default="")
    unit: Mapped[str] = mapped_column(Text, server_default="")
    city: Mapped[str] = mapped_column(Text, server_default="")
    district: Mapped[str] = mapped_column(Text, server_default="")
    region: Mapped[str] = mapped_column(Text, server_default="")
    postcode: Mapped[str] = mapped_column(Text, server_default="")
    source_id: Mapped[str] = mapped_column(Text, server_default="")
    label: Mapped[str] = mapped_column(Text)
    search: Mapped[str] = mapped_column(Text(collation="C"))  # byte order: a B-tree answers LIKE 'start%'
    point = mapped_column(Geometry("POINT", srid=4326, spatial_index=False), nullable=False)
