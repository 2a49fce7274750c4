"""Generate a city of N members in the seed city's proportions, fast (COPY on PostgreSQL).

    .venv/bin/python bench/generate.py --members 100000 --database-url postgresql://127.0.0.1/test

The database is taken to every head first; it must hold no members. Streets of six
communities, ~415 members per community as in the seed city (1,952 + 12,990 over 36),
each community with its branches and liaison groups. Names come from a pool of
generated names with their pinyin, so a million members do not call pypinyin a million times.
"""
import argparse
import datetime as dt
import random
import time

from sqlalchemy import func, insert, select, text

from core import names
from core.demo import CATEGORY_COUNTS, EMPLOYER_MEMBERS, born

SEED_MEMBERS = sum(CATEGORY_COUNTS.values()) + EMPLOYER_MEMBERS
SEED_COMMUNITIES = 36
COLUMNS = ["id", "name", "name_pinyin", "name_initials", "gender", "ethnicity", "birth_date", "id_number", "phone",
           "address", "building", "unit_no", "room", "education", "joined_on", "confirmed_on",
           "probation_extension_months", "status", "category", "state", "affiliation_id", "location_id",
           "liaison_group_id", "work_unit_id", "created_at", "updated_at"]


def category_weights():
    weights = dict(CATEGORY_COUNTS)
    weights["in_service"] += EMPLOYER_MEMBERS
    return list(weights), list(weights.values())


def name_pool(rng, size=4000):
    from faker import Faker
    fake = Faker("zh_CN")
    fake.seed_instance(rng.random())
    pool = []
    for _ in range(size):
        gender = rng.choice(("male", "female"))
        name = fake.last_name() + (fake.first_name_male() if gender == "male" else fake.first_name_female())
        pool.append((name, *names.pinyin_keys(name), gender))
    return pool


def organizations(session, communities):
    """District > streets (6 communities each) > communities > 3 branches and 6 liaison groups."""
    from core.models import Organization
    rows, next_id = [], iter(range(1, 10**9))
    def add(parent, kind, name, code):
        oid = next(next_id)
        path = (parent["path"] if parent else ".") + f"{oid}."
        row = {"id": oid, "parent_id": parent["id"] if parent else None, "path": path,
               "depth": parent["depth"] + 1 if parent else 0, "kind": kind, "name": name, "code": code}
        rows.append(row)
        return row
    district = add(None, "district", "压测区委", "BENCH")
    layout = []
    for c in range(communities):
        if c % 6 == 0:
            street = add(district, "street", f"第{c // 6 + 1}街道党工委", f"BS{c // 6 + 1}")
        community = add(street, "community", f"第{c + 1}社区党委", f"BC{c + 1}")
        branches = [add(community, "branch", f"第{c + 1}社区第{b}党支部", f"BC{c + 1}B{b}")["id"] for b in (1, 2, 3)]
        groups = [add(community, "liaison_group", f"第{c + 1}社区{g}号联络小组", f"BC{c + 1}L{g}")["id"]
                  for g in range(1, 7)]
        layout.append((community["id"], branches, groups))
    session.execute(insert(Organization.__table__), rows)
    return layout


def member_rows(total, layout, rng, pool, today):
    categories, weights = category_weights()
    used = set()
    for mid in range(1, total + 1):
        category = rng.choices(categories, weights)[0]
        name, pinyin, initials, gender = rng.choice(pool)
        birth, number = born(rng, category, gender, used)
        joined = birth + dt.timedelta(days=365 * 18 + rng.randint(0, 365 * 20))
        joined = min(joined, today - dt.timedelta(days=800))
        community, branches, groups = layout[mid % len(layout)]
        employer = category == "in_service" and rng.random() < EMPLOYER_MEMBERS / (EMPLOYER_MEMBERS + 214)
        yield (mid, name, pinyin, initials, gender, "汉族", birth, number, f"139{rng.randint(0, 99999999):08d}",
               None, f"{rng.randint(1, 20)}号楼", None, None, "bachelor", joined, joined + dt.timedelta(days=366),
               0, "full", category, "active", None if employer else rng.choice(branches), community,
               rng.choice(groups), None, today, today)


def copy_members(connection, rows):
    """PostgreSQL COPY from a text buffer, a chunk at a time."""
    raw = connection.connection.driver_connection
    with raw.cursor() as cursor:
        with cursor.copy(f"COPY member ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def generate(members, database_url=None, seed=7, progress=print):
    from core import create_app
    from core.cli import upgrade_database
    from core.extensions import db
    from core.models import Member
    config = {"SQLALCHEMY_DATABASE_URI": database_url} if database_url else {}
    app = create_app(config)
    rng = random.Random(seed)
    started = time.monotonic()
    with app.app_context():
        upgrade_database()
        if db.session.scalar(select(func.count()).select_from(Member)):
            raise SystemExit("the database already holds members")
        communities = max(1, round(members * SEED_COMMUNITIES / SEED_MEMBERS))
        layout = organizations(db.session, communities)
        db.session.commit()
        rows = member_rows(members, layout, rng, name_pool(rng), dt.date.today())
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                copy_members(conn, rows)
                for table in ("organization", "member"):
                    conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                      f"(SELECT MAX(id) FROM {table}))"))
                conn.execute(text("ANALYZE member; ANALYZE organization"))
        else:
            batch = []
            for row in rows:
                batch.append(dict(zip(COLUMNS, row)))
                if len(batch) == 20000:
                    db.session.execute(insert(Member.__table__), batch)
                    batch = []
            if batch:
                db.session.execute(insert(Member.__table__), batch)
            db.session.commit()
    progress(f"{members} members in {communities} communities: {time.monotonic() - started:.1f} s")
    return communities


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10000)
    parser.add_argument("--database-url")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    generate(args.members, args.database_url, args.seed)
