from sqlalchemy import text

from seeclick.extensions import db


def postgis_version() -> str:
    try:
        return db.session.execute(text("SELECT postgis_lib_version()")).scalar_one()
    finally:
        db.session.rollback()
