"""Routing lookups. Both forms use the GiST index on the subdivided service-area parts."""

# One point: the category's name, state and fallback, and every service area containing the
# point (one row each, or one row of NULLs). route_candidates() is defined in the migrations.
# Plain DBAPI (pyformat) SQL: routing.services runs it on the session's own connection.
ROUTE_POINT = "SELECT * FROM route_candidates(%(category_id)s, %(lon)s::float8, %(lat)s::float8)"

# Many points at once, the same rule in SQL: for a table of (id, geom), a row for every point
# inside some service area and every active category, with the department that decide() would
# choose, or NULL where the category is not served there. Points outside every service area
# get no rows. Checked against route() in tests.
ROUTE_TABLE = """
WITH hits AS (
    SELECT DISTINCT l.id AS location_id, p.department_id, p.area_m2
    FROM {table} l
    JOIN service_area_part p ON ST_Intersects(p.geom, l.geom)
),
inside AS (SELECT DISTINCT location_id FROM hits),
local AS (
    SELECT DISTINCT ON (h.location_id, dc.category_id) h.location_id, dc.category_id, h.department_id
    FROM hits h JOIN department_category dc ON dc.department_id = h.department_id
    ORDER BY h.location_id, dc.category_id, h.area_m2, h.department_id
)
SELECT i.location_id, c.id AS category_id, COALESCE(l.department_id, c.fallback_department_id) AS department_id
FROM inside i
CROSS JOIN category c
LEFT JOIN local l ON l.location_id = i.location_id AND l.category_id = c.id
WHERE c.active
"""
