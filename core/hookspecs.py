"""The hooks a wuguan plugin may implement. Reference: docs/plugins.md."""
import pluggy

hookspec = pluggy.HookspecMarker("wuguan")


@hookspec
def wuguan_modes():
    """Return the management modes this plugin provides, each claiming member categories."""


@hookspec
def wuguan_settings():
    """Return the default settings of this plugin, kept under app.config["PLUGINS"][name]."""


@hookspec
def wuguan_admin_views(admin):
    """Add this plugin's screens to the Flask-Admin instance, under its own menu category."""


@hookspec
def wuguan_member_panels(member):
    """Return panels with this plugin's records for one member's page."""


@hookspec
def wuguan_checks():
    """Return checks that the sweep runs, each one set-based SQL statement."""


@hookspec
def wuguan_reminder_rules():
    """Return reminder rules that run on their schedule and deliver through channels."""


@hookspec
def wuguan_bulletin_sections(ctx):
    """Return this plugin's sections for the bulletin (通报) described by ctx."""


@hookspec
def wuguan_channels():
    """Return delivery channels for reminders and bulletins."""


@hookspec
def wuguan_migrations():
    """Return the path of this plugin's Alembic versions folder (one branch per plugin)."""


@hookspec
def wuguan_demo_data(session, demo):
    """Add this plugin's records for the demo data set to session."""


@hookspec
def wuguan_demo_data_after(session, demo):
    """Add demo records that need every plugin's wuguan_demo_data rows to exist first."""


@hookspec
def wuguan_blueprints(app):
    """Register this plugin's public (non-admin) Flask blueprints on the app."""


@hookspec
def wuguan_member_category_changed(member, old, new):
    """React, inside the same transaction, to a member moved from category old to new."""


@hookspec
def wuguan_cli(cli):
    """Add commands to the `wuguan` command line group."""


@hookspec
def wuguan_indicators():
    """Return indicators whose figures are computed once per period for every scope of the city."""
