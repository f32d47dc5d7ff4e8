"""Pages in the reader's language, chosen by the browser or on the switcher and kept; mail in each person's own."""

import re
from email.header import decode_header, make_header

import pytest
from flask import render_template_string
from flask_babel import refresh
from sqlalchemy import select

from seeclick import words
from seeclick.accounts.models import User
from seeclick.categories.models import Category
from seeclick.extensions import db
from seeclick.notifications import services as notify
from seeclick.reports import services as lifecycle
from seeclick.reports.models import Report
from seeclick.reports.submission import Draft, submit
from tests.conftest import CROWN_HEIGHTS
from tests.test_citizen_reports import errors_on, report_form
from tests.test_notifications import committed, smtp, work_the_queue  # noqa: F401  (fixtures)

SPANISH = {"Accept-Language": "es-US,es;q=0.9,en;q=0.5"}
ENGLISH = {"Accept-Language": "en-US,en;q=0.9"}


def heading(response) -> str:
    return re.search(r"<h1[^>]*>(.*?)</h1>", response.get_data(as_text=True), re.S)[1].strip()


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.get_data(as_text=True))[1]


def test_a_spanish_browser_gets_the_home_page_and_the_report_form_in_spanish(client):
    home = client.get("/", headers=SPANISH)
    assert html_lang(home) == "es"
    assert heading(home).startswith("Problemas en las calles de")
    assert "Reportar un problema" in home.get_data(as_text=True)
    form = client.get("/reports/new", headers=SPANISH)
    page = form.get_data(as_text=True)
    assert heading(form) == "Reportar un problema"
    assert "¿Cuál es el problema?" in page and "Usar mi ubicación" in page and "Enviar el reporte" in page
    assert "Report a problem" not in page
    assert "Accept-Language" in form.headers["Vary"]  # a shared cache keeps one copy per language
    style = client.get("/static/css/site.css")
    assert "Accept-Language" not in style.headers.get("Vary", "")  # and one of what is the same in all
    style.close()


def test_a_mistake_on_the_form_is_told_in_spanish(client, categories):
    data = report_form(client, categories) | {"category": "", "description": ""}
    response = client.post("/reports/new", data=data, headers=SPANISH)
    assert response.status_code == 422
    errors = errors_on(response.get_data(as_text=True))
    assert "Elija cuál es el problema." in errors
    assert not any("Choose" in e for e in errors)


def test_a_photo_that_is_not_a_photo_is_refused_in_spanish(client):
    from io import BytesIO

    response = client.post("/reports/photos", data={"csrf_token": _token(client), "photo": (BytesIO(b"not an image"),
                                                                                     "notes.txt")},
                           content_type="multipart/form-data", headers=SPANISH)
    assert response.status_code == 422
    assert response.get_json()["error"].startswith('El archivo "notes.txt" no es una foto que podamos leer')


def _token(client):
    from tests.conftest import csrf_token

    return csrf_token(client, "/reports/new")


def test_an_unknown_page_says_so_in_spanish(client):
    response = client.get("/no-such-page", headers=SPANISH | {"Accept": "text/html"})
    assert response.status_code == 404
    assert heading(response) == "No encontrado" and "No hay ninguna página en esta dirección" in response.text


def test_the_switcher_choice_is_kept_across_pages_and_beats_the_browser(client):
    chosen = client.get("/language/es?next=/stats", headers=ENGLISH)
    assert chosen.status_code == 302 and chosen.headers["Location"] == "/stats"
    stats = client.get("/stats", headers=ENGLISH)
    assert html_lang(stats) == "es" and heading(stats) == "Qué tan rápido responde la ciudad y si lo resolvió"
    form = client.get("/reports/new", headers=ENGLISH)  # another page, the browser still asking for English
    assert heading(form) == "Reportar un problema"
    assert re.search(r'<a [^>]*hreflang="es"[^>]*aria-current="true"', form.text)  # the switcher shows the choice
    client.get("/language/en?next=/reports/new")
    assert heading(client.get("/reports/new", headers=SPANISH)) == "Report a problem"


def test_the_switcher_links_back_to_the_same_page_and_never_to_another_site(client):
    page = client.get("/reports/new?lat=40.67&lon=-73.94").text
    links = dict(re.findall(r'<a href="([^"]+)" lang="([^"]+)"', page))
    assert set(links.values()) == {"en", "es", "zh-Hans"}
    assert "/language/es?next=/reports/new?lat%3D40.67%26lon%3D-73.94" in links
    assert client.get("/language/es?next=//evil.example/").headers["Location"] == "/"
    assert client.get("/language/fr").status_code == 404


def header(response) -> str:
    return re.search(r'<header class="site-header">(.*?)</header>', response.text, re.S)[1]


def test_the_page_header_is_in_each_pages_language_one_page_after_another(client, login_as):
    """The header's links and lookup box are drawn once per language and kept: each language gets its own."""
    words = {"en": ("Report a problem", "Response times", "Look up"),
             "es": ("Reportar un problema", "Tiempos de respuesta", "Buscar"),
             "zh-CN": ("报告问题", "响应时间", "查询")}
    for tag in ("en", "es", "zh-CN", "en", "es"):
        for page in ("/", "/stats"):
            shown = header(client.get(page, headers={"Accept-Language": tag}))
            assert all(word in shown for word in words[tag]), (tag, page, shown)
    # Under another script root (the app mounted at /nyc), the links name it.
    mounted = header(client.get("/", base_url="http://localhost/nyc/", headers=ENGLISH))
    assert 'href="/nyc/reports/new"' in mounted and 'action="/nyc/reports/find"' in mounted
    assert 'href="/reports/new"' in header(client.get("/", headers=ENGLISH))
    login_as("staff", "dot-bk")  # signed in: the same links, and the account's own
    shown = header(client.get("/", headers=SPANISH))
    assert "Reportar un problema" in shown and "Cerrar sesión" in shown


def test_a_signed_in_persons_choice_follows_them_to_another_browser(app, client, login_as):
    user = login_as("staff", "dot-bk")
    client.get("/language/zh_Hans", headers={"Sec-Fetch-Site": "cross-site"})  # a link on another site
    db.session.expire_all()  # the request wrote in a session of its own
    assert db.session.get(User, user.id).locale is None  # changes this browser only
    client.get("/language/es", headers={"Sec-Fetch-Site": "same-origin"})
    db.session.expire_all()
    assert db.session.get(User, user.id).locale == "es"
    client.delete_cookie("lang")  # as if signed in on another browser: only the account remembers
    assert heading(client.get("/reports/new", headers=ENGLISH)) == "Reportar un problema"


@pytest.mark.parametrize(("tag", "lang", "title"), [
    ("zh-CN,zh;q=0.9", "zh-Hans", "报告问题"), ("zh", "zh-Hans", "报告问题"), ("zh-Hans-US", "zh-Hans", "报告问题"),
    ("zh-TW", "en", "Report a problem"), ("fr-FR,es;q=0.5", "es", "Reportar un problema"),
    ("fr-FR", "en", "Report a problem"),
])
def test_the_browsers_languages_are_read_in_order_of_preference(client, tag, lang, title):
    response = client.get("/reports/new", headers={"Accept-Language": tag})
    assert html_lang(response) == lang and heading(response) == title


def test_the_chinese_report_form_is_in_chinese(client, categories):
    page = client.get("/reports/new", headers={"Accept-Language": "zh-CN"}).text
    assert "1. 在哪里？" in page and "使用我的位置" in page and "发送报告" in page and "是什么问题？" in page
    data = report_form(client, categories) | {"category": ""}
    errors = errors_on(client.post("/reports/new", data=data, headers={"Accept-Language": "zh-CN"}).text)
    assert errors == ["请选择是什么问题。"]


def test_a_report_page_shows_every_moment_in_one_form_in_the_readers_language(app, client, make_report):
    report = make_report()
    for headers, code in ((ENGLISH, "en"), (SPANISH, "es")):
        page = client.get(f"/reports/{report.public_id}", headers=headers).text
        with app.test_request_context(headers=headers):
            refresh()  # the test's application context outlives requests: forget the last one's language
            moment = words.when(report.created_at)
        assert page.count(moment) >= 2, (code, moment)  # "Reported" and the timeline alike
    assert re.fullmatch(r"\d{1,2} [a-z]{3,4}\.? \d{4}, \d{1,2}:\d{2}\u202f[ap]\.\xa0?m\.", moment), moment


@pytest.mark.parametrize(("tag", "moment", "number", "share"), [
    ("en", "Dec 2, 2026, 9:05\u202fPM", "12,345", "46%"),  # CLDR's narrow and no-break spaces
    ("es", "2 dic 2026, 9:05\u202fp.m.", "12,345", "46%"),  # as written in the United States, not in Spain
    ("zh-CN", "2026年12月2日 21:05", "12,345", "46%"),
])
def test_moments_numbers_and_shares_are_written_as_the_locale_writes_them(app, tag, moment, number, share):
    from datetime import UTC, datetime

    with app.test_request_context(headers={"Accept-Language": tag}):
        refresh()
        at = datetime(2026, 12, 3, 2, 5, tzinfo=UTC)  # 9:05 PM on the 2nd in New York
        assert render_template_string("{{ at|when }}|{{ n|number }}|{{ s|percent }}", at=at, n=12345, s=0.456) == \
            f"{moment}|{number}|{share}"


def test_a_mail_written_in_another_language_mid_page_leaves_the_page_in_its_own(app):
    """A page in Spanish that writes a mail in English and one in Chinese on the way: each in its language."""
    from flask_babel import force_locale

    words = ("{{ _('Report a problem') }}|"
             "{{ ngettext('%(num)d person added their support.', '%(num)d people added their support.', 2) }}")
    with app.test_request_context(headers=SPANISH):
        refresh()
        page = render_template_string(words)
        with force_locale("en_US"):
            mail = render_template_string(words)
        with force_locale("zh_Hans"):
            other = render_template_string(words)
        assert (page, mail, other, render_template_string(words)) == (
            "Reportar un problema|2 personas agregaron su apoyo.", "Report a problem|2 people added their support.",
            "报告问题|2 人表示支持。", "Reportar un problema|2 personas agregaron su apoyo.")


def subject(message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def body(message) -> str:
    return message.get_payload(decode=True).decode(message.get_content_charset())


def test_a_spanish_reporter_gets_spanish_mail_and_an_english_follower_english(app, smtp, committed):  # noqa: F811
    inbox, _ = smtp
    with app.test_request_context(headers=SPANISH):  # the reporter sends the form from a Spanish browser
        pothole = db.session.scalar(select(Category).where(Category.code == "pothole"))
        made, _ = submit(Draft(category_id=pothole.id, where=CROWN_HEIGHTS, description="Un bache hondo",
                               answers={"size": [pothole.questions[0].values[0]["key"]]}, email="maria@example.org",
                               submission_key="mail-es-1"))
        db.session.commit()
        number, report_id = made.public_id, made.id
    with app.test_request_context(headers=ENGLISH):  # a neighbour follows it from an English one
        follower = notify.follow(db.session.get(Report, report_id), "joe@example.org")
        db.session.commit()
        notify.confirm(follower.token)
        db.session.commit()
    with app.app_context():  # staff act from the worker's side of things: no request, no reader
        from seeclick.accounts import services as accounts
        from seeclick.accounts.models import Role
        from seeclick.departments.models import Department

        brooklyn = db.session.scalar(select(Department).where(Department.code == "dot-bk"))
        dana = accounts.create_user("dana.mail@city.example", "correct horse battery staple", Role.STAFF, brooklyn)
        lifecycle.acknowledge(db.session.get(Report, report_id), dana, "Crew booked for Tuesday.")
        db.session.commit()
    work_the_queue(app)
    mail = {}
    for recipients, message in inbox.messages:
        mail.setdefault(recipients[0], {})[subject(message)] = body(message)
    maria, joe = mail["maria@example.org"], mail["joe@example.org"]
    assert set(maria) == {f"Recibimos el reporte n.º {number}: Pothole",
                          f"El reporte n.º {number} cambió de estado: recibido"}
    receipt = maria[f"Recibimos el reporte n.º {number}: Pothole"]
    assert "Gracias. Su reporte n.º" in receipt and "El plazo previsto del departamento es de" in receipt
    assert "Thank you" not in receipt
    assert set(joe) == {f"Confirm: follow report #{number}", f"Report #{number} is now acknowledged"}
    assert "Crew booked for Tuesday." in joe[f"Report #{number} is now acknowledged"]


def test_a_neighbourhoods_feed_is_in_the_language_of_the_page_it_was_found_on(client, session, make_report):
    from seeclick.neighbourhoods.models import Neighbourhood

    make_report(neighbourhood_id=session.scalar(select(Neighbourhood.id).where(Neighbourhood.code == "BK0802")))
    page = client.get("/neighbourhoods/BK0802", headers=SPANISH).text
    feed_url = re.search(r'href="([^"]+\.atom[^"]*)"', page)[1].replace("&amp;", "&")
    assert feed_url.endswith("?lang=es")
    feed = client.get(feed_url).text  # a feed reader sends no cookie and no Accept-Language
    assert 'xml:lang="es"' in feed and ": reportes nuevos · " in feed
    assert re.search(r"<summary>[^<]+ en [^<]+, enviado a [^<]+\.</summary>", feed)
    assert "<title>#" in feed and " · nuevo</title>" in feed  # each report's status in Spanish
    english = client.get(feed_url.split("?")[0]).text
    assert 'xml:lang="en"' in english and ": new reports · " in english
