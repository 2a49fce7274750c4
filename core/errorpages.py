"""Error pages in Chinese, in the app's layout, and database errors told without their SQL or values.

A database error's text carries the statement and, from the driver, the offending values
(PostgreSQL's "Key (id_number)=(...) already exists"): staff get a sentence, the log gets
the error's kind and the statement with its placeholders, nobody gets the values. A value
the database cannot hold (an id past int4, a date out of range) is the request's fault: 400.
"""
import logging

from flask import current_app, render_template, request
from flask_babel import gettext as _, lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError
from werkzeug.exceptions import HTTPException

from .extensions import db

log = logging.getLogger(__name__)

PAGES = {
    400: (_l("请求有误"), _l("请求中的内容格式不正确或超出范围，请检查后重试。")),
    403: (_l("无权访问"), _l("您的账号无权查看或修改此内容。")),
    404: (_l("页面不存在"), _l("您要找的页面或记录不存在，或不在您的管理范围内。")),
    405: (_l("请求有误"), _l("此页面不接受这种请求方式。")),
    413: (_l("文件过大"), None),  # the limit is in the sentence: see `page`
    500: (_l("系统出错"), _l("系统处理时出错，已记录。请稍后重试，或联系管理员。")),
}


def describe(exc):
    """What the log keeps of a database error: its kinds, SQLSTATE and statement, never its values."""
    orig = getattr(exc, "orig", None)
    parts = [type(exc).__name__]
    if orig is not None:
        code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
        parts.append(f"({type(orig).__name__}{', SQLSTATE ' + code if code else ''})")
    statement = getattr(exc, "statement", None)
    if statement:
        parts.append("in: " + " ".join(statement.split())[:500])
    return " ".join(parts)


def staff_message(exc):
    """The sentence staff see when the database refuses a change."""
    if isinstance(exc, IntegrityError):
        return _("保存失败：与已有记录冲突（例如编号或身份证号重复），或引用的记录已不存在。请检查后重试。")
    if isinstance(exc, DataError):
        return _("保存失败：某项内容的格式或长度超出了允许的范围。请检查后重试。")
    return _("保存失败：数据库暂时无法完成这次操作，已记录。请稍后重试，或联系管理员。")


def log_database_error(exc):
    log.error("database error on %s %s: %s", request.method if request else "-", request.path if request else "-",
              describe(exc))


def page(code, description=None):
    title, text = PAGES[code]
    if code == 413:
        text = _("上传的内容超过了 %(mb)s MB 的上限，请拆分后再上传。",
                 mb=(current_app.config.get("MAX_CONTENT_LENGTH") or 0) // (1024 * 1024))
    return render_template("errors/error.html", code=code, title=title, text=description or text), code


def init_app(app):
    @app.errorhandler(HTTPException)
    def http_error(exc):
        if exc.code not in PAGES:
            return exc
        if isinstance(exc, CSRFError):
            return page(400, _("页面已过期或来源不明，请刷新页面后重试。"))
        return page(exc.code)

    @app.errorhandler(SQLAlchemyError)
    def database_error(exc):
        db.session.rollback()
        log_database_error(exc)
        return page(400 if isinstance(exc, DataError) else 500)

    @app.errorhandler(500)
    def server_error(exc):
        return page(500)
