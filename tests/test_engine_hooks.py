"""The engine hooks, each against the real engine: checks, reminder rules, bulletin sections, channels."""
import datetime as dt
import sys

from sqlalchemy import select

from core import bulletins, indicator_pass, reminders
from core.extensions import db
from core.models import Bulletin, Finding, InboxItem, OutboxMessage, Staff, SweepRun
from core.sweep import registered_checks, run_sweep
from core.testing import build_app
from factories import member, org_tree

MONDAY_9AM = dt.datetime(2026, 11, 2, 1, 0)


def test_hook_wuguan_checks(wuguan_plugin, make_app):
    wuguan_plugin("grid", """
        from sqlalchemy import func, literal, select
        from core.models import Member
        from core.plugin_api import Check, hookimpl

        @hookimpl
        def wuguan_settings():
            return {"min_room": 3}

        def short_room(ctx):
            return (select(Member.id.label("subject_id"), Member.location_id.label("org_id"),
                           ("房号过短：" + Member.room).label("detail"))
                    .where(Member.room.is_not(None), func.length(Member.room) < ctx.settings["min_room"]))

        def broken(ctx):
            return select(Member.id.label("subject_id")).join(Nope)  # noqa: F821 (the bug under test)

        @hookimpl
        def wuguan_checks():
            return [Check(code="grid.short_room", title="房号不完整", severity="info", query=short_room),
                    Check(code="grid.broken", title="坏的检查", severity="info", query=broken)]
    """)
    app = make_app()
    with app.app_context():
        assert {"grid.short_room": "grid", "core.unclassified": "core"}.items() <= {
            i.check.code: i.plugin for i in registered_checks()}.items()
        tree = org_tree()
        short, fine = member(tree, room="1"), member(tree, room="301")
        db.session.add_all([short, fine])
        db.session.commit()
        run = run_sweep(today=dt.date(2026, 11, 2))
        found = db.session.scalars(select(Finding).where(Finding.check_code == "grid.short_room")).all()
        assert [(f.subject_id, f.detail, f.severity) for f in found] == [(short.id, "房号过短：1", "info")]
        stored = db.session.get(SweepRun, run.id)
        assert stored.failures == 1 and "Nope" in stored.stats["grid.broken"]["error"]
        assert stored.stats["grid.short_room"]["plugin"] == "grid"


def test_hook_wuguan_reminder_rules(wuguan_plugin, make_app):
    package = wuguan_plugin("grid", """
        from sqlalchemy import literal, select
        from core.models import Staff
        from core.plugin_api import ReminderRule, hookimpl

        def weekly(ctx):
            return select(Staff.username.label("recipient"),
                          (literal("patrol:") + Staff.username).label("dedup_key"),
                          Staff.display_name.label("who"), literal("{\\"cells\\": 3}").label("context"))

        @hookimpl
        def wuguan_reminder_rules():
            return [ReminderRule(code="grid.patrol", title="网格巡查提醒", schedule="0 9 * * 1",
                                 query=weekly, template="grid/patrol.txt", channel="inbox")]
    """, files={"templates/grid/patrol.txt": "{{ who }}，本周请巡查{{ cells }}个网格\n\n巡查后请在系统中登记。\n"})
    app = make_app()
    with app.app_context():
        from workers.schedule import build
        assert str(build()["remind-grid.patrol"]["schedule"]._orig_day_of_week) == "1"
        staff = Staff(username="wang", display_name="王网格员", role="community", password_hash="x")
        db.session.add(staff)
        db.session.commit()
        (outbox_id,) = reminders.decide("grid.patrol", now=MONDAY_9AM)
        assert reminders.decide("grid.patrol", now=MONDAY_9AM) == []
        assert reminders.deliver(outbox_id, now=MONDAY_9AM).state == "sent"
        assert reminders.deliver(outbox_id, now=MONDAY_9AM).state == "skipped"
        item = db.session.scalars(select(InboxItem)).one()
        assert (item.staff_id, item.subject, item.body) == (staff.id, "王网格员，本周请巡查3个网格", "巡查后请在系统中登记。")
    assert (package / "templates" / "grid" / "patrol.txt").exists()


def test_hook_wuguan_bulletin_sections(wuguan_plugin, make_app):
    wuguan_plugin("grid", """
        from sqlalchemy import func, select
        from core.extensions import db
        from core.models import Member
        from core.plugin_api import BulletinSection, hookimpl

        @hookimpl
        def wuguan_bulletin_sections(ctx):
            if ctx.kind == "employer":
                return []
            rooms = db.session.scalar(select(func.count()).where(ctx.members_in_scope(), Member.room.is_not(None)))
            return [BulletinSection(key="grid.rooms", title="网格门牌", order=5,
                                    summary=f"{ctx.period.title}已登记门牌{rooms}户",
                                    columns=["项目", "数量"], rows=[["已登记门牌", rooms]],
                                    figures={"已登记门牌": rooms})]
    """)
    app = make_app()
    with app.app_context():
        tree = org_tree()
        db.session.add_all([member(tree, room="301"), member(tree)])
        db.session.commit()
        scope = f"org:{tree['community'].id}"
        bulletins.compile_bulletin("community", scope, "2026-09", now=MONDAY_9AM)
        db.session.add(member(tree, room="402"))
        db.session.commit()
        result = bulletins.compile_bulletin("community", scope, "2026-10", now=MONDAY_9AM)
        sections = db.session.get(Bulletin, result.bulletin_id).sections
        # The built-in modes add their own sections after core's; the new plugin's comes first.
        assert [s["key"] for s in sections if s["key"].split(".")[0] in ("grid", "core")] \
            == ["grid.rooms", "core.coverage", "core.findings"]
        rooms = sections[0]
        assert rooms["summary"] == "2026年10月已登记门牌2户"
        assert rooms["comparison"] == [{"name": "已登记门牌", "value": 2, "previous": 1, "change_text": "比上期增加1"}]


def test_hook_wuguan_indicators(wuguan_plugin, make_app, tmp_path):
    wuguan_plugin("grid", """
        from sqlalchemy import func, select
        from core.models import Member
        from core.plugin_api import Indicator, hookimpl

        def rooms(ctx):
            return ctx.by_member(select(ctx.scope_id.label("scope_id"), func.count().label("value"))
                                 .select_from(Member).where(Member.room.is_not(None))).group_by(ctx.scope_id)

        def room_rate(ctx):
            return ctx.by_member(select(ctx.scope_id.label("scope_id"), func.count(Member.room).label("numerator"),
                                        func.count().label("denominator")).select_from(Member)).group_by(ctx.scope_id)

        @hookimpl
        def wuguan_indicators():
            return [Indicator("grid.rooms", "已登记门牌", "户", ("community", "street"), rooms),
                    Indicator("grid.room_rate", "门牌登记率", "%", ("community", "street"), room_rate)]
    """)
    app = make_app()
    with app.app_context():
        tree = org_tree()
        db.session.add_all([member(tree, room="301"), member(tree),
                            member(tree, room="1", location=tree["other"], liaison_group=None)])
        db.session.commit()
        indicator_pass.compute("2026-09", today=MONDAY_9AM.date())
        c1, c2, street = (f"org:{tree[k].id}" for k in ("community", "other", "street"))
        assert indicator_pass.stored(c1, "2026-09")["grid.rooms"].value == 1
        rate = {s: indicator_pass.stored(s, "2026-09")["grid.room_rate"] for s in (c1, c2, street)}
        assert (rate[c1].value, rate[c1].rank, rate[c2].value, rate[c2].rank) == (50.0, 2, 100.0, 1)
        assert (rate[street].numerator, rate[street].denominator, rate[street].value) == (2, 3, 66.7)  # pooled
        url = str(db.engine.url.render_as_string(hide_password=False))
    # The plugin disabled: its stored figures stay readable, and the next pass computes none of its.
    disabled = build_app(url, tmp_path / "disabled", WUGUAN_DISABLED_PLUGINS=["grid"])
    with disabled.app_context():
        indicator_pass.compute("2026-10", today=MONDAY_9AM.date())
        kept = indicator_pass.stored(c1, "2026-09")["grid.rooms"]
        assert (kept.title, kept.unit, kept.value) == ("已登记门牌", "户", 1)
        latest = indicator_pass.stored(c1, "2026-10")
        assert "core.members" in latest and not any(key.startswith("grid.") for key in latest)
        db.session.remove()
        db.engine.dispose()


def test_hook_wuguan_channels(wuguan_plugin, make_app):
    wuguan_plugin("wechatgw", """
        from core.plugin_api import Channel, hookimpl

        SENT = []
        FAIL = []

        def send_wechat(message):
            if FAIL:
                raise ConnectionError(FAIL.pop())
            SENT.append((message.recipient, message.subject, message.message_id))

        @hookimpl
        def wuguan_channels():
            return [Channel(key="wechat", title="微信", send=send_wechat)]
    """)
    app = make_app()
    with app.app_context():
        from core.channels import channels
        assert {"email", "inbox", "sms", "wechat"} <= set(channels())
        (outbox_id,) = reminders.enqueue_rows([{
            "rule_code": "grid.wechat", "dedup_key": "13800000000:2026-11", "channel": "wechat",
            "recipient": "13800000000", "subject": "请参加主题党日", "body": "", "state": "pending",
            "attempts": 0, "created_at": MONDAY_9AM, "not_before": MONDAY_9AM, "history": []}])
        db.session.commit()
        plugin = sys.modules["wechatgw"]
        plugin.FAIL.append("网关超时")
        outcome = reminders.deliver(outbox_id, now=MONDAY_9AM)
        assert outcome.state == "retry" and "网关超时" in outcome.error
        row = db.session.get(OutboxMessage, outbox_id)
        assert reminders.deliver(outbox_id, now=row.not_before).state == "sent"
        assert plugin.SENT == [("13800000000", "请参加主题党日", f"<wuguan.outbox.{outbox_id}@localhost>")]
