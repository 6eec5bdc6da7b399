#!/usr/bin/env python3
"""Writes a CSV of N realistic customers for the import benchmark (bench/transfer).

    bench/make_customers_csv.py N OUT.csv [PARTS]

Columns: name, first and last name, email (unique), phone, company (N/200 distinct names),
status, tags (0-2), notes (every 10th row, with a comma and a line break), and two unknown
columns that become attributes. With PARTS > 1 it writes OUT.csv.1 ... OUT.csv.PARTS instead,
each with the header, for imports over HTTP in several requests.
"""
import random
import sys

FIRST = ["Ada", "Alan", "Grace", "Linus", "Margaret", "Ken", "Barbara", "Dennis", "Frances",
         "John", "Maria", "Liam", "Olivia", "Noah", "Emma", "Lucas", "Sofia", "Mateo", "Amara",
         "Kenji", "Priya", "Omar", "Chen", "Ingrid", "Tariq", "Yuki", "Elena", "Kwame", "Zoë"]
LAST = ["Lovelace", "Turing", "Hopper", "Torvalds", "Hamilton", "Thompson", "Liskov", "Ritchie",
        "Allen", "Backus", "Garcia", "Nguyen", "Smith", "Okafor", "Kowalski", "Rossi", "Silva",
        "Tanaka", "Sharma", "Haddad", "Wang", "Larsen", "Mensah", "Petrov", "Dubois", "Müller"]
WORDS = ["Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Wonka", "Hooli", "Nimbus",
         "Northwind", "Contoso", "Fabrikam", "Oakridge", "Silverline", "Redwood", "Summit"]
STATUSES = ["lead"] * 4 + ["prospect"] * 3 + ["customer"] * 3 + ["churned"]
TAGS = ["vip", "newsletter", "trial", "enterprise", "smb", "partner", "referral", "upsell"]
PLANS = ["free", "starter", "pro", "enterprise"]
SOURCES = ["website", "referral", "event", "cold-call", "partner", "ads"]


def ascii_of(name):
    """The name in lower-case ASCII, for the email address."""
    return name.lower().translate(str.maketrans({"ë": "e", "ü": "u"}))


def rows(n, rng):
    companies = max(1, n // 200)
    for i in range(n):
        first = rng.choice(FIRST)
        last = rng.choice(LAST)
        company = f"{rng.choice(WORDS)} {rng.randrange(companies)}"
        tags = ";".join(rng.sample(TAGS, rng.randrange(3)))
        notes = f"\"Called on day {i % 365}, asked for a quote,\nfollow up\"" if i % 10 == 0 else ""
        local = f"{ascii_of(first)}.{ascii_of(last)}.{i}"
        yield (f"{first} {last},{first},{last},{local}@example.com,"
               f"+1 555 {rng.randrange(10000):04},{company},{rng.choice(STATUSES)},{tags},{notes},"
               f"{rng.choice(PLANS)},{rng.choice(SOURCES)}\n")


def main():
    n = int(sys.argv[1])
    out = sys.argv[2]
    parts = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    header = "name,first_name,last_name,email,phone,company,status,tags,notes,plan,source\n"
    rng = random.Random(42)
    per_part = (n + parts - 1) // parts
    files = [open(out if parts == 1 else f"{out}.{p + 1}", "w", encoding="utf-8", newline="")
             for p in range(parts)]
    for f in files:
        f.write(header)
    for i, row in enumerate(rows(n, rng)):
        files[i // per_part].write(row)
    for f in files:
        f.close()


if __name__ == "__main__":
    main()
