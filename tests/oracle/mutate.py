#!/usr/bin/env python3
"""Make `sanbao gen`'s clean data rough, for the differential test
(tests/oracle/run.sh).  Deterministic: the same arguments give the same bytes.

  mutate.py claims SEED IN OUT [--crlf] [--bom] [--shuffle] [--permute]
      spoils a few percent of the claims rows in every way the rules have a
      reason for (docs/reference/settlement.md §8: bad amounts, visit types,
      levels, dates, quoting, field counts, unknown persons, duplicate ids,
      reversals of every kind), adds rows that bind caps and edge amounts,
      and optionally changes the file's form (CRLF, a BOM, blank lines,
      rows shuffled, columns permuted) -- which must not change any result.
  mutate.py persons SEED YEAR IN OUT
      splits a fifth of the persons' open intervals in two at a day of YEAR,
      with another category from that day (a few with a gap between).
  mutate.py fees SEED CLAIMS CATALOG IN OUT
      adds fee lines at the edges of settlement §11 (prices at an item's
      limit, half a fen, a count of 0, re-rated codes, serial numbers used
      twice, lines naming a reversal row or no row).
  mutate.py rename-ids PREFIX IN OUT
      gives every claim id (and every `reverses`) a prefix, so that two
      generated years can share one claims file without colliding ids.
  mutate.py policy VARIANT IN OUT
      a policy variant (docs/reference/formats.md §7): `claim` (re-assistance
      paid at settlement), `tight` (small caps that bind, odd ratios, fen in
      amounts, no `default` region, outpatient counted by every tier, more
      monitoring rules), `nulls` (every cap null), `numbers` (JSON numbers instead of strings),
      `year=Y` (another year).

Standard library only.
"""

import json
import random
import re
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, __import__("os").path.dirname(__file__))
from settle import read_csv  # noqa: E402  (the CSV reader; nothing else)


def write_csv(path, header, rows, crlf=False, bom=False, blank_lines=(), rough_end=False):
    """With rough_end, the file ends oddly: in a lone CR after CRLF lines (it
    ends the line, docs/decisions.md), else in a quoted field never closed
    (which runs to the end of the input, so it can only come last)."""
    eol = b"\r\n" if crlf else b"\n"
    out = [b"\xef\xbb\xbf"] if bom else []
    out.append(b",".join(header) + eol)
    for k, row in enumerate(rows):
        if k in blank_lines:
            out.append(eol)
        out.append(b",".join(row) + eol)
    if rough_end and crlf:
        out[-1] = out[-1][:-2] + b"\r"
    elif rough_end:
        out.append(b'U-END,P00000001,2022-03-01,"outpatient,primary,100,,,,\n')
    with open(path, "wb") as f:
        f.write(b"".join(out))


def quote(v):
    return b'"' + v.replace(b'"', b'""') + b'"'


def plain(v):
    """A field as written unquoted (the generated files need no quotes)."""
    return quote(v) if any(c in v for c in b',"\r\n') else v


def claims(seed, src, dst, flags):
    rnd = random.Random(seed)
    with open(src, "rb") as f:
        records = read_csv(f.read())
    header = [fl.value for fl in records[0]]
    col = {name: k for k, name in enumerate(header)}
    rows = [[plain(fl.value) for fl in r] for r in records[1:]]
    ids = [r[col[b"claim_id"]] for r in rows]
    persons = sorted({r[col[b"person_id"]] for r in rows})
    plain_rows = [r for r in rows if r[col[b"reverses"]] == b""]

    def setf(row, name, value):
        row[col[name]] = value

    def get(row, name):
        return row[col[name]]

    def spoil(row):
        kind = rnd.randrange(26)
        if kind == 0:
            setf(row, b"medfee_sumamt", rnd.choice([b"1.234", b'" 100"', b"-5", b"1e3", b"", b".5", b"5.", b"+5", b'"1,000"', b"10000000000.01", b"abc"]))
        elif kind == 1:
            setf(row, b"fulamt_ownpay_amt", b"99999999")  # more than medfee
        elif kind == 2:  # a valid split of medfee (inscp shrinks)
            setf(row, b"fulamt_ownpay_amt", rnd.choice([b"0.01", b"10", b"100.5"]))
            setf(row, b"overlmt_selfpay", rnd.choice([b"", b"0", b"3.33"]))
            setf(row, b"preselfpay_amt", rnd.choice([b"", b"1.07", b"007"]))
        elif kind == 3:
            setf(row, b"visit_type", rnd.choice([b"dental", b"Inpatient", b""]))
        elif kind == 4:
            setf(row, b"level", rnd.choice([b"clinic", b"Grade2", b""]))
        elif kind == 5:  # another valid visit type or level
            setf(row, b"visit_type", rnd.choice([b"inpatient", b"chronic", b"outpatient"]))
            setf(row, b"level", rnd.choice([b"primary", b"grade1", b"grade2", b"grade3", b"provincial"]))
        elif kind == 6:
            setf(row, b"person_id", rnd.choice([b"NOBODY", b"", b"P" * 65]))
        elif kind == 7:
            setf(row, b"person_id", rnd.choice(persons))  # someone else's claim
        elif kind == 8:
            setf(row, b"date", rnd.choice([b"2022-02-30", b"2022-2-01", b"2022-13-01", b"20220301", b"2022-02-29", b""]))
        elif kind == 9:
            year = get(row, b"date")[:4]
            setf(row, b"date", rnd.choice([b"2020-06-30", b"2023-01-01", year + b"-01-01", year + b"-12-31"]))
        elif kind == 10:
            setf(row, b"claim_id", rnd.choice(ids))  # a duplicate id
        elif kind == 11:
            setf(row, b"claim_id", rnd.choice([b'C"1', b'"C1"x', b""]))
        elif kind == 12:
            row.append(b"extra")  # a field too many
        elif kind == 13:
            row.pop()  # a field too few
        elif kind == 14:
            setf(row, b"claim_id", rnd.choice([b"X" * 64, b"Y" * 65, quote(b"Q,1"), quote(b'Q"2'), quote(get(row, b"claim_id"))]))
        elif kind == 15:  # amounts that bind caps and edges
            setf(row, b"medfee_sumamt", rnd.choice([b"0", b"0.01", b"500000.00", b"150000", b"10000000000.00", b"2500.5"]))
            setf(row, b"fulamt_ownpay_amt", b"")
        elif kind == 16:
            setf(row, b"reverses", rnd.choice(ids))  # a reversal of anything
        elif kind == 17:
            setf(row, b"reverses", rnd.choice([b"NOPE", b"Z" * 65, get(row, b"claim_id")]))
        elif kind == 18:
            # a reversal row that still carries amounts (they are ignored)
            setf(row, b"reverses", rnd.choice(ids))
            setf(row, b"medfee_sumamt", b"-1")
        elif kind == 19:  # ids the output must quote; a lone CR is data
            setf(row, b"claim_id", rnd.choice([quote(b"L\nF"), quote(b"C\r\nR"), b"C\rR", quote(b"q,\"x\"")]))
        elif kind == 20:  # ids beyond ASCII (compared as unsigned bytes)
            setf(row, b"claim_id", rnd.choice([b"\xe6\x92\xa4", b"\xc3\xa9", b"\x7f", b"\x01"]) + get(row, b"claim_id"))
        elif kind == 21:  # leap years: 1900 and 2100 are not, 2000 is
            setf(row, b"date", rnd.choice([b"1900-02-29", b"2100-02-29", b"2000-02-29", b"2024-02-29", b"0000-01-01"]))
        elif kind == 22:  # a whole row of odd shape
            return rnd.choice([[b"   "], [b"", b""], [quote(b"")], [b","] * 3])
        elif kind == 23:  # all of medfee out of scope (inscp 0), or edge forms
            setf(row, b"fulamt_ownpay_amt", get(row, b"medfee_sumamt"))
            setf(row, b"overlmt_selfpay", rnd.choice([b"", b"0", b"0.00", b"000"]))
        return row

    out = []
    for row in rows:
        out.append(spoil(list(row)) if rnd.random() < 0.04 else row)
    # extra reversals: of a claim of the same person (before, on, after its
    # date), twice, of a reversal, and by another person
    extra = []
    for k in range(max(4, len(rows) // 150)):
        target = rnd.choice(plain_rows)
        r = [b""] * len(header)
        setf(r, b"claim_id", b"RV%06d" % k)
        setf(r, b"person_id", get(target, b"person_id") if rnd.random() < 0.85 else rnd.choice(persons))
        date = get(target, b"date")
        setf(r, b"date", rnd.choice([date, date, date[:8] + b"28", date[:5] + b"12-31", date[:5] + b"01-01"]))
        setf(r, b"reverses", get(target, b"claim_id") if rnd.random() < 0.9 else b"RV%06d" % max(0, k - 1))
        extra.append(r)
        if rnd.random() < 0.2:
            again = list(r)
            setf(again, b"claim_id", b"RW%06d" % k)
            extra.append(again)
    # reversals on the day of their original, with ids that sort before it
    # ("A...") or after it (UTF-8 "撤...", a byte above 0x7f): settlement §4
    for k in range(max(2, len(rows) // 500)):
        target = rnd.choice(plain_rows)
        r = [b""] * len(header)
        setf(r, b"claim_id", rnd.choice([b"A", b"\xe6\x92\xa4", b"c"]) + b"%05d" % k)
        setf(r, b"person_id", get(target, b"person_id"))
        setf(r, b"date", get(target, b"date"))
        setf(r, b"reverses", get(target, b"claim_id"))
        extra.append(r)
    # the last claim of some persons reversed at the end of its year (after
    # the year, the claim counted before it decides the category, §10)
    last = {}
    for r in plain_rows:
        if len(r) == len(header):
            p = get(r, b"person_id")
            if p not in last or get(r, b"date") > get(last[p], b"date"):
                last[p] = r
    for k, p in enumerate(sorted(last)):
        if rnd.random() < 0.03:
            r = [b""] * len(header)
            setf(r, b"claim_id", b"RL%05d" % k)
            setf(r, b"person_id", p)
            setf(r, b"date", get(last[p], b"date")[:5] + b"12-31")
            setf(r, b"reverses", get(last[p], b"claim_id"))
            extra.append(r)
    # reversals in another year than their original (no policy is checked)
    for k in range(max(2, len(rows) // 1000)):
        target = rnd.choice(plain_rows)
        r = [b""] * len(header)
        setf(r, b"claim_id", b"RY%05d" % k)
        setf(r, b"person_id", get(target, b"person_id"))
        setf(r, b"date", b"%04d-01-15" % (int(get(target, b"date")[:4]) + 1))
        setf(r, b"reverses", get(target, b"claim_id"))
        extra.append(r)
    # twins: a second row with the id of a claim, another date, sometimes
    # spoiled (the earlier in canonical order takes the id, unless rejected;
    # a rejected row leaves the id free)
    for k in range(max(2, len(rows) // 300)):
        twin = list(rnd.choice(plain_rows))
        if len(twin) != len(header):
            continue
        date = get(twin, b"date")
        setf(twin, b"date", date[:5] + rnd.choice([b"01-02", b"06-15", b"12-30"]))
        if rnd.random() < 0.5:
            setf(twin, b"level", b"clinic")
        extra.append(twin)
    out.extend(extra)
    if "--shuffle" in flags:
        rnd.shuffle(out)
    if "--permute" in flags:
        perm = list(range(len(header)))
        rnd.shuffle(perm)
        header = [header[p] for p in perm]
        # a row with the wrong field count stays as it is (malformed anyway)
        out = [[r[p] for p in perm] if len(r) == len(perm) else r for r in out]
    blanks = set(rnd.sample(range(len(out)), min(3, len(out))))
    write_csv(dst, header, out, crlf="--crlf" in flags, bom="--bom" in flags, blank_lines=blanks, rough_end=True)


CATEGORIES = (b"general", b"destitute", b"min_living", b"relapsed", b"monitored", b"near_poor", b"lifted", b"illness_poor")


def persons(seed, year, src, dst):
    """Split the open interval of about a fifth of the persons in two at a
    day of `year`, with another category from that day (settlement §2: the
    category in force on the claim's date decides), a few with a gap between
    the two (NOT_INSURED there)."""
    rnd = random.Random(seed)
    with open(src, "rb") as f:
        records = read_csv(f.read())
    header = [fl.value for fl in records[0]]
    col = {name: k for k, name in enumerate(header)}
    out = []
    for r in records[1:]:
        row = [plain(fl.value) for fl in r]
        if row[col[b"valid_from"]] or row[col[b"valid_to"]] or rnd.random() > 0.2:
            out.append(row)
            continue
        month = rnd.randrange(2, 13)
        first, second = list(row), list(row)
        first[col[b"valid_to"]] = b"%d-%02d-14" % (year, month)
        second[col[b"valid_from"]] = b"%d-%02d-%02d" % (year, month, 15 if rnd.random() < 0.9 else 20)
        second[col[b"category"]] = rnd.choice([c for c in CATEGORIES if c != row[col[b"category"]]])
        out.extend([first, second])
    write_csv(dst, header, out)


def fees(seed, claims_path, catalog_path, src, dst):
    """Add fee lines at the edges of settlement §11 to gen's fees.csv: prices
    at, and a millionth above, an item's limit; half a fen exactly; a count
    of 0; codes re-rated during the year; a serial number used twice; lines
    naming a reversal row, no row, or an empty id."""
    rnd = random.Random(seed)
    with open(claims_path, "rb") as f:
        crec = read_csv(f.read())
    chead = [fl.value for fl in crec[0]]
    cid, crev = chead.index(b"claim_id"), chead.index(b"reverses")
    good = [r for r in crec[1:] if len(r) == len(chead) and all(fl.ok for fl in r)]
    plain_ids = [r[cid].value for r in good if r[crev].value == b""]
    reversal_ids = [r[cid].value for r in good if r[crev].value != b""]
    with open(catalog_path, "rb") as f:
        krec = read_csv(f.read())
    khead = [fl.value for fl in krec[0]]
    kcode, klimit = khead.index(b"med_list_codg"), khead.index(b"pric_uplmt_amt")
    codes = [r[kcode].value for r in krec[1:]]
    limited = [(r[kcode].value, r[klimit].value) for r in krec[1:] if r[klimit].value]
    seen = {}
    for c in codes:
        seen[c] = seen.get(c, 0) + 1
    rerated = sorted(c for c, n in seen.items() if n > 1)
    with open(src, "rb") as f:
        data = f.read()
    extra = []
    for k in range(max(20, len(plain_ids) // 100)):
        claim = plain(rnd.choice(plain_ids))
        sn = b"X%d" % k
        kind = rnd.randrange(8)
        if kind == 0 and limited:
            code, limit = rnd.choice(limited)
            whole, _, frac = limit.partition(b".")
            micro = int(whole) * 10**6 + int(frac.ljust(6, b"0") or b"0")
            micro += rnd.choice([0, 1, -1])
            price = b"%d.%06d" % (micro // 10**6, micro % 10**6)
            extra.append([claim, sn, code, rnd.choice([b"1", b"2.5", b"0.0001", b"3.3333"]), price])
        elif kind == 1:
            extra.append([claim, sn, rnd.choice(codes), rnd.choice([b"1", b"3"]), rnd.choice([b"0.125", b"0.005", b"0.015", b"0.004999"])])
        elif kind == 2:
            extra.append([claim, sn, rnd.choice(codes), b"0", b"12.34"])
        elif kind == 3 and rerated:
            extra.append([claim, sn, rnd.choice(rerated), b"1.5", b"99.999999"])
        elif kind == 4:
            extra.append([claim, b"1", rnd.choice(codes), b"1", b"1"])  # gen numbers lines 1, 2, ...
        elif kind == 5 and reversal_ids:
            extra.append([plain(rnd.choice(reversal_ids)), sn, rnd.choice(codes), b"1", b"1"])
        elif kind == 6:
            extra.append([rnd.choice([b"", b"NO-SUCH-CLAIM", quote(b"")]), sn, rnd.choice(codes), b"1", b"1"])
        else:
            extra.append([claim, sn, b"UNLISTED-%d" % k, b"2", b"10000000000"])
    lines = data.rstrip(b"\n").split(b"\n")
    body = lines[1:] + [b",".join(e) for e in extra]
    rnd.shuffle(body)
    with open(dst, "wb") as f:
        f.write(b"\n".join([lines[0]] + body) + b"\n")


def rename_ids(prefix, src, dst):
    with open(src, "rb") as f:
        records = read_csv(f.read())
    header = [fl.value for fl in records[0]]
    rows = []
    for r in records[1:]:
        row = [fl.value for fl in r]
        for name in (b"claim_id", b"reverses"):
            k = header.index(name)
            if row[k]:
                row[k] = prefix.encode() + row[k]
        rows.append([plain(v) for v in row])
    write_csv(dst, header, rows)


def policy(variant, src, dst):
    with open(src, encoding="utf-8") as f:
        j = json.load(f)  # the shipped policy writes every amount as a string
    if variant == "claim":
        j["reassistance"]["timing"] = "claim"
    elif variant.startswith("year="):
        j["year"] = int(variant[5:])
    elif variant == "nulls":
        j["basic"]["annual_cap"] = None
        j["basic"]["inpatient"]["annual_deductible_cap"] = None
        j["basic"]["chronic"]["annual_cap"] = None
        j["basic"]["outpatient"]["annual_cap"] = None
        j["critical_illness"]["annual_cap"] = None
        for row in j["assistance"]["categories"].values():
            if isinstance(row, dict):
                row["annual_cap"] = None
        for row in j["reassistance"]["categories"].values():
            if isinstance(row, dict):
                row["annual_cap"] = None
    elif variant == "tight":
        b = j["basic"]
        b["annual_cap"] = "20000.55"
        b["inpatient"]["annual_deductible_cap"] = "1500.01"
        b["inpatient"]["repeat_deductible_factor"] = "0.3333"
        b["inpatient"]["levels"]["grade2"]["ratio"] = "0.6381"
        b["chronic"] = {"ratio": "0.7777", "annual_cap": "1000.03"}
        b["outpatient"] = {"levels": {"primary": {"ratio": "0.55"}, "grade1": {"ratio": "0.4999"}}, "annual_cap": "100.07"}
        ci = j["critical_illness"]
        ci["visit_types"] = ["inpatient", "chronic", "outpatient"]
        ci["segments"] = [{"upto": "1000.01", "ratio": "0.5"}, {"upto": "5000", "ratio": "0.6333"}, {"upto": None, "ratio": "0.98"}]
        ci["annual_cap"] = "5000.09"
        ci["tilted"] = {"categories": ["destitute", "min_living", "near_poor"], "deductible_factor": "0.4321", "ratio_bonus": "0.0777", "uncapped": False}
        # no `default`: persons of 430800, 431100 and 433100 are UNKNOWN_REGION;
        # two counties have rows of their own
        regions = {"430500": "1100.11", "430581": "700", "430100": "2000", "430103": "3000.5", "430200": "0"}
        regions.update({"431000": "999.99", "430600": "1500", "430900": "800", "430300": "1200", "430400": "900"})
        regions.update({"430700": "1000", "431200": "1111.11", "431300": "600"})
        j["regions"] = {k: {"ci_deductible": v} for k, v in regions.items()}
        a = j["assistance"]
        a["visit_types"] = ["inpatient", "chronic", "outpatient"]
        a["categories"] = {
            "destitute": {"deductible": "0", "ratio": "1", "annual_cap": "3000"},
            "min_living": {"deductible": "100.5", "ratio": "0.7001", "annual_cap": None},
            "illness_poor": {"deductible": "2000", "ratio": "0.5", "annual_cap": "1234.56"},
            "general": {"deductible": "5000", "ratio": "0.1", "annual_cap": "200"},
        }
        j["reassistance"] = {
            "timing": "claim",
            "visit_types": ["inpatient", "outpatient"],
            "categories": {
                "destitute": {"threshold": "10", "ratio": "0.6", "annual_cap": "50"},
                "min_living": {"threshold": "0", "ratio": "0.3333", "annual_cap": None},
                "general": {"threshold": "3000", "ratio": "0.05", "annual_cap": "100"},
                "lifted": {"threshold": "100", "ratio": "0.5", "annual_cap": "400"},
            },
        }
        j["monitoring"]["rules"] = [
            {"name": "everyone-low", "categories": [], "threshold": "500.5"},
            {"name": "lifted-mid", "categories": ["lifted", "monitored", "general"], "threshold": "3000"},
            {"name": "zero", "categories": ["destitute"], "threshold": "0"},
            {"name": "high", "categories": [], "threshold": "20000"},
        ]
    elif variant == "numbers":
        # JSON numbers instead of strings (formats §7: at most two decimals
        # for an amount, four for a ratio), exponents and signed zero included
        b = j["basic"]
        b["annual_cap"] = "#150000.5"
        b["inpatient"]["levels"]["grade3"] = {"deductible": "#1200.07", "ratio": "#0.6381"}
        b["inpatient"]["levels"]["grade2"] = {"deductible": "#8e2", "ratio": "#0.75"}
        b["inpatient"]["repeat_deductible_factor"] = "#0.5"
        b["chronic"]["ratio"] = "#0.7"
        j["critical_illness"]["segments"][0] = {"upto": "#30000.10", "ratio": "#0.6"}
        j["critical_illness"]["segments"][1]["ratio"] = "#6.5e-1"
        j["critical_illness"]["tilted"]["ratio_bonus"] = "#0.05"
        j["regions"]["default"]["ci_deductible"] = "#16000.01"
        j["assistance"]["categories"]["min_living"] = {"deductible": "#-0", "ratio": "#0.7001", "annual_cap": "#100000"}
        j["monitoring"]["rules"][0]["threshold"] = "#9147.5"
    else:
        sys.exit("mutate.py: unknown policy variant " + variant)
    text = json.dumps(j, ensure_ascii=False, indent=1)
    # "#TEXT" strings become the bare JSON number TEXT
    text = re.sub(r'"#([-+0-9.eE]+)"', r"\1", text)
    with open(dst, "w", encoding="utf-8") as f:
        f.write(text)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "claims":
        claims(int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5:])
    elif cmd == "persons":
        persons(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5])
    elif cmd == "fees":
        fees(int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6])
    elif cmd == "rename-ids":
        rename_ids(sys.argv[2], sys.argv[3], sys.argv[4])
    elif cmd == "policy":
        policy(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit("usage: mutate.py claims|rename-ids|policy ...")
