"""direct plugin: zones, cards, pairings and visits, 争五好 ratings

Revision ID: direct_0001
Revises:
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'direct_0001'
down_revision = None
branch_labels = ('direct',)
depends_on = 'core_0001'


def upgrade():
    op.create_table('direct_zone',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['organization.id'], name=op.f('fk_direct_zone_community_id_organization')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_direct_zone')),
    sa.UniqueConstraint('community_id', 'name', name=op.f('uq_direct_zone_community_id'))
    )
    with op.batch_alter_table('direct_zone', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_direct_zone_community_id'), ['community_id'], unique=False)

    op.create_table('direct_card',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('zone_id', sa.Integer(), nullable=True),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('role_policy', sa.Boolean(), nullable=False),
    sa.Column('role_mediation', sa.Boolean(), nullable=False),
    sa.Column('role_liaison', sa.Boolean(), nullable=False),
    sa.Column('role_security', sa.Boolean(), nullable=False),
    sa.Column('role_environment', sa.Boolean(), nullable=False),
    sa.Column('duties', sa.Text(), nullable=True),
    sa.Column('email', sa.String(length=120), nullable=True),
    sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['organization.id'], name=op.f('fk_direct_card_community_id_organization')),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_direct_card_member_id_member')),
    sa.ForeignKeyConstraint(['zone_id'], ['direct_zone.id'], name=op.f('fk_direct_card_zone_id_direct_zone'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_direct_card')),
    sa.UniqueConstraint('community_id', 'number', name=op.f('uq_direct_card_community_id'))
    )
    with op.batch_alter_table('direct_card', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_direct_card_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_direct_card_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_direct_card_year'), ['year'], unique=False)
        batch_op.create_index(batch_op.f('ix_direct_card_zone_id'), ['zone_id'], unique=False)

    op.create_table('direct_pairing',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('household_name', sa.String(length=60), nullable=False),
    sa.Column('household_address', sa.String(length=255), nullable=True),
    sa.Column('difficulty', sa.String(length=20), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_direct_pairing_member_id_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_direct_pairing'))
    )
    with op.batch_alter_table('direct_pairing', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_direct_pairing_member_id'), ['member_id'], unique=False)

    op.create_table('direct_rating',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('good_citizen', sa.Boolean(), nullable=False),
    sa.Column('good_member', sa.Boolean(), nullable=False),
    sa.Column('good_worker', sa.Boolean(), nullable=False),
    sa.Column('good_neighbour', sa.Boolean(), nullable=False),
    sa.Column('good_parent', sa.Boolean(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_direct_rating_member_id_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_direct_rating')),
    sa.UniqueConstraint('member_id', 'year', name=op.f('uq_direct_rating_member_id'))
    )
    with op.batch_alter_table('direct_rating', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_direct_rating_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_direct_rating_year'), ['year'], unique=False)

    op.create_table('direct_zone_building',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('zone_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('building', sa.String(length=32), nullable=False),
    sa.Column('units', sa.String(length=60), nullable=True),
    sa.ForeignKeyConstraint(['community_id'], ['organization.id'], name=op.f('fk_direct_zone_building_community_id_organization')),
    sa.ForeignKeyConstraint(['zone_id'], ['direct_zone.id'], name=op.f('fk_direct_zone_building_zone_id_direct_zone'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_direct_zone_building')),
    sa.UniqueConstraint('community_id', 'building', name=op.f('uq_direct_zone_building_community_id'))
    )
    with op.batch_alter_table('direct_zone_building', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_direct_zone_building_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_direct_zone_building_zone_id'), ['zone_id'], unique=False)

    op.create_table('direct_zone_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('zone_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_direct_zone_member_member_id_member')),
    sa.ForeignKeyConstraint(['zone_id'], ['direct_zone.id'], name=op.f('fk_direct_zone_member_zone_id_direct_zone'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_direct_zone_member')),
    sa.UniqueConstraint('zone_id', 'member_id', name=op.f('uq_direct_zone_member_zone_id'))
    )
    with op.batch_alter_table('direct_zone_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_direct_zone_member_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_direct_zone_member_zone_id'), ['zone_id'], unique=False)

    op.create_table('direct_visit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pairing_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('visited_on', sa.Date(), nullable=False),
    sa.Column('done', sa.Text(), nullable=False),
    sa.Column('result', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_direct_visit_member_id_member')),
    sa.ForeignKeyConstraint(['pairing_id'], ['direct_pairing.id'], name=op.f('fk_direct_visit_pairing_id_direct_pairing'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_direct_visit'))
    )
    with op.batch_alter_table('direct_visit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_direct_visit_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_direct_visit_pairing_id'), ['pairing_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_direct_visit_visited_on'), ['visited_on'], unique=False)



def downgrade():
    with op.batch_alter_table('direct_visit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_direct_visit_visited_on'))
        batch_op.drop_index(batch_op.f('ix_direct_visit_pairing_id'))
        batch_op.drop_index(batch_op.f('ix_direct_visit_member_id'))

    op.drop_table('direct_visit')
    with op.batch_alter_table('direct_zone_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_direct_zone_member_zone_id'))
        batch_op.drop_index(batch_op.f('ix_direct_zone_member_member_id'))

    op.drop_table('direct_zone_member')
    with op.batch_alter_table('direct_zone_building', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_direct_zone_building_zone_id'))
        batch_op.drop_index(batch_op.f('ix_direct_zone_building_community_id'))

    op.drop_table('direct_zone_building')
    with op.batch_alter_table('direct_rating', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_direct_rating_year'))
        batch_op.drop_index(batch_op.f('ix_direct_rating_member_id'))

    op.drop_table('direct_rating')
    with op.batch_alter_table('direct_pairing', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_direct_pairing_member_id'))

    op.drop_table('direct_pairing')
    with op.batch_alter_table('direct_card', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_direct_card_zone_id'))
        batch_op.drop_index(batch_op.f('ix_direct_card_year'))
        batch_op.drop_index(batch_op.f('ix_direct_card_member_id'))
        batch_op.drop_index(batch_op.f('ix_direct_card_community_id'))

    op.drop_table('direct_card')
    with op.batch_alter_table('direct_zone', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_direct_zone_community_id'))

    op.drop_table('direct_zone')
