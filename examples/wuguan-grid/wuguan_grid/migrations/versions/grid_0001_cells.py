"""grid plugin: cells, assignments, patrols

Revision ID: grid_0001
Revises:
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa

revision = "grid_0001"
down_revision = None
branch_labels = ("grid",)
depends_on = "core_0001"  # member and organization (docs/reference.md, "Core migrations")


def upgrade():
    op.create_table(
        "grid_cell",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("buildings", sa.String(length=200), nullable=True),
        sa.Column("worker", sa.String(length=40), nullable=False),
        sa.Column("worker_phone", sa.String(length=30), nullable=True),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"], name=op.f("fk_grid_cell_org_id_organization")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grid_cell")),
        sa.UniqueConstraint("org_id", "name", name="uq_grid_cell_org_id_name"),
    )
    op.create_index(op.f("ix_grid_cell_org_id"), "grid_cell", ["org_id"], unique=False)
    op.create_table(
        "grid_assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("cell_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], name=op.f("fk_grid_assignment_member_id_member"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["cell_id"], ["grid_cell.id"], name=op.f("fk_grid_assignment_cell_id_grid_cell"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grid_assignment")),
        sa.UniqueConstraint("member_id", name=op.f("uq_grid_assignment_member_id")),
    )
    op.create_index(op.f("ix_grid_assignment_cell_id"), "grid_assignment", ["cell_id"], unique=False)
    op.create_table(
        "grid_patrol",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cell_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("patrolled_on", sa.Date(), nullable=False),
        sa.Column("notes", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(["cell_id"], ["grid_cell.id"], name=op.f("fk_grid_patrol_cell_id_grid_cell"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"], name=op.f("fk_grid_patrol_org_id_organization")),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], name=op.f("fk_grid_patrol_member_id_member"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grid_patrol")),
    )
    op.create_index(op.f("ix_grid_patrol_cell_id"), "grid_patrol", ["cell_id"], unique=False)
    op.create_index(op.f("ix_grid_patrol_org_id"), "grid_patrol", ["org_id"], unique=False)
    op.create_index(op.f("ix_grid_patrol_member_id"), "grid_patrol", ["member_id"], unique=False)


def downgrade():
    op.drop_table("grid_patrol")
    op.drop_table("grid_assignment")
    op.drop_table("grid_cell")
