"""staff sessions end together (a session version), administrators unlock log-ins, TOTP second factor

Revision ID: core_0006
Revises: core_0004
Create Date: 2026-12-02

"""
from alembic import op
import sqlalchemy as sa


revision = 'core_0006'
down_revision = 'core_0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('unlocked_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('totp_secret', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('totp_confirmed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.BigInteger(), nullable=True))


def downgrade():
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_confirmed_at')
        batch_op.drop_column('totp_secret')
        batch_op.drop_column('unlocked_at')
        batch_op.drop_column('session_version')
