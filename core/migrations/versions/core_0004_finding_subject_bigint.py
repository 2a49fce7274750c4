"""finding subjects are 64-bit: a subject made of two ids (双管's community and employer) overflows
32 bits in a city of a million members

Revision ID: core_0004
Revises: core_0003
Create Date: 2026-11-29

"""
from alembic import op
import sqlalchemy as sa


revision = 'core_0004'
down_revision = 'core_0003'
branch_labels = None
depends_on = None


def upgrade():
    for table in ('finding', 'finding_hit'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('subject_id', existing_type=sa.Integer(), type_=sa.BigInteger(),
                                  existing_nullable=False)


def downgrade():
    for table in ('finding', 'finding_hit'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('subject_id', existing_type=sa.BigInteger(), type_=sa.Integer(),
                                  existing_nullable=False)
