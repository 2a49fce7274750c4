"""The Flask extensions, created once and bound to an app in `create_app`."""
import functools

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event, inspect
from sqlalchemy.orm import DeclarativeBase, Mapper

# One naming convention for every table, core's and the plugins', so Alembic
# can name and drop constraints the same way on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


@functools.cache
def scalar_defaults(model):
    """{attribute: default} of the model's columns that have a plain value as their default."""
    return {attr.key: attr.columns[0].default.arg for attr in inspect(model).column_attrs
            if attr.columns[0].default is not None and attr.columns[0].default.is_scalar}


@event.listens_for(Mapper, "init")
def _scalar_defaults(target, args, kwargs):
    """Give new objects their columns' scalar defaults at once, so validation sees them before INSERT."""
    if not isinstance(target, db.Model):
        return
    for key, value in scalar_defaults(type(target)).items():
        if key not in kwargs:
            setattr(target, key, value)


migrate = Migrate()
babel = Babel()
login_manager = LoginManager()
csrf = CSRFProtect()
