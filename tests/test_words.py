"""Lengths of time and shares in the words people read, the same in every template."""

import pytest
from flask import render_template_string


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
