"""seeclick: 311 issue reporting, routed to the department that can act, with public response times."""

from datetime import UTC, datetime
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config=None):
    """Create the application; tests pass a dict of overrides."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    from config import Config, TestConfig, instance_secret

    app.config.from_object(TestConfig if test_config and test_config.get("TESTING") else Config)
    if test_config:
        app.config.from_mapping(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret()
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        raise RuntimeError("No database: set DATABASE_URL, or run `make run` to start the local cluster.")
    if app.config["PHOTO_STORE"] not in ("database", "local", "s3"):
        raise RuntimeError(f"SEECLICK_PHOTO_STORE is {app.config['PHOTO_STORE']!r}: use local, s3 or database.")
    if app.config["PHOTO_STORE"] == "s3" and not app.config["PHOTO_S3_BUCKET"]:
        raise RuntimeError("SEECLICK_PHOTO_STORE is s3 but SEECLICK_PHOTO_S3_BUCKET is not set: name the bucket.")

    if app.config["PROXIES"]:  # behind a reverse proxy: throttle and log the citizen's address, not the proxy's
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXIES"], x_proto=app.config["PROXIES"])
    init_extensions(app)
    register_blueprints(app)
    register_commands(app)
    register_errors(app)
    return app


def init_extensions(app):
    from seeclick import (
        languages,
        layout,
        models,  # noqa: F401  (the whole metadata, for Flask-Migrate)
        replicas,
        security,
    )
    from seeclick.accounts.models import User
    from seeclick.extensions import babel, csrf, db, limiter, login_manager, migrate

    security.init_app(app)
    replicas.configure(app)
    db.init_app(app)
    replicas.init_app(app, db)
    csrf.init_app(app)
    limiter.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), compare_type=True)
    babel.init_app(app, locale_selector=languages.select)
    languages.install_jinja(app)
    app.jinja_env.globals["current_language"] = languages.current
    app.jinja_env.globals["html_lang"] = lambda: languages.html_tag(languages.current())
    app.jinja_env.globals["now_utc"] = lambda: datetime.now(UTC)
    app.jinja_env.globals["site_links"] = layout.site_links
    app.jinja_env.add_extension("jinja2.ext.do")
    from seeclick import words

    words.register(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None  # the login page says what it is for
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id):
        return db.session.get(User, int(user_id))


def register_blueprints(app):
    from seeclick.accounts.views import bp as accounts
    from seeclick.addresses.views import bp as addresses
    from seeclick.admin.views import bp as admin
    from seeclick.bans.views import bp as bans
    from seeclick.health.views import bp as health
    from seeclick.home.views import bp as home
    from seeclick.intake.views import bp as intake
    from seeclick.languages.views import bp as languages
    from seeclick.moderation.views import bp as moderation
    from seeclick.neighbourhoods.views import bp as neighbourhoods
    from seeclick.notifications.views import bp as notifications
    from seeclick.open311.views import bp as open311
    from seeclick.opendata.views import bp as opendata
    from seeclick.photos.views import bp as photos
    from seeclick.privacy.views import bp as privacy
    from seeclick.publicmap.views import bp as publicmap
    from seeclick.questionnaires.views import bp as questionnaires
    from seeclick.reports.views import bp as reports
    from seeclick.staff.views import bp as staff
    from seeclick.stats.views import bp as stats

    app.register_blueprint(accounts)
    app.register_blueprint(admin)
    app.register_blueprint(staff)
    app.register_blueprint(intake)
    app.register_blueprint(health)
    app.register_blueprint(home)
    app.register_blueprint(languages)
    app.register_blueprint(reports)
    app.register_blueprint(addresses)
    app.register_blueprint(photos)
    app.register_blueprint(open311)
    app.register_blueprint(stats)
    app.register_blueprint(neighbourhoods)
    app.register_blueprint(opendata)
    app.register_blueprint(publicmap)
    app.register_blueprint(notifications)
    app.register_blueprint(moderation)
    app.register_blueprint(bans)
    app.register_blueprint(privacy)
    app.register_blueprint(questionnaires)


def register_commands(app):
    from seeclick.accounts.cli import users
    from seeclick.addresses.cli import addresses
    from seeclick.areas.cli import areas, neighbourhoods
    from seeclick.backup.cli import backup, restore
    from seeclick.delivery.cli import cities
    from seeclick.demo.cli import demo
    from seeclick.departments.cli import departments
    from seeclick.notifications.cli import jobs_group
    from seeclick.open311.cli import apikeys, open311
    from seeclick.photos.cli import photos

    app.cli.add_command(users)
    app.cli.add_command(addresses)
    app.cli.add_command(backup)
    app.cli.add_command(restore)
    app.cli.add_command(departments)
    app.cli.add_command(areas)
    app.cli.add_command(neighbourhoods)
    app.cli.add_command(demo)
    app.cli.add_command(jobs_group, name="jobs")
    app.cli.add_command(apikeys)
    app.cli.add_command(open311)
    app.cli.add_command(cities)
    app.cli.add_command(photos)


def register_errors(app):
    from seeclick.errors import register

    register(app)
