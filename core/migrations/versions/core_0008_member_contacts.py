"""members have their own contact channels: e-mail, mobile and the one they prefer, so reminders to a
member reach the member rather than their employer's or branch's contact

Revision ID: core_0008
Revises: core_0004
Create Date: 2026-12-02

"""
from alembic import op
import sqlalchemy as sa


revision = 'core_0008'
down_revision = 'core_0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('mobile', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('preferred_channel', sa.String(length=8), nullable=True))


def downgrade():
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.drop_column('preferred_channel')
        batch_op.drop_column('mobile')
        batch_op.drop_column('email')
