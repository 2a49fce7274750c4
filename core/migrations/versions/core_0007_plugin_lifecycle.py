"""plugin lifecycle: a member remembers the category they left; a finding names its plugin, so the
findings of a plugin that is disabled or removed can be set aside (orphaned) under its name

Revision ID: core_0007
Revises: core_0004
Create Date: 2026-12-02

"""
from alembic import op
import sqlalchemy as sa


revision = 'core_0007'
down_revision = 'core_0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('previous_category', sa.String(length=32), nullable=True))
    with op.batch_alter_table('finding', schema=None) as batch_op:
        batch_op.add_column(sa.Column('plugin', sa.String(length=64), server_default='core', nullable=False))
        batch_op.create_index('ix_finding_plugin_state', ['plugin', 'state'], unique=False)
    # Check codes are namespaced by their plugin ("dual.unregistered"); the sweep keeps it right after.
    finding = sa.table('finding', sa.column('check_code', sa.String), sa.column('plugin', sa.String))
    connection = op.get_bind()
    for (code,) in connection.execute(sa.select(finding.c.check_code).distinct()).all():
        connection.execute(finding.update().where(finding.c.check_code == code)
                           .values(plugin=code.split('.', 1)[0][:64]))


def downgrade():
    with op.batch_alter_table('finding', schema=None) as batch_op:
        batch_op.drop_index('ix_finding_plugin_state')
        batch_op.drop_column('plugin')
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.drop_column('previous_category')
