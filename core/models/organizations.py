"""The organization tree, held as a materialized path so a subtree is one indexed range scan."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, and_, event, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..privacy import sensitive
from .base import Audited, Timestamps

KINDS = {
    "district": _l("区委"),
    "street": _l("街道党工委"),
    "community": _l("社区党委/党总支"),
    "branch": _l("党支部"),
    "party_group": _l("党小组"),
    "liaison_group": _l("楼寓党员联络小组"),
    "temp_branch": _l("临时党支部"),
    "mobile_station": _l("流动党员管理站"),
    "building_branch": _l("楼宇党支部"),
}

# A byte-ordered collation on PostgreSQL keeps "1.2." < "1.2/" true for range scans;
# SQLite compares bytes already.
PathType = String(255).with_variant(String(255, collation="C"), "postgresql")
SEPARATOR = "."
_AFTER_SEPARATOR = chr(ord(SEPARATOR) + 1)


def subtree_range(column, path):
    """Rows whose `column` (a path) lies under `path`, the node itself included."""
    return and_(column >= path, column < path[:-1] + _AFTER_SEPARATOR)


class Organization(Audited, Timestamps, db.Model):
    """A node of the organization tree (street, community, branch, liaison group, ...); scope follows the tree."""
    __tablename__ = "organization"

    id: Mapped[int] = mapped_column(primary_key=True, doc="the row's id")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True,
                                                  doc="the organization above; empty at the top of the tree")
    path: Mapped[str] = mapped_column(PathType, default="", index=True,
                                      doc="materialized path of ids (`.1.4.9.`): a subtree is one range scan")
    depth: Mapped[int] = mapped_column(default=0, doc="levels below the top (0 at the top)")
    kind: Mapped[str] = mapped_column(String(32), index=True,
                                      doc="street, community, branch, liaison_group, ... (see Organization kinds)")
    name: Mapped[str] = mapped_column(String(120), doc="the full name")
    code: Mapped[str] = mapped_column(String(64), unique=True,
                                      doc="a unique code, used by imports and the command line")
    address: Mapped[str | None] = mapped_column(String(255), doc="its address", info=sensitive(None))
    contact_person: Mapped[str | None] = mapped_column(String(60), doc="who to contact")
    phone: Mapped[str | None] = mapped_column(String(32), doc="its phone", info=sensitive(None))
    email: Mapped[str | None] = mapped_column(String(120), doc="where reminders to it are mailed", info=sensitive(None))

    parent = relationship("Organization", remote_side=[id], backref="children")

    def __str__(self):
        return self.name

    @property
    def kind_title(self):
        return KINDS.get(self.kind, self.kind)

    def contains(self, other):
        return other.path.startswith(self.path)

    @classmethod
    def in_subtree(cls, path):
        return subtree_range(cls.path, path)

    def ancestor_ids(self):
        return [int(p) for p in self.path.strip(SEPARATOR).split(SEPARATOR)]

    def move_to(self, new_parent):
        """Re-parent this node; the subtree's paths change in one UPDATE."""
        from ..errors import ValidationError
        if new_parent is not None and self.contains(new_parent):
            raise ValidationError.single("parent", _l("不能把组织移到它自己的下级之下"))
        old_path, old_depth = self.path, self.depth
        new_path = (new_parent.path if new_parent else SEPARATOR) + f"{self.id}{SEPARATOR}"
        new_depth = new_parent.depth + 1 if new_parent else 0
        table = type(self).__table__
        db.session.execute(
            update(table)
            .where(subtree_range(table.c.path, old_path))
            .values(path=new_path + db.func.substr(table.c.path, len(old_path) + 1),
                    depth=table.c.depth + (new_depth - old_depth))
            .execution_options(synchronize_session=False)
        )
        self.parent = new_parent
        db.session.expire(self, ["path", "depth"])


Index("ix_organization_kind_path", Organization.kind, Organization.path)




@event.listens_for(Organization, "after_insert")
def _set_path(mapper, connection, target):
    """The path holds the node's own id, known only once the row is inserted."""
    parent_path, parent_depth = SEPARATOR, -1
    if target.parent_id is not None:
        parent_path, parent_depth = connection.execute(
            db.select(Organization.path, Organization.depth).where(Organization.id == target.parent_id)
        ).one()
    path = f"{parent_path}{target.id}{SEPARATOR}"
    connection.execute(update(Organization.__table__).where(Organization.__table__.c.id == target.id)
                       .values(path=path, depth=parent_depth + 1))
    set_committed_value(target, "path", path)
    set_committed_value(target, "depth", parent_depth + 1)
