"""audit history: personal values written before they were fingerprinted become fingerprints

Revision ID: core_0010
Revises: core_0009
Create Date: 2026-12-02

"""
from alembic import op

revision = 'core_0010'
down_revision = 'core_0009'
branch_labels = None
depends_on = None


def upgrade():
    # The models (core's and the loaded plugins') declare which columns are personal; the audit
    # module owns the rewrite and the fingerprint, so both stay one rule.
    from core import audit
    from core.extensions import db
    audit.fingerprint_history(op.get_bind(), db.metadata)


def downgrade():
    """A fingerprint cannot be turned back into the value: nothing to undo."""
