"""period indicators: every scope's figures, computed once per period

Revision ID: core_0009
Revises: core_0004
Create Date: 2026-12-02

"""
from alembic import op
import sqlalchemy as sa


revision = 'core_0009'
down_revision = 'core_0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('indicator_value',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=10), nullable=False),
    sa.Column('indicator', sa.String(length=80), nullable=False),
    sa.Column('scope', sa.String(length=40), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=True),
    sa.Column('work_unit_id', sa.Integer(), nullable=True),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('plugin', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('unit', sa.String(length=20), nullable=False),
    sa.Column('higher_is_better', sa.Boolean(), nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('numerator', sa.Float(), nullable=True),
    sa.Column('denominator', sa.Float(), nullable=True),
    sa.Column('rank', sa.Integer(), nullable=True),
    sa.Column('peers', sa.Integer(), nullable=True),
    sa.Column('city_rank', sa.Integer(), nullable=True),
    sa.Column('city_peers', sa.Integer(), nullable=True),
    sa.Column('previous', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['org_id'], ['organization.id'], name=op.f('fk_indicator_value_org_id_organization')),
    sa.ForeignKeyConstraint(['parent_id'], ['organization.id'], name=op.f('fk_indicator_value_parent_id_organization')),
    sa.ForeignKeyConstraint(['work_unit_id'], ['work_unit.id'], name=op.f('fk_indicator_value_work_unit_id_work_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicator_value')),
    sa.UniqueConstraint('period', 'indicator', 'scope', name='uq_indicator_value')
    )
    with op.batch_alter_table('indicator_value', schema=None) as batch_op:
        batch_op.create_index('ix_indicator_value_scope', ['scope', 'period'], unique=False)

    op.create_table('indicator_run',
    sa.Column('period', sa.String(length=10), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    sa.Column('indicators', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('period', name=op.f('pk_indicator_run'))
    )


def downgrade():
    op.drop_table('indicator_run')
    with op.batch_alter_table('indicator_value', schema=None) as batch_op:
        batch_op.drop_index('ix_indicator_value_scope')
    op.drop_table('indicator_value')
