"""Who sees what: a staffer of community A never sees, changes or exports community B's rows."""
import datetime as dt
import io
import json
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, func, select

from core import idcard
from core.models import Activity, Attendance, AuditEntry, Member, Organization, Transfer
from core.testing import csrf_token

BIRTH = dt.date(1960, 5, 17)


@pytest.fixture
def city(db):
    """Street S with communities A and B, each a branch, a liaison group, two members, a transfer, an activity."""
    street = Organization(kind="street", name="滨河路街道党工委", code="S")
    db.session.add(street)
    db.session.flush()
    world = {"street": street}
    for key, seq in (("A", 1), ("B", 101)):
        community = Organization(kind="community", name=f"社区{key}", code=key, parent=street)
        branch = Organization(kind="branch", name=f"社区{key}第一党支部", code=f"{key}B", parent=community)
        group = Organization(kind="liaison_group", name=f"社区{key}联络小组", code=f"{key}L", parent=community)
        members = [Member(name=f"{key}成员{i}", gender="female", birth_date=BIRTH,
                          id_number=idcard.make_number("620302", BIRTH, seq + i, "female"),
                          phone=f"1380000{seq + i:04d}", joined_on=dt.date(1985, 7, 1),
                          confirmed_on=dt.date(1986, 7, 1), status="full", category="retired",
                          affiliation=branch, location=community, liaison_group=group,
                          address='=HYPERLINK("http://evil")' if i == 0 else "幸福路1号")
                   for i in range(2)]
        transfer = Transfer(member=members[0], direction="out", from_org=branch, to_org_name="兰州某社区党委",
                            letter_no=f"{key}-0001", issued_on=dt.date(2026, 3, 1))
        activity = Activity(org=branch, kind="theme_day", held_on=dt.date(2026, 10, 1), topic=f"{key}主题党日",
                            attendance=[Attendance(member=members[0], present=True)])
        db.session.add_all([community, branch, group, *members, transfer, activity])
        world[key] = {"community": community, "branch": branch, "group": group, "members": members,
                      "transfer": transfer, "activity": activity}
    db.session.commit()
    return world


def body(response):
    return response.get_data(as_text=True)


def test_anonymous_requests_go_to_log_in(client):
    for url in ("/admin/", "/admin/member/", "/admin/member/details/?id=1", "/admin/orgtree/", "/admin/audit/"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


def test_lists_hold_only_rows_of_the_staffers_subtree(city, staff_client):
    a = staff_client("community", city["A"]["community"])
    for url, mine, theirs in [
        ("/admin/member/", "A成员0", "B成员0"),
        ("/admin/organization/", "社区A第一党支部", "社区B第一党支部"),
        ("/admin/transfer/", "A-0001", "B-0001"),
        ("/admin/activity/", "A主题党日", "B主题党日"),
        ("/admin/orgtree/", "社区A联络小组", "社区B联络小组"),
        ("/admin/", "社区A", "社区B"),
    ]:
        page = body(a.get(url))
        assert mine in page and theirs not in page, url


def test_street_staff_see_the_whole_street(city, staff_client):
    s = staff_client("street", city["street"])
    page = body(s.get("/admin/member/"))
    assert "A成员0" in page and "B成员1" in page


def test_branch_secretary_sees_her_branch(city, staff_client, db):
    other_branch = Organization(kind="branch", name="社区A第二党支部", code="AB2", parent=city["A"]["community"])
    db.session.add(other_branch)
    db.session.commit()
    b = staff_client("branch", city["A"]["branch"])
    assert "社区A第二党支部" not in body(b.get("/admin/organization/"))
    assert "A成员0" in body(b.get("/admin/member/"))


@pytest.mark.parametrize("view, key", [("member", "members"), ("organization", "branch"), ("transfer", "transfer"),
                                       ("activity", "activity")])
def test_another_communitys_record_by_id_is_404_for_every_endpoint(city, staff_client, db, view, key):
    a = staff_client("community", city["A"]["community"])
    target = city["B"][key][0] if key == "members" else city["B"][key]
    token = csrf_token(a, f"/admin/{view}/")
    assert a.get(f"/admin/{view}/details/?id={target.id}").status_code == 404
    assert a.get(f"/admin/{view}/edit/?id={target.id}").status_code == 404
    assert a.post(f"/admin/{view}/edit/?id={target.id}", data={"csrf_token": token}).status_code == 404
    assert a.post(f"/admin/{view}/delete/", data={"id": target.id, "csrf_token": token}).status_code == 404
    a.post(f"/admin/{view}/action/", data={"action": "delete", "rowid": [target.id], "csrf_token": token})
    model = type(target)
    db.session.expire_all()
    assert db.session.get(model, target.id) is not None
    assert a.get(f"/admin/{view}/details/?id=not-a-number").status_code == 404


def test_bulk_delete_rechecks_the_posted_ids(city, staff_client, db):
    a = staff_client("community", city["A"]["community"])
    token = csrf_token(a, "/admin/transfer/")
    mine, theirs = city["A"]["transfer"].id, city["B"]["transfer"].id
    a.post("/admin/transfer/action/", data={"action": "delete", "rowid": [mine, theirs], "csrf_token": token})
    db.session.expire_all()
    assert db.session.get(Transfer, mine) is None
    assert db.session.get(Transfer, theirs) is not None


def test_export_holds_only_the_scope_and_escapes_formulas(city, staff_client):
    a = staff_client("community", city["A"]["community"], sensitive=True)  # the formula sits in the address
    csv_text = a.get("/admin/member/export/csv/").get_data().decode("utf-8-sig")
    assert "A成员0" in csv_text and "B成员0" not in csv_text
    assert "'=HYPERLINK" in csv_text
    book = load_workbook(io.BytesIO(a.get("/admin/member/export/xlsx/").get_data()))
    cells = [c.value for row in book.active.iter_rows() for c in row]
    assert "A成员1" in cells and "B成员1" not in cells
    assert "'=HYPERLINK(\"http://evil\")" in cells
    assert not any(isinstance(c, str) and c.startswith("=") for c in cells)


def test_ajax_lookup_and_select_choices_are_scoped(city, staff_client):
    a = staff_client("community", city["A"]["community"])
    found = a.get("/admin/transfer/ajax/lookup/?name=member&query=成员").get_json()
    assert {name for _, name in found} == {"A成员0", "A成员1"}
    found = a.get("/admin/activity/ajax/lookup/?name=attendance-member&query=成员").get_json()
    assert {name for _, name in found} == {"A成员0", "A成员1"}  # inline forms' lookups too
    form = body(a.get("/admin/member/new/"))
    assert "社区A第一党支部" in form and "社区B第一党支部" not in form
    assert "滨河路街道党工委" in form  # the chain above her may be linked (a member's location)


def test_a_record_cannot_be_moved_or_linked_outside_the_scope(city, staff_client, db):
    a = staff_client("community", city["A"]["community"], sensitive=True)
    member = city["A"]["members"][1]
    token = csrf_token(a, f"/admin/member/edit/?id={member.id}")
    form = {"csrf_token": token, "name": member.name, "id_number": member.id_number, "gender": "female",
            "birth_date": "1960-05-17", "ethnicity": "汉族", "joined_on": "1985-07-01", "confirmed_on": "1986-07-01",
            "status": "full", "probation_extension_months": "0", "category": "retired", "state": "active",
            "affiliation": city["B"]["branch"].id, "location": city["B"]["community"].id,
            "liaison_group": city["B"]["group"].id}
    response = a.post(f"/admin/member/edit/?id={member.id}", data=form)
    assert response.status_code == 200  # the form again, with errors
    db.session.expire_all()
    assert db.session.get(Member, member.id).affiliation_id == city["A"]["branch"].id


def test_numbers_are_masked_everywhere_without_the_right(city, staff_client):
    a = staff_client("community", city["A"]["community"], sensitive=False)
    member = city["A"]["members"][0]
    masked = "*" * 14 + member.id_number[-4:]
    pages = [a.get("/admin/member/"), a.get(f"/admin/member/details/?id={member.id}"),
             a.get(f"/admin/member/edit/?id={member.id}"), a.get("/admin/member/export/csv/")]
    xlsx = a.get("/admin/member/export/xlsx/").get_data()
    cells = " ".join(str(c.value) for row in load_workbook(io.BytesIO(xlsx)).active.iter_rows() for c in row)
    texts = [p.get_data().decode("utf-8-sig") for p in pages] + [cells]
    for text in texts:
        assert member.id_number not in text and member.phone not in text
    assert masked in texts[0] and "138****" in texts[0]
    full = staff_client("community", city["A"]["community"], sensitive=True)
    assert member.id_number in body(full.get("/admin/member/"))


def test_search_by_pinyin_initials_and_id_number(city, staff_client, db):
    born = dt.date(1975, 3, 2)
    zs = Member(name="张三", gender="male", birth_date=born, id_number=idcard.make_number("620302", born, 300, "male"),
                phone="13912345678", joined_on=dt.date(2000, 7, 1), confirmed_on=dt.date(2001, 7, 1),
                status="full", category="resident", affiliation=city["A"]["branch"], location=city["A"]["community"])
    db.session.add(zs)
    db.session.commit()
    a = staff_client("community", city["A"]["community"], sensitive=True)  # prefixes of numbers need the right
    for term in ("zs", "zhangsan", "zhang", "张三", zs.id_number[:10], "1391234"):
        page = body(a.get(f"/admin/member/?search={term}"))
        assert "张三" in page and "A成员0" not in page, term


def test_filters_offer_only_organizations_in_scope(city, staff_client):
    a = staff_client("community", city["A"]["community"])
    page = body(a.get("/admin/member/"))
    groups = json.loads(re.search(r'<div id="filter-groups-data" class="d-none">(.*?)</div>', page).group(1))
    offered = {label for items in groups.values() for item in items for _, label in item["options"] or []}
    assert {"社区A", "社区A第一党支部", "社区A联络小组"} <= offered
    assert not {"社区B", "社区B第一党支部", "社区B联络小组"} & offered
    s = staff_client("street", city["street"])
    page = body(s.get("/admin/member/"))
    assert "社区B联络小组" in json.dumps(json.loads(re.search(
        r'<div id="filter-groups-data" class="d-none">(.*?)</div>', page).group(1)), ensure_ascii=False)


def test_filters_apply(city, staff_client):
    s = staff_client("street", city["street"])
    page = body(s.get(f"/admin/member/?flt1_2={city['B']['community'].id}"))
    assert "B成员0" in page and "A成员0" not in page
    page = body(s.get(f"/admin/member/?flt1_3={city['A']['branch'].id}"))
    assert "A成员1" in page and "B成员1" not in page
    page = body(s.get("/admin/member/?flt1_1=joint"))
    assert "A成员1" in page and "B成员1" in page
    assert "A成员1" not in body(s.get("/admin/member/?flt1_1=dual"))


def test_posts_without_csrf_token_fail(city, staff_client, db):
    a = staff_client("community", city["A"]["community"])
    target = city["A"]["transfer"]
    assert a.post("/admin/transfer/delete/", data={"id": target.id}).status_code == 400
    assert a.post("/logout").status_code == 400
    db.session.expire_all()
    assert db.session.get(Transfer, target.id) is not None


def test_read_only_staff_cannot_change_anything(city, staff_client, db):
    r = staff_client("readonly", city["A"]["community"])
    token = csrf_token(r, "/admin/member/")
    member = city["A"]["members"][0]
    assert r.get("/admin/member/").status_code == 200
    assert r.get("/admin/member/new/").status_code == 403
    assert r.get(f"/admin/member/edit/?id={member.id}").status_code == 403
    assert r.post("/admin/member/delete/", data={"id": member.id, "csrf_token": token}).status_code == 403
    assert ">创建<" not in body(r.get("/admin/member/"))
    db.session.expire_all()
    assert db.session.get(Member, member.id) is not None


def test_staff_and_audit_screens(city, staff_client):
    a = staff_client("community", city["A"]["community"])
    assert a.get("/admin/staff/").status_code == 403
    admin = staff_client("admin")
    assert admin.get("/admin/staff/").status_code == 200
    assert admin.get("/admin/audit/new/").status_code in (302, 403)


def test_changes_and_exports_through_the_ui_are_audited(city, staff_client, db):
    a = staff_client("community", city["A"]["community"], sensitive=True)
    transfer = city["A"]["transfer"]
    token = csrf_token(a, "/admin/transfer/")
    assert a.post("/admin/transfer/delete/", data={"id": transfer.id, "csrf_token": token}).status_code == 302
    a.get("/admin/member/export/csv/")
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.actor == a.staff.username)).all()
    assert {(e.table_name, e.action) for e in entries} >= {("transfer", "delete"), ("member", "export")}
    assert next(e for e in entries if e.action == "delete").before["letter_no"] == "A-0001"


def test_member_list_statement_count_does_not_grow_with_rows(city, staff_client, app, db):
    a = staff_client("community", city["A"]["community"])

    def statements(url):
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert a.get(url).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    few = statements("/admin/member/")
    extra = [Member(name=f"新成员{i}", gender="male", birth_date=BIRTH,
                    id_number=idcard.make_number("620321", BIRTH, 200 + i, "male"), joined_on=dt.date(1990, 1, 1),
                    confirmed_on=dt.date(1991, 1, 1), status="full", category="resident",
                    affiliation=city["A"]["branch"], location=city["A"]["community"], liaison_group=city["A"]["group"])
             for i in range(40)]
    db.session.add_all(extra)
    db.session.commit()
    assert statements("/admin/member/") == few


LOOKUP_PLUGIN = """
    from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader

    from core.plugin_api import Member, ScopedModelView, Transfer, db, hookimpl

    class ActiveMembers(QueryAjaxModelLoader):
        '''A plugin's own loader: its own query, no scope of its own.'''
        def get_query(self):
            return db.session.query(Member).filter(Member.state == "active")

    class ByName(QueryAjaxModelLoader):
        '''Another that builds its list without get_query.'''
        def get_list(self, term, offset=0, limit=10):
            return db.session.query(Member).filter(Member.name.contains(term)).limit(limit).all()

    class LetterView(ScopedModelView):
        form_ajax_refs = {"member": ActiveMembers("member", db.session, Member, fields=["name"])}

    class LetterByNameView(ScopedModelView):
        form_ajax_refs = {"member": ByName("member", db.session, Member, fields=["name"])}

    @hookimpl
    def wuguan_admin_views(admin):
        admin.add_view(LetterView(Transfer, db, endpoint="letters"))
        admin.add_view(LetterByNameView(Transfer, db, endpoint="letters_by_name"))
"""


def test_a_plugins_own_ajax_loader_is_scoped(wuguan_plugin, make_app):
    """A 和平社区 staffer's lookup through a plugin's loader class never returns a 幸福社区 member."""
    from core.plugin_api import Staff
    from core.testing import log_in
    wuguan_plugin("lookup", LOOKUP_PLUGIN)
    app = make_app()
    with app.app_context():
        from core.extensions import db
        street = Organization(kind="street", name="街道", code="S")
        made = {}
        for name, seq in (("和平", 1), ("幸福", 2)):
            community = Organization(kind="community", name=f"{name}社区党委", code=name, parent=street)
            made[name] = Member(name=f"{name}党员", gender="female", birth_date=BIRTH,
                                id_number=idcard.make_number("620302", BIRTH, seq, "female"),
                                joined_on=dt.date(1985, 7, 1), confirmed_on=dt.date(1986, 7, 1), status="full",
                                category="retired", affiliation=community, location=community)
        staff = Staff(username="heping", display_name="和平", role="community", org=made["和平"].location)
        staff.set_password("0123456789ab")
        db.session.add_all([street, *made.values(), staff])
        db.session.commit()
    client = log_in(app.test_client(), "heping", "0123456789ab")
    for endpoint in ("letters", "letters_by_name"):
        found = client.get(f"/admin/{endpoint}/ajax/lookup/?name=member&query=党员").get_json()
        assert [name for _, name in found] == ["和平党员"], endpoint


def test_an_ajax_loader_that_cannot_be_scoped_fails_its_plugin(wuguan_plugin, tmp_path):
    wuguan_plugin("lookup", """
        from flask_admin.model.ajax import AjaxModelLoader

        from core.plugin_api import Member, ScopedModelView, Transfer, db, hookimpl

        class Everyone(AjaxModelLoader):
            def format(self, model):
                return (model.id, model.name)

            def get_one(self, pk):
                return db.session.get(Member, pk)

            def get_list(self, query, offset=0, limit=10):
                return db.session.query(Member).limit(limit).all()

        class LetterView(ScopedModelView):
            form_ajax_refs = {"member": Everyone("member", {})}

        @hookimpl
        def wuguan_admin_views(admin):
            admin.add_view(LetterView(Transfer, db, endpoint="letters"))
    """)
    from core import create_app
    from core.plugins import PluginLoadError
    with pytest.raises(PluginLoadError, match="must subclass QueryAjaxModelLoader"):
        create_app({"WUGUAN_INSTANCE_PATH": str(tmp_path), "WUGUAN_STRICT_PLUGINS": True})
    record = create_app({"WUGUAN_INSTANCE_PATH": str(tmp_path), "WUGUAN_STRICT_PLUGINS": False}) \
        .extensions["wuguan"].records["lookup"]
    assert record.state == "failed" and "must subclass QueryAjaxModelLoader" in record.reason
