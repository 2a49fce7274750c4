"""The grid's records: cells of a community, the members assigned to them, patrols and visits."""
import datetime as dt

from sqlalchemy import event, select

from core.plugin_api import db
from core.plugin_api import sensitive


class GridCell(db.Model):
    """A 网格: a few buildings of one community, walked by one grid worker (网格员)."""
    __tablename__ = "grid_cell"
    __table_args__ = (db.UniqueConstraint("org_id", "name", name="uq_grid_cell_org_id_name"),)

    id = db.Column(db.Integer, primary_key=True)
    org_id = db.Column(db.ForeignKey("organization.id"), index=True, nullable=False)
    name = db.Column(db.String(60), nullable=False)
    buildings = db.Column(db.String(200), nullable=True)
    worker = db.Column(db.String(40), nullable=False)
    worker_phone = db.Column(db.String(30), nullable=True, info=sensitive("phone"))  # core masks it and keeps it out of the audit log
    created_on = db.Column(db.Date, nullable=False, default=dt.date.today)

    org = db.relationship("Organization")

    def __str__(self):
        return self.name


class GridAssignment(db.Model):
    """A member's cell: each member is in at most one."""
    __tablename__ = "grid_assignment"

    id = db.Column(db.Integer, primary_key=True)
    member_id = db.Column(db.ForeignKey("member.id", ondelete="CASCADE"), unique=True, nullable=False)
    cell_id = db.Column(db.ForeignKey("grid_cell.id", ondelete="CASCADE"), index=True, nullable=False)

    member = db.relationship("Member")
    cell = db.relationship("GridCell")


class GridPatrol(db.Model):
    """A patrol of a cell, or a visit to one member in it. `org_id` copies the cell's community,
    so the admin can scope patrols by an organization column like every other record."""
    __tablename__ = "grid_patrol"

    id = db.Column(db.Integer, primary_key=True)
    cell_id = db.Column(db.ForeignKey("grid_cell.id", ondelete="CASCADE"), index=True, nullable=False)
    org_id = db.Column(db.ForeignKey("organization.id"), index=True, nullable=False)
    member_id = db.Column(db.ForeignKey("member.id", ondelete="SET NULL"), index=True, nullable=True)
    patrolled_on = db.Column(db.Date, nullable=False, default=dt.date.today)
    notes = db.Column(db.String(500), nullable=True)

    cell = db.relationship("GridCell")
    member = db.relationship("Member")


@event.listens_for(GridPatrol, "before_insert")
@event.listens_for(GridPatrol, "before_update")
def _patrol_in_its_cells_community(mapper, connection, patrol):
    if patrol.cell is not None:
        patrol.org_id = patrol.cell.org_id
    else:  # given by id only: the cell is not loaded
        patrol.org_id = connection.scalar(select(GridCell.org_id).where(GridCell.id == patrol.cell_id))
