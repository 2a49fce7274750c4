"""sample plugin: notes

Revision ID: sample_0001
Revises:
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa

revision = "sample_0001"
down_revision = None
branch_labels = ("sample",)
depends_on = "core_0001"


def upgrade():
    op.create_table(
        "sample_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], name=op.f("fk_sample_note_member_id_member")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sample_note")),
    )
    with op.batch_alter_table("sample_note") as batch_op:
        batch_op.create_index(batch_op.f("ix_sample_note_member_id"), ["member_id"], unique=False)


def downgrade():
    op.drop_table("sample_note")
