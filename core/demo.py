"""The demo data set: the seed city of the article, reproduced exactly and deterministically.

36 communities; 1,952 members whose relationship is in them (927 retired, 128 laid-off,
170 mobile, 214 in-service, 173 contract-ended / demobilized / graduates, 340 residents);
12,990 in-service members of city employers registered with the communities.

`load(members=N)` grows (or shrinks) the same city to N members in the same proportions:
more streets of six communities, more employers, every plugin's records with them. That
is the benchmarks' data generator (bench/generate.py), so the benchmarks measure the data
the checks were written for. Rows go in with executemany batches (explicit ids) and the
attendance with one INSERT ... SELECT, so a million members take minutes, not hours.
"""
from dataclasses import dataclass, field, replace
import datetime as dt
import random

from faker import Faker
from sqlalchemy import case, func, insert, select, text

from . import audit, idcard, names, rules
from .bulk import BATCH, insert_rows
from .extensions import db
from .models import Activity, Attendance, Member, Organization, Transfer, WorkUnit
from .models.organizations import SEPARATOR

SEED = 20101
DISTRICT = ("620302", "金川区委")
STREETS = ["滨河路街道", "桂林路街道", "北京路街道", "新华路街道", "广州路街道", "金川路街道"]
COMMUNITIES = [
    "和平", "建设", "友谊", "新华", "光明", "团结", "胜利", "幸福", "前进", "朝阳", "金秋", "丽苑",
    "春晖", "长城", "阳光", "兴盛", "福安", "祥和", "东湖", "西苑", "南山", "北苑", "紫金", "金穗",
    "龙泉", "泰安", "永宁", "金城", "嘉园", "龙首", "宏达", "瑞泰", "新村", "文化", "育才", "康乐",
]
# The article's figures: members whose relationship is in the 36 communities.
CATEGORY_COUNTS = {
    "retired": 927, "laid_off": 128, "mobile_out": 98, "mobile_in": 72, "in_service": 214,
    "contract_ended": 71, "demobilized": 37, "graduate": 65, "resident": 340,
}
EMPLOYER_MEMBERS = 12990
WORK_UNITS = 320
# Birth years by category, so ages are plausible (retirees 60 to 95, graduates born 1996-2003...).
BIRTH_YEARS = {
    "retired": (1931, 1965), "laid_off": (1966, 1984), "mobile_out": (1975, 2000), "mobile_in": (1975, 2000),
    "in_service": (1966, 2000), "contract_ended": (1970, 1995), "demobilized": (1990, 2002),
    "graduate": (1996, 2003), "resident": (1945, 1990),
}
REGIONS = ["620302", "620321", "620102", "620103", "620502", "620402", "622701", "610103"]
UNIT_KINDS = [("state_owned", 30), ("institution", 20), ("government", 15), ("private", 25), ("collective", 5),
              ("social", 5)]
ETHNICITIES = ["汉族"] * 46 + ["回族", "藏族", "满族", "蒙古族"]
EDUCATIONS = ["junior", "senior", "college", "bachelor", "bachelor", "master"]


@dataclass
class DemoSet:
    """What plugins receive in `wuguan_demo_data(session, demo)` (and `wuguan_demo_data_after`) to add
    their own records; each plugin gets a copy whose `random` and `faker` are its own."""
    today: dt.date
    random: random.Random
    faker: Faker
    district_id: int = 0
    street_ids: list = field(default_factory=list)
    community_ids: list = field(default_factory=list)
    branches: dict = field(default_factory=dict)        # community id -> {role: branch id}
    liaison_groups: dict = field(default_factory=dict)  # community id -> [liaison group ids]
    buildings: dict = field(default_factory=dict)       # community id -> ["1号楼", ...]
    work_unit_ids: list = field(default_factory=list)
    members: dict = field(default_factory=dict)         # category -> [member ids]
    employer_member_ids: list = field(default_factory=list)
    scale: float = 1.0                                  # members / the seed city's members

    def scaled(self, count):
        """`count` of the seed city at this data set's size."""
        return max(1, round(count * self.scale))


class DemoError(RuntimeError):
    pass


SEED_MEMBERS = sum(CATEGORY_COUNTS.values()) + EMPLOYER_MEMBERS
STEPS = 6


def load(today=None, progress=lambda step: None, members=SEED_MEMBERS):
    """Fill an empty database with the demo set (the seed city grown to `members`); returns the DemoSet."""
    if db.session.scalar(select(func.count()).select_from(Member)):
        raise DemoError("数据库中已有党员数据，演示数据只能装入空数据库")
    if members < 1000:
        raise DemoError("演示城市至少 1000 名党员")
    rng = random.Random(SEED)
    fake = Faker("zh_CN")
    fake.seed_instance(SEED)
    demo = DemoSet(today=today or dt.date.today(), random=rng, faker=fake, scale=members / SEED_MEMBERS)
    steps = [("组织", _organizations), ("单位", _work_units), ("党员", _members), ("组织生活", _activities),
             ("关系转接", _transfers)]
    for title, step in steps:
        step(demo)
        progress(title)
    _advance_sequences()  # before plugins add rows of core's tables through the ORM
    for phase in ("wuguan_demo_data", "wuguan_demo_data_after"):
        _plugins_phase(phase, demo)
    progress("各管理模式")
    audit.record(db.session, "member", "demo", "装入演示数据",
                 after={c: len(ids) for c, ids in demo.members.items()})
    db.session.commit()
    return demo


def _plugins_phase(hook_name, demo):
    """Each loaded plugin's demo hook, in load order, with a random and a faker of its own, seeded
    from the plugin's name: installing or removing one plugin changes no other plugin's data."""
    from .plugins import host
    plugin_host = host()
    for record in plugin_host.loaded():
        seed = f"{SEED}:{record.name}:{hook_name}"
        fake = Faker("zh_CN")
        fake.seed_instance(seed)
        plugin_host.call_one(record.name, hook_name, session=db.session,
                             demo=replace(demo, random=random.Random(seed), faker=fake))


def born(rng, category, gender, used):
    """A birth date plausible for the category and a valid 身份证 number not in `used` (then added)."""
    lo, hi = BIRTH_YEARS[category]
    birth = dt.date(rng.randint(lo, hi), 1, 1) + dt.timedelta(days=rng.randint(0, 364))
    while True:
        number = idcard.make_number(rng.choice(REGIONS), birth, rng.randint(0, 499), gender)
        if number not in used:
            used.add(number)
            return birth, number


class _Ids:
    def __init__(self):
        self.next = 0

    def __call__(self):
        self.next += 1
        return self.next


def _organizations(demo):
    rng, fake, rows, new_id = demo.random, demo.faker, [], _Ids()

    def add(parent, kind, name, code, **extra):
        oid = new_id()
        path = (parent["path"] if parent else SEPARATOR) + f"{oid}{SEPARATOR}"
        row = {"id": oid, "parent_id": parent["id"] if parent else None, "path": path,
               "depth": parent["depth"] + 1 if parent else 0, "kind": kind, "name": name, "code": code,
               "address": extra.get("address"), "contact_person": fake.name(), "phone": fake.phone_number(),
               "email": f"{code.lower()}@jc.example.cn"}
        rows.append(row)
        return row

    district = add(None, "district", DISTRICT[1], "JC")
    demo.district_id = district["id"]
    communities = demo.scaled(len(COMMUNITIES))
    for s in range(1, (communities + 5) // 6 + 1):
        street_name = STREETS[s - 1] if s <= len(STREETS) else f"第{s}街道"
        street = add(district, "street", f"{street_name}党工委", f"JC{s:02d}", address=f"金昌市金川区{street_name}")
        demo.street_ids.append(street["id"])
        for c in range(min(6, communities - (s - 1) * 6)):
            n = (s - 1) * 6 + c
            name = COMMUNITIES[n % len(COMMUNITIES)] + (str(n // len(COMMUNITIES) + 1) if n >= len(COMMUNITIES) else "")
            code = f"JC{s:02d}{c + 1:02d}"
            community = add(street, "community", f"{name}社区党委", code, address=f"{street_name}{name}社区")
            cid = community["id"]
            demo.community_ids.append(cid)
            demo.branches[cid] = {
                "resident": add(community, "branch", f"{name}社区第一党支部", code + "B1")["id"],
                "in_service": add(community, "branch", f"{name}社区第二党支部", code + "B2")["id"],
                "retired": add(community, "branch", f"{name}社区离退休党支部", code + "B3")["id"],
                "mobile": add(community, "mobile_station", f"{name}社区流动党员管理站", code + "M1")["id"],
            }
            count = rng.randint(8, 16)
            demo.buildings[cid] = [f"{n}号楼" for n in range(1, count + 1)]
            demo.liaison_groups[cid] = [
                add(community, "liaison_group", f"{name}社区{n}-{min(n + 1, count)}号楼党员联络小组",
                    f"{code}L{n:02d}")["id"]
                for n in range(1, count + 1, 2)]
    insert_rows(db.session, Organization.__table__, rows)


def _work_units(demo):
    rng, fake, rows, seen = demo.random, demo.faker, [], set()
    kinds = [k for k, weight in UNIT_KINDS for _ in range(weight)]
    fixed = ["金川集团股份有限公司", "金昌市人民医院", "金昌市第一中学", "金川区人民政府", "国网金昌供电公司"]
    while len(rows) < demo.scaled(WORK_UNITS):
        name = fixed[len(rows)] if len(rows) < len(fixed) else "金昌" + fake.company()
        if name in seen:  # faker's companies run out in a large city: number the namesakes
            name = f"{name}（{len(rows)}）"
        seen.add(name)
        uid = len(rows) + 1
        rows.append({"id": uid, "name": name, "kind": rng.choice(kinds), "address": "金昌市" + fake.street_address(),
                     "party_org_name": f"{name}党委", "contact_person": fake.name(),
                     "phone": fake.phone_number(), "email": f"party{uid}@unit.example.cn"})
    demo.work_unit_ids = [r["id"] for r in rows]
    insert_rows(db.session, WorkUnit.__table__, rows)


def _people(demo, size):
    """Names (with their pinyin keys) and street names to draw from: faker and pypinyin cost
    hundreds of microseconds a call, too much to pay once per member of a large city."""
    fake = demo.faker
    names_ = []
    for _ in range(size):
        gender = demo.random.choice(("male", "female"))
        name = fake.last_name() + (fake.first_name_male() if gender == "male" else fake.first_name_female())
        names_.append((name, *names.pinyin_keys(name), gender))
    return names_, [fake.street_name() for _ in range(200)]


def _members(demo):
    rng, today = demo.random, demo.today
    counts = {category: demo.scaled(n) for category, n in CATEGORY_COUNTS.items()}
    employer_members = round(SEED_MEMBERS * demo.scale) - sum(counts.values())
    people, streets = _people(demo, min(sum(counts.values()) + employer_members, 20000))
    used, rows, new_id = set(), [], _Ids()
    # Recorded well before today: checks that count from when a member arrived (双管's
    # registration deadline) see settled members, not a city that appeared this morning.
    recorded = dt.datetime.combine(today - dt.timedelta(days=400), dt.time(9))

    def person(category, community, affiliation, work_unit=None):
        name, pinyin, initials, gender = rng.choice(people)
        birth, number = born(rng, category, gender, used)
        earliest = birth.replace(year=birth.year + 18, day=min(birth.day, 28))
        latest = min(birth.replace(year=birth.year + 45, day=min(birth.day, 28)), today - dt.timedelta(days=30))
        joined = earliest + dt.timedelta(days=rng.randint(0, max(0, (latest - earliest).days)))
        probation_end = rules.probation_ends_on(joined)
        probationary = probation_end > today
        building = rng.choice(demo.buildings[community])
        groups = demo.liaison_groups[community]
        group = groups[min((int(building[:-2]) - 1) // 2, len(groups) - 1)]
        mid = new_id()
        rows.append({
            "id": mid, "name": name, "name_pinyin": pinyin, "name_initials": initials, "gender": gender,
            "ethnicity": rng.choice(ETHNICITIES), "birth_date": birth, "id_number": number,
            "phone": f"1{rng.choice('3589')}{rng.randint(0, 999999999):09d}",
            "address": f"金昌市金川区{rng.choice(streets)}{rng.randint(1, 200)}号",
            "building": building, "unit_no": f"{rng.randint(1, 4)}单元", "room": f"{rng.randint(1, 6)}0{rng.randint(1, 4)}",
            "education": rng.choice(EDUCATIONS), "joined_on": joined,
            "confirmed_on": None if probationary else probation_end,
            "probation_extension_months": 0, "status": "probationary" if probationary else "full",
            "category": category, "state": "active", "affiliation_id": affiliation, "location_id": community,
            "liaison_group_id": group, "work_unit_id": work_unit, "created_at": recorded, "updated_at": recorded,
        })
        if len(rows) == BATCH:
            insert_rows(db.session, Member.__table__, rows)
            rows.clear()
        return mid

    categories = [c for c, n in counts.items() for _ in range(n)]
    rng.shuffle(categories)
    for category in categories:
        community = rng.choice(demo.community_ids)
        branches = demo.branches[community]
        affiliation = {
            "retired": branches["retired"], "in_service": branches["in_service"], "resident": branches["resident"],
            "mobile_in": branches["mobile"],
        }.get(category, branches[rng.choice(("resident", "in_service"))])
        unit = rng.choice(demo.work_unit_ids) if category in ("in_service", "retired") else None
        demo.members.setdefault(category, []).append(person(category, community, affiliation, unit))
    # In-service members of city employers: the employer holds the relationship, the community registers them.
    for _ in range(employer_members):
        demo.employer_member_ids.append(
            person("in_service", rng.choice(demo.community_ids), None, rng.choice(demo.work_unit_ids)))
    insert_rows(db.session, Member.__table__, rows)


def _activities(demo):
    """A year of organizational life for every community branch; nine in ten members attend each."""
    rng, today = demo.random, demo.today
    branches = db.session.scalars(select(Member.affiliation_id).where(Member.affiliation_id.is_not(None))
                                  .distinct().order_by(Member.affiliation_id)).all()
    plan = [("theme_day", m, "主题党日") for m in range(12)] + [("general_meeting", m, "党员大会") for m in (1, 4, 7, 10)] \
        + [("party_lecture", m, "党课") for m in (2, 8)]
    activities, aid = [], _Ids()
    for branch in branches:
        for kind, months_ago, title in plan:
            held = rules.add_months(today, -months_ago - 1).replace(day=rng.randint(1, 28))
            activities.append({"id": aid(), "org_id": branch, "kind": kind, "held_on": held,
                               "topic": f"{held:%Y年%m月}{title}", "notes": None})
    insert_rows(db.session, Activity.__table__, activities)
    # Who was absent is a fixed function of the two ids (small factors: 32-bit integers at a
    # million members), so the set goes in as one statement.
    absent = (Activity.id * 7 + Member.id * 13) % 10 == 0
    reason = case(((Activity.id + Member.id) % 3 == 0, "病假"), ((Activity.id + Member.id) % 3 == 1, "外出"),
                  else_="事假")
    db.session.execute(insert(Attendance.__table__).from_select(
        ["activity_id", "member_id", "present", "absence_reason"],
        select(Activity.id, Member.id, case((absent, False), else_=True), case((absent, reason), else_=None))
        .join(Member, Member.affiliation_id == Activity.org_id)))


def _transfers(demo):
    """Some letters in flight, each issued by the branch that holds the member; a few past their validity
    without a receipt (口袋党员 risk)."""
    rng, today, rows = demo.random, demo.today, []
    movable = demo.members["resident"] + demo.members["mobile_out"]
    affiliation = dict(db.session.execute(select(Member.id, Member.affiliation_id).where(Member.id.in_(movable))).all())
    for n in range(1, demo.scaled(60) + 1):
        mid = rng.choice(movable)
        within = rng.random() < 0.6
        issued = today - dt.timedelta(days=rng.randint(1, 200))
        valid_until = rules.transfer_valid_until(issued, within)
        done = rng.random() < 0.8 or valid_until >= today
        rows.append({
            "id": n, "member_id": mid, "direction": "out", "within_city": within,
            "from_org_id": affiliation[mid], "from_org_name": None, "to_org_id": None,
            "to_org_name": rng.choice(["兰州市城关区", "嘉峪关市雄关区", "白银市白银区", "西安市雁塔区"]) + "某社区党委",
            "letter_no": f"甘金组转〔{issued.year}〕{n:04d}号", "issued_on": issued, "valid_until": valid_until,
            "received_on": issued + dt.timedelta(days=3) if done and valid_until < today else None,
            "receipt_returned_on": issued + dt.timedelta(days=8) if done and valid_until < today else None,
            "state": "completed" if done and valid_until < today else "issued",
        })
    insert_rows(db.session, Transfer.__table__, rows)


def _advance_sequences():
    """Rows went in with explicit ids; PostgreSQL's sequences must start past them."""
    if db.engine.dialect.name != "postgresql":
        return
    for table in ("organization", "work_unit", "member", "activity", "attendance", "transfer"):
        db.session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 1))"))
