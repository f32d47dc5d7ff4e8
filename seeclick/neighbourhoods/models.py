"""Neighbourhoods: the areas residents know, used for maps and statistics (not routing)."""

from geoalchemy2 import Geometry
from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from seeclick.extensions import db


class Neighbourhood(db.Model):
    __tablename__ = "neighbourhood"
    __table_args__ = (Index("ix_neighbourhood_geom", "geom", postgresql_using="gist"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(Text, unique=True)  # as the city's file has it, any length
    name: Mapped[str] = mapped_column(String(200))
    borough: Mapped[str] = mapped_column(String(60), default="")
    # Deferred: pages that show a neighbourhood's name never load its outline (up to thousands of points);
    # maps ask for it simplified, in SQL.
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=False), nullable=False, deferred=True)
    # Residents, and the estimate's 90% margin of error (ACS), for reports per 1,000 residents.
    population: Mapped[int | None] = mapped_column(Integer)
    population_margin: Mapped[int | None] = mapped_column(Integer)

    def __repr__(self):
        return f"<Neighbourhood {self.code} {self.name}>"
