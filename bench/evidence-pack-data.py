"""Fills a sirt SQLite database with N synthetic incidents spread over
2026-01-01 .. 2026-03-31 for the evidence-pack benchmark (bench/evidence-pack.md).
Usage: python3 bench/evidence-pack-data.py DB_FILE N   (after `sirt init`)"""
import sqlite3, uuid, random, sys, time
n = int(sys.argv[2])
db = sqlite3.connect(sys.argv[1])
random.seed(1)
start = 1767225600  # 2026-01-01
sev = ["low"] * 60 + ["medium"] * 25 + ["high"] * 12 + ["critical"] * 3
words = "phishing malware ransomware credential stuffing data leak lost laptop misconfigured bucket exposed token ddos insider".split()
rows = []
for i in range(n):
    t = start + int(i * (90 * 86400 / n))
    title = " ".join(random.choice(words) for _ in range(4)).capitalize()
    desc = " ".join(random.choice(words) for _ in range(random.randint(5, 40)))
    s = random.choice(sev)
    rows.append((str(uuid.uuid4()), 1, f"INC-2026-{i+1:06d}", title, desc, s,
                 random.choice(["new", "triage", "resolved", "closed"]), t, t, t,
                 "fixed" if i % 3 == 0 else None, "contained and cleaned" if i % 3 == 0 else ""))
db.executemany("INSERT INTO incidents (uid, org_id, key, title, description, severity, status,"
               " detected_at, created_at, updated_at, resolution, resolution_summary)"
               " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows)
db.commit()
print("inserted", n)
