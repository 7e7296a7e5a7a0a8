"""Helpers shared by test_reviews.py, test_exercises.py and test_compliance.py.

The incident lifecycle times (occurred_at, acknowledged_at, contained_at,
resolved_at, closed_at) and the status are set with direct SQL: the
transitions endpoint of the incident log is not on main yet, and PATCH
/api/v1/incidents accepts only title, description, severity and detected_at.
"""
import secrets
import time

DAY = 86400


def add_user(inst, email, role="manager", name="", org="Acme"):
    """A second user in an organisation (no account API on main yet), and a token."""
    now = int(time.time())
    uid = secrets.token_hex(16)
    inst.sql(f"INSERT INTO users(uid, email, display_name, created_at, updated_at) "
             f"VALUES ('{uid}', '{email}', '{name}', {now}, {now})")
    inst.sql(f"INSERT INTO memberships(org_id, user_id, role, created_at) "
             f"SELECT o.id, u.id, '{role}', {now} FROM orgs o, users u "
             f"WHERE o.name = '{org}' AND u.email = '{email}'")
    return inst.token(email, org=org)


def add_org(inst, name, admin_email):
    now = int(time.time())
    inst.sql(f"INSERT INTO orgs(uid, name, created_at) VALUES ('{secrets.token_hex(16)}', "
             f"'{name}', {now})")
    return add_user(inst, admin_email, role="admin", org=name)


def new_incident(inst, title="Credential stuffing", severity="high", token=None):
    r = inst.post("/api/v1/incidents", {"title": title, "severity": severity}, token=token)
    assert r.status == 201, r
    return r.json


def set_times(inst, uid, status=None, **times):
    """Sets lifecycle columns (epoch seconds) and optionally the status by SQL."""
    sets = [f"{k} = {int(v)}" for k, v in times.items()]
    if status:
        sets.append(f"status = '{status}'")
    inst.sql(f"UPDATE incidents SET {', '.join(sets)} WHERE uid = '{uid}'")


def day(t):
    return time.strftime("%Y-%m-%d", time.gmtime(t))


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


FULL_REVIEW = {
    "summary": "Attackers reused leaked passwords against the login API.",
    "root_cause": {"method": "five_whys",
                   "root_cause": "No rate limit on the login endpoint.",
                   "contributing_factors": ["no MFA for admins", "alerts went to a dead channel"],
                   "category": "misconfiguration"},
    "impact": {"people_affected": 120, "customers_affected": 3, "records_affected": 120,
               "data_types": ["email", "name"], "systems": ["auth-api"],
               "duration_minutes": 120, "downtime_minutes": 0, "estimated_cost": 5000,
               "currency": "EUR", "regulatory": "GDPR Art. 33 notification filed.",
               "contractual": "Customer A notified under its DPA.",
               "functional": "low", "information": "privacy", "recoverability": "regular"},
    "went_well": "Detection within ten minutes.",
    "went_badly": "Paging went to a channel nobody watched.",
    "recommendations": ["Rate-limit the login API", "Route auth alerts to the on-call pager"],
}
