"""Lengths of time and shares in the words people read, the same in every template."""

from datetime import UTC, datetime, timedelta

import pytest
from flask import render_template_string
from flask_babel import format_date, format_time, get_locale

from seeclick import words

MOMENTS = [datetime(2026, 3, 8, 6, 59, tzinfo=UTC), datetime(2026, 3, 8, 7, 0, tzinfo=UTC),  # DST begins in NYC
           datetime(2026, 11, 1, 5, 30, tzinfo=UTC), datetime(2026, 11, 1, 6, 30, tzinfo=UTC),  # and ends
           datetime(2026, 12, 31, 23, 59, tzinfo=UTC),  # already the new year in UTC, not in the city
           datetime(2026, 7, 4, 16, 5), datetime(2027, 1, 1, 4, 59, 59, tzinfo=UTC) + timedelta(microseconds=1)]


@pytest.mark.parametrize(("seconds", "words"), [
    (None, "not yet"), (0, "1 minute"), (59, "1 minute"), (61, "1 minute"), (3599, "59 minutes"),
    (3600, "1 hour"), (7200, "2 hours"), (172_799, "47 hours"), (172_800, "2 days"), (10 * 86_400 + 5, "10 days"),
])
def test_a_duration_reads_as_people_say_it_as_a_filter_and_a_function(app, seconds, words):
    with app.test_request_context():
        assert render_template_string("{{ s|duration }}", s=seconds) == words
        assert render_template_string("{{ duration(s) }}", s=seconds) == words


@pytest.mark.parametrize(("share", "words"), [(None, "—"), (0, "0%"), (0.456, "46%"), (1, "100%")])
def test_a_share_reads_as_a_whole_percentage(app, share, words):
    with app.test_request_context():
        assert render_template_string("{{ s|percent }}", s=share) == words


@pytest.mark.parametrize("language", ["en", "es", "zh-Hans", "fr"])
def test_a_moment_reads_as_the_locale_writes_a_day_and_a_time_in_city_time(app, language):
    """when() is the locale's short time and medium day, joined its way, in the city's zone, as Flask-Babel
    writes them one by one (a moment without a zone is taken to be UTC, as Flask-Babel takes it)."""
    with app.test_request_context(headers={"Accept-Language": language}):
        joined = str(get_locale().datetime_formats[words.DAY])
        for moment in MOMENTS:
            assert words.when(moment) == joined.format(format_time(moment, "short"), format_date(moment, words.DAY))
        assert words.when(None) == ""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert words.when(datetime(2026, 12, 31, 23, 59, tzinfo=UTC)) == "Dec 31, 2026, 6:59\u202fPM"
        assert words.when(datetime(2026, 3, 8, 7, 0, tzinfo=UTC)) == "Mar 8, 2026, 3:00\u202fAM"  # EDT, not EST
