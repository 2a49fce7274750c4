"""identity conflicts: a 身份证 asked for outside the scope that holds its member, for the common ancestor's staff

Revision ID: core_0005
Revises: core_0004
Create Date: 2026-12-02

"""
from alembic import op
import sqlalchemy as sa


revision = 'core_0005'
down_revision = 'core_0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('identity_conflict',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('id_number', sa.String(length=18), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=True),
    sa.Column('asker_org_id', sa.Integer(), nullable=False),
    sa.Column('ancestor_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('asked_by_id', sa.Integer(), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.Column('note', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['ancestor_id'], ['organization.id'], name=op.f('fk_identity_conflict_ancestor_id_organization')),
    sa.ForeignKeyConstraint(['asked_by_id'], ['staff.id'], name=op.f('fk_identity_conflict_asked_by_id_staff')),
    sa.ForeignKeyConstraint(['asker_org_id'], ['organization.id'], name=op.f('fk_identity_conflict_asker_org_id_organization')),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_identity_conflict_member_id_member')),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['staff.id'], name=op.f('fk_identity_conflict_resolved_by_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_identity_conflict'))
    )
    with op.batch_alter_table('identity_conflict', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identity_conflict_ancestor_id'), ['ancestor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_identity_conflict_asker_org_id'), ['asker_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_identity_conflict_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_identity_conflict_state'), ['state'], unique=False)


def downgrade():
    with op.batch_alter_table('identity_conflict', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_identity_conflict_state'))
        batch_op.drop_index(batch_op.f('ix_identity_conflict_member_id'))
        batch_op.drop_index(batch_op.f('ix_identity_conflict_asker_org_id'))
        batch_op.drop_index(batch_op.f('ix_identity_conflict_ancestor_id'))
    op.drop_table('identity_conflict')
