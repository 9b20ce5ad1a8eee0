#!/usr/bin/env python3
"""An independent reference implementation (an oracle) of `sanbao settle`.

Written from the contract alone -- docs/reference/settlement.md ("settlement §N")
and docs/reference/formats.md ("formats §N"), with docs/decisions.md where the
contract is silent -- and never from sanbao's C sources, so that a
differential test (tests/oracle/run.sh) compares two readings of the rules.

It is meant to be read: every rule carries the section it comes from.  It
favours plainness over speed (a few thousand persons take seconds).

Money is an int of fen, ratios an int of basis points; there is no float
anywhere (Python ints do not overflow, which stands in for the contract's
128-bit intermediates, settlement §1).  JSON numbers of the policy are read
as their text, never as floats.

Usage (the options of formats §12 that this oracle covers):
  settle.py --policy FILE [--policy FILE ...] --persons FILE --claims FILE
            [--out FILE] [--alerts FILE] [--reassistance FILE]
            [--catalog FILE --fees FILE [--fee-results FILE]]
Exit status: 0 every row settled or reversed, 1 some rows rejected,
2 usage error or unreadable input (the oracle does not re-validate the
reference data in depth: the test feeds it only valid reference data).
"""

import json
import re
import sys
from decimal import Decimal

# ---------------------------------------------------------------------------
# Settlement §1: units, text forms and the two rounding functions.

MAX_AMOUNT = 1_000_000_000_000  # 10,000,000,000.00 yuan in fen (itself valid)
AMOUNT_RE = re.compile(rb"^([0-9]+)(?:\.([0-9]{1,2}))?$")
RATIO_RE = re.compile(rb"^([0-9]+)(?:\.([0-9]{1,4}))?$")
COUNT_RE = re.compile(rb"^([0-9]+)(?:\.([0-9]{1,4}))?$")  # fee line cnt, §11
PRICE_RE = re.compile(rb"^([0-9]+)(?:\.([0-9]{1,6}))?$")  # fee line pric, §11


def scaled(text, regex, places):
    """digits [ "." up to `places` digits ] -> an int in units of 10^-places,
    or None when the text is not of that form (no sign, no space, no exponent,
    no `.5`, no `5.`)."""
    m = regex.match(text)
    if not m:
        return None
    frac = (m.group(2) or b"").ljust(places, b"0")
    return int(m.group(1)) * 10**places + int(frac or b"0")


def parse_amount(text):
    """Settlement §1: an amount in fen, or None when invalid or above the max."""
    v = scaled(text, AMOUNT_RE, 2)
    return v if v is not None and v <= MAX_AMOUNT else None


def mul(a, r):
    """Settlement §1: mul(a, r) = (a*r + 5000) / 10000, half up to the fen,
    only ever on non-negative operands."""
    assert a >= 0 and r >= 0
    return (a * r + 5000) // 10000


def seg(x, bounds, rates):
    """Settlement §1: a segment sum rounded ONCE at the end.  `bounds` are the
    upper bounds u_0 < u_1 < ... with None for the last, open one."""
    assert x >= 0
    total, lower = 0, 0
    for upto, rate in zip(bounds, rates):
        top = x if upto is None else min(x, upto)
        total += max(0, top - lower) * rate
        if upto is None:
            break
        lower = upto
    return (total + 5000) // 10000


def cap_left(cap, used):
    """Settlement §5: cap_left(cap, used) = max(0, cap - used); a null cap
    (formats §7) is no cap at all."""
    return None if cap is None else max(0, cap - used)


def min_capped(*values):
    """min() that ignores the None of an absent cap."""
    return min(v for v in values if v is not None)


def fmt_amount(fen):
    """Settlement §1 / formats §4: two decimals, '-' before negatives, zero
    as 0.00 (never -0.00)."""
    sign = b"-" if fen < 0 else b""
    fen = abs(fen)
    return sign + b"%d.%02d" % (fen // 100, fen % 100)


def fmt_ratio(bp):
    """Formats §11: a ratio prints as a decimal with 4 places (0.6000)."""
    return b"%d.%04d" % (bp // 10000, bp % 10000)


DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]


def valid_date(text):
    """Formats §1: YYYY-MM-DD and a real calendar date (2022-02-29 is not)."""
    if len(text) != 10 or text[4:5] != b"-" or text[7:8] != b"-":
        return False
    y, m, d = text[0:4], text[5:7], text[8:10]
    if not (y.isdigit() and m.isdigit() and d.isdigit()):
        return False
    y, m, d = int(y), int(m), int(d)
    # docs/decisions.md: year 0000 is not a date (the calendar has no year 0)
    if y == 0 or not 1 <= m <= 12:
        return False
    leap = y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
    return 1 <= d <= DAYS[m - 1] + (1 if m == 2 and leap else 0)


# ---------------------------------------------------------------------------
# Formats §1: reading CSV.  Each record is a list of Field(value, ok): `ok` is
# False for a badly quoted field (a quote inside an unquoted field, text after
# a closing quote, an unterminated quoted field).


class Field:
    __slots__ = ("value", "ok")

    def __init__(self, value, ok):
        self.value, self.ok = value, ok


def read_csv(data):
    """Formats §1: RFC 4180; lines end in \\n or \\r\\n (a CR right before the
    end of the input too, docs/decisions.md); a lone CR elsewhere in an
    unquoted field is data; a leading UTF-8 BOM is ignored; completely empty
    lines are skipped.  Returns the list of records."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    n, i = len(data), 0
    records = []

    def at_line_end(j):
        # how many bytes end the line at j (0: not a line end)
        if j >= n:
            return 0
        c = data[j]
        if c == 0x0A:
            return 1
        if c == 0x0D:
            if j + 1 < n and data[j + 1] == 0x0A:
                return 2
            if j + 1 == n:
                return 1
        return 0

    while i < n:
        start = i
        fields = []
        while True:  # one field per turn
            ok = True
            if i < n and data[i] == 0x22:  # a quoted field
                i += 1
                buf = bytearray()
                closed = False
                while i < n:
                    if data[i] == 0x22:
                        if i + 1 < n and data[i + 1] == 0x22:
                            buf.append(0x22)
                            i += 2
                            continue
                        i += 1
                        closed = True
                        break
                    buf.append(data[i])
                    i += 1
                if not closed:
                    ok = False  # unterminated: the record runs to the end
                elif i < n and data[i] != 0x2C and not at_line_end(i):
                    ok = False  # text after the closing quote
                    while i < n and data[i] != 0x2C and not at_line_end(i):
                        i += 1
                value = bytes(buf)
            else:
                j = i
                while j < n and data[j] != 0x2C and not at_line_end(j):
                    if data[j] == 0x22:
                        ok = False  # a quote inside an unquoted field
                    j += 1
                value = data[i:j]
                i = j
            fields.append(Field(value, ok))
            if i < n and data[i] == 0x2C:
                i += 1
                continue
            i += at_line_end(i) if i < n else 0
            break
        if len(fields) == 1 and i - start <= 2 and fields[0].value == b"" and fields[0].ok:
            if data[start : start + 1] != b'"':
                continue  # a completely empty line
        records.append(fields)
    return records


class Table:
    """A CSV file with its header: columns by exact name (formats §1)."""

    def __init__(self, path, required, optional):
        with open(path, "rb") as f:
            records = read_csv(f.read())
        if not records:
            self.header, self.rows = [], []
            self.col = {}
            return
        self.header = [f.value for f in records[0]]
        self.rows = records[1:]
        self.col = {}
        for k, name in enumerate(self.header):
            if name in required or name in optional:
                if name in self.col:
                    die("%s: column %s repeated" % (path, name.decode()))
                self.col[name] = k
        for name in required:
            if name not in self.col:
                die("%s: missing column %s" % (path, name.decode()))


def field(row, table, name):
    """The field under `name` when the row has it and it is well quoted, else
    b"" (formats §4: what a rejected row echoes); an absent optional column is
    an empty field (formats §1)."""
    k = table.col.get(name)
    if k is None or k >= len(row) or not row[k].ok:
        return b""
    return row[k].value


def die(msg):
    sys.stderr.write("oracle: %s\n" % msg)
    sys.exit(2)


# ---------------------------------------------------------------------------
# Formats §7: the policy file, read with its numbers kept as text.

VISIT_TYPES = (b"inpatient", b"chronic", b"outpatient")
LEVELS = (b"primary", b"grade1", b"grade2", b"grade3", b"provincial")


class NumText(str):
    """A JSON number, kept as its text."""


def policy_amount(v):
    """An amount of the policy: a string of settlement §1's form, or a JSON
    number with at most two decimals (formats §7); a signed zero is zero
    (docs/decisions.md).  None stays None (no cap)."""
    if v is None:
        return None
    if isinstance(v, NumText) or isinstance(v, int):
        d = Decimal(str(v)) * 100
        if d != d.to_integral_value() or d < 0:
            die("policy: bad amount %s" % v)
        return int(d)
    t = v.encode()
    if t.startswith(b"-") and scaled(t[1:], AMOUNT_RE, 2) == 0:
        return 0
    a = parse_amount(t)
    if a is None:
        die("policy: bad amount %r" % v)
    return a


def policy_ratio(v):
    """A ratio of the policy in basis points (settlement §1), in [0, 1]."""
    if isinstance(v, NumText) or isinstance(v, int):
        d = Decimal(str(v)) * 10000
        if d != d.to_integral_value() or d < 0 or d > 10000:
            die("policy: bad ratio %s" % v)
        return int(d)
    t = v.encode()
    if t.startswith(b"-") and scaled(t[1:], RATIO_RE, 4) == 0:
        return 0
    r = scaled(t, RATIO_RE, 4)
    if r is None or r > 10000:
        die("policy: bad ratio %r" % v)
    return r


class Policy:
    """One policy year (formats §7), amounts in fen and ratios in bp."""

    def __init__(self, path):
        with open(path, "rb") as f:
            text = f.read()
        if text.startswith(b"\xef\xbb\xbf"):
            text = text[3:]
        j = json.loads(text.decode("utf-8"), parse_float=NumText, parse_int=NumText)
        self.year = int(j["year"])
        self.regions = {k.encode(): policy_amount(v["ci_deductible"]) for k, v in j["regions"].items() if k not in ("source", "note")}
        b = j["basic"]
        self.basic_cap = policy_amount(b["annual_cap"])
        inp = b["inpatient"]
        self.inpatient = {
            k.encode(): (policy_amount(v["deductible"]), policy_ratio(v["ratio"]))
            for k, v in inp["levels"].items()
            if k not in ("source", "note")
        }
        self.repeat_factor = policy_ratio(inp["repeat_deductible_factor"])
        self.deductible_cap = policy_amount(inp["annual_deductible_cap"])
        self.chronic_ratio = policy_ratio(b["chronic"]["ratio"])
        self.chronic_cap = policy_amount(b["chronic"]["annual_cap"])
        self.outpatient = {
            k.encode(): policy_ratio(v["ratio"]) for k, v in b["outpatient"]["levels"].items() if k not in ("source", "note")
        }
        self.outpatient_cap = policy_amount(b["outpatient"]["annual_cap"])
        ci = j["critical_illness"]
        self.ci_visits = {v.encode() for v in ci["visit_types"]}
        self.ci_bounds = [policy_amount(s["upto"]) for s in ci["segments"]]
        self.ci_rates = [policy_ratio(s["ratio"]) for s in ci["segments"]]
        self.ci_cap = policy_amount(ci["annual_cap"])
        t = ci["tilted"]
        self.tilted = {c.encode() for c in t["categories"]}
        self.tilt_factor = policy_ratio(t["deductible_factor"])
        self.tilt_bonus = policy_ratio(t["ratio_bonus"])
        self.tilt_uncapped = bool(t["uncapped"])
        a = j["assistance"]
        self.ma_visits = {v.encode() for v in a["visit_types"]}
        self.ma_rows = {
            k.encode(): (policy_amount(v["deductible"]), policy_ratio(v["ratio"]), policy_amount(v["annual_cap"]))
            for k, v in a["categories"].items()
            if k not in ("source", "note")
        }
        pr = j["premium"]
        self.premium = policy_amount(pr["individual"])
        self.subsidy = {k.encode(): policy_ratio(v) for k, v in pr["subsidy"].items() if k not in ("source", "note")}
        self.rules = [
            (r["name"].encode(), {c.encode() for c in r["categories"]}, policy_amount(r["threshold"]))
            for r in j["monitoring"]["rules"]
        ]
        ra = j.get("reassistance")
        self.ra_timing = None
        if ra is not None:
            self.ra_timing = ra["timing"]
            self.ra_visits = {v.encode() for v in ra["visit_types"]}
            self.ra_rows = {
                k.encode(): (policy_amount(v["threshold"]), policy_ratio(v["ratio"]), policy_amount(v["annual_cap"]))
                for k, v in ra["categories"].items()
                if k not in ("source", "note")
            }

    def ci_deductible(self, region):
        """Settlement §7: the county's row, else its prefecture's (first four
        digits + 00), else `default`; None: UNKNOWN_REGION."""
        for key in (region, region[:4] + b"00", b"default"):
            if key in self.regions:
                return self.regions[key]
        return None


# ---------------------------------------------------------------------------
# Formats §2: the person registry (settlement §2).


class Person:
    def __init__(self, household, region):
        self.household, self.region = household, region
        self.intervals = []  # (valid_from or None, valid_to or None, category)

    def category_on(self, date):
        """Settlement §2: the category in force on `date`, or None when no
        interval covers it (NOT_INSURED)."""
        for lo, hi, cat in self.intervals:
            if (lo is None or lo <= date) and (hi is None or date <= hi):
                return cat
        return None


def read_persons(path):
    t = Table(path, (b"person_id", b"household_id", b"region", b"category"), (b"valid_from", b"valid_to"))
    persons = {}
    for row in t.rows:
        pid = field(row, t, b"person_id")
        p = persons.get(pid)
        if p is None:
            p = persons[pid] = Person(field(row, t, b"household_id"), field(row, t, b"region"))
        lo = field(row, t, b"valid_from") or None
        hi = field(row, t, b"valid_to") or None
        p.intervals.append((lo, hi, field(row, t, b"category")))
    return persons


# ---------------------------------------------------------------------------
# Settlement §11 and formats §9-§10: the catalogue and fee lines.


class CatalogRow:
    def __init__(self, lv, selfpay, limit, begin, end):
        self.lv, self.selfpay, self.limit, self.begin, self.end = lv, selfpay, limit, begin, end


def read_catalog(path):
    t = Table(
        path,
        (b"med_list_codg", b"chrgitm_lv", b"begndate"),
        (b"name", b"selfpay_prop", b"pric_uplmt_amt", b"enddate"),
    )
    cat = {}
    for row in t.rows:
        selfpay = field(row, t, b"selfpay_prop")
        limit = field(row, t, b"pric_uplmt_amt")
        cat.setdefault(field(row, t, b"med_list_codg"), []).append(
            CatalogRow(
                field(row, t, b"chrgitm_lv"),
                scaled(selfpay, RATIO_RE, 4) if selfpay else 0,
                scaled(limit, PRICE_RE, 6) if limit else None,
                field(row, t, b"begndate"),
                field(row, t, b"enddate") or None,
            )
        )
    return cat


class FeeLine:
    """One line of fees.csv (formats §10), with its validity (settlement §11)."""

    def __init__(self, row, t):
        self.claim_id = field(row, t, b"claim_id")
        self.sn = field(row, t, b"feedetl_sn")
        self.code = field(row, t, b"med_list_codg")
        k = t.col[b"claim_id"]
        # docs/decisions.md: a line whose claim_id field is missing, badly
        # quoted or empty names no claim.
        self.names_claim = k < len(row) and row[k].ok and row[k].value != b""
        k = t.col[b"feedetl_sn"]
        self.sn_readable = k < len(row) and row[k].ok and 1 <= len(row[k].value) <= 64
        self.cnt = scaled(field(row, t, b"cnt"), COUNT_RE, 4)
        self.pric = scaled(field(row, t, b"pric"), PRICE_RE, 6)
        ok = len(row) == len(t.header) and all(f.ok for f in row)
        ok = ok and 1 <= len(self.code) <= 64 and 1 <= len(self.sn) <= 64
        ok = ok and self.cnt is not None and self.cnt <= 10_000_000_000 * 10**4
        ok = ok and self.pric is not None and self.pric <= 10_000_000_000 * 10**6
        if ok and half_up(self.cnt * self.pric, 10**8) > MAX_AMOUNT:
            ok = False  # an amount above the maximum is malformed
        self.ok = ok
        self.result = None  # (chrgitm_lv, amt, fulamt, over, pre) once classified


def half_up(p, divisor):
    """Settlement §11: round_half_up of a non-negative exact product."""
    return (p + divisor // 2) // divisor


def classify(line, catalog, date):
    """Settlement §11: the amounts of one good line on the claim's date.
    cnt is in 10^-4, pric in 10^-6 yuan, so cnt*pric is in 10^-8 fen."""
    amt = half_up(line.cnt * line.pric, 10**8)
    row = None
    if date is not None:
        for r in catalog.get(line.code, ()):
            if r.begin <= date and (r.end is None or date <= r.end):
                row = r
                break
    if row is None:
        return (None, amt, amt, 0, 0)  # unlisted: all self-paid
    if row.lv == b"03":
        return (row.lv, amt, amt, 0, 0)  # 丙类
    over = 0
    if row.limit is not None and line.pric > row.limit:
        over = half_up(line.cnt * (line.pric - row.limit), 10**8)
    pre = mul(amt - over, row.selfpay) if row.lv == b"02" else 0
    return (row.lv, amt, 0, over, pre)


# ---------------------------------------------------------------------------
# Settlement §5: the accumulators of one person and year.

ACCUMULATORS = (
    "dedc_ytd",
    "basic_ytd",
    "chronic_ytd",
    "outpatient_ytd",
    "ci_base",
    "ci_paid",
    "ma_base",
    "ma_paid",
    "psn_ytd",
    "ra_base",
    "ra_paid",
)


class Year:
    def __init__(self):
        self.admissions = {lv: 0 for lv in LEVELS}
        for a in ACCUMULATORS:
            setattr(self, a, 0)
        self.alerted = set()  # names of the monitoring rules that have fired
        self.ra_counted = []  # claims counted in ra_base, canonical order (§10)


# the amount columns of the settlements file, in its order (formats §4)
AMOUNT_COLUMNS = ("medfee", "fulamt", "overlmt", "pre", "inscp", "dedc", "hifp", "hifmi", "maf", "fund", "psn", "reassist")


class Settled:
    """A settled claim: its amounts, its category, what it added to its
    year's accumulators (so that a reversal can take exactly that back, §6)."""

    def __init__(self):
        self.added = {}
        self.level = None
        self.reversed = False


def settle_one(c, policy, person, cat, year, alerts):
    """Settlement §5 for one claim `c` (a dict of its amounts), in canonical
    order.  Returns the Settled record."""
    s = Settled()
    s.category = cat
    s.person_id = c["person_id"]
    medfee, inscp = c["medfee"], c["inscp"]
    vt, lv = c["visit_type"], c["level"]
    before = {a: getattr(year, a) for a in ACCUMULATORS}

    # §5.1 tier 1, basic medical insurance (统筹基金, hifp_pay)
    dedc = 0
    if vt == b"inpatient":
        deductible, ratio = policy.inpatient[lv]
        D = deductible
        if year.admissions[lv] >= 1:  # a 2nd+ stay at the same level
            D = mul(D, policy.repeat_factor)
        D = min_capped(D, cap_left(policy.deductible_cap, year.dedc_ytd))
        dedc = min(inscp, D)
        hifp = min_capped(mul(inscp - dedc, ratio), cap_left(policy.basic_cap, year.basic_ytd))
        year.admissions[lv] += 1  # a stay counts even when inscp is 0
        s.level = lv
        year.dedc_ytd += dedc
        year.basic_ytd += hifp
    elif vt == b"chronic":
        hifp = min_capped(
            mul(inscp, policy.chronic_ratio),
            cap_left(policy.chronic_cap, year.chronic_ytd),
            cap_left(policy.basic_cap, year.basic_ytd),
        )
        year.chronic_ytd += hifp
        year.basic_ytd += hifp
    else:  # outpatient: ratio 0 at a level without a row, still settled
        ratio = policy.outpatient.get(lv, 0)
        hifp = min_capped(mul(inscp, ratio), cap_left(policy.outpatient_cap, year.outpatient_ytd))
        year.outpatient_ytd += hifp

    # §5.2 tier 2, critical-illness insurance (大病保险, hifmi_pay), measured
    # on the year's cumulative in-scope burden after basic insurance
    hifmi = 0
    if vt in policy.ci_visits:
        b = inscp - hifp
        year.ci_base += b
        tilted = cat in policy.tilted
        T = policy.ci_deductible(person.region)  # §7, never None here
        if tilted:
            T = mul(T, policy.tilt_factor)
        x = max(0, year.ci_base - T)
        rates = [min(10000, r + (policy.tilt_bonus if tilted else 0)) for r in policy.ci_rates]
        E = seg(x, policy.ci_bounds, rates)
        if not (tilted and policy.tilt_uncapped):
            E = min_capped(E, policy.ci_cap)
        # entitlement to date minus paid to date; never clawed back
        hifmi = min(b, max(0, E - year.ci_paid))
        year.ci_paid += hifmi

    # §5.3 tier 3, medical assistance (医疗救助, maf_pay)
    maf = 0
    R = policy.ma_rows.get(cat)
    if R is not None and vt in policy.ma_visits:
        r_ded, r_ratio, r_cap = R
        b3 = inscp - hifp - hifmi
        year.ma_base += b3
        E3 = min_capped(mul(max(0, year.ma_base - r_ded), r_ratio), r_cap)
        maf = min(b3, max(0, E3 - year.ma_paid))
        year.ma_paid += maf

    # §10 re-assistance: the base, and the payment when timing is "claim"
    reassist = 0
    if policy.ra_timing is not None and vt in policy.ra_visits:
        Q = policy.ra_rows.get(cat)
        if Q is not None:
            r = inscp - hifp - hifmi - maf
            year.ra_base += r
            year.ra_counted.append(s)
            if policy.ra_timing == "claim":
                q_threshold, q_ratio, q_cap = Q
                E4 = min_capped(mul(max(0, year.ra_base - q_threshold), q_ratio), q_cap)
                reassist = min(r, max(0, E4 - year.ra_paid))
                year.ra_paid += reassist

    # §5.4 totals, the personal share and monitoring
    fund = hifp + hifmi + maf + reassist
    psn = medfee - fund
    year.psn_ytd += psn
    for name, cats, threshold in policy.rules:
        if (not cats or cat in cats) and name not in year.alerted and year.psn_ytd >= threshold:
            year.alerted.add(name)
            alerts.append(
                [c["person_id"], person.household, name, c["claim_id"], c["date"], fmt_amount(year.psn_ytd), fmt_amount(threshold)]
            )

    s.amounts = dict(
        medfee=medfee,
        fulamt=c["fulamt"],
        overlmt=c["overlmt"],
        pre=c["pre"],
        inscp=inscp,
        dedc=dedc,
        hifp=hifp,
        hifmi=hifmi,
        maf=maf,
        fund=fund,
        psn=psn,
        reassist=reassist,
    )
    s.added = {a: getattr(year, a) - before[a] for a in ACCUMULATORS}
    s.year = year
    return s


def reverse(s):
    """Settlement §6: take back from the ORIGINAL's year exactly what the
    original added; alerts are not touched (§5.4)."""
    y = s.year
    for a in ACCUMULATORS:
        setattr(y, a, getattr(y, a) - s.added[a])
    if s.level is not None:
        y.admissions[s.level] -= 1
    s.reversed = True


# ---------------------------------------------------------------------------
# The batch (formats §12).


def csv_line(fields):
    """Formats §1: quote a field only when it holds a comma, a quote, CR or LF."""
    out = []
    for f in fields:
        if any(ch in f for ch in (b",", b'"', b"\r", b"\n")):
            f = b'"' + f.replace(b'"', b'""') + b'"'
        out.append(f)
    return b",".join(out) + b"\n"


SETTLEMENT_HEADER = (
    b"claim_id,person_id,date,status,reason,category,medfee_sumamt,fulamt_ownpay_amt,"
    b"overlmt_selfpay,preselfpay_amt,inscp_scp_amt,act_pay_dedc,hifp_pay,hifmi_pay,maf_pay,"
    b"fund_pay_sumamt,psn_part_amt,reassist_pay\n"
)
ALERT_HEADER = b"person_id,household_id,rule,claim_id,date,psn_ytd,threshold\n"
REASSIST_HEADER = b"person_id,year,category,base,threshold,ratio,annual_cap,reassist_pay\n"
FEE_RESULT_HEADER = (
    b"claim_id,feedetl_sn,med_list_codg,chrgitm_lv,det_item_fee_sumamt,fulamt_ownpay_amt,"
    b"overlmt_amt,preselfpay_amt,inscp_scp_amt,status\n"
)
CLAIM_COLUMNS = (b"claim_id", b"person_id", b"date", b"visit_type", b"level", b"medfee_sumamt")
CLAIM_OPTIONAL = (b"fulamt_ownpay_amt", b"overlmt_selfpay", b"preselfpay_amt", b"reverses")
AMOUNT_FIELDS = ((b"medfee_sumamt", "medfee"), (b"fulamt_ownpay_amt", "fulamt"), (b"overlmt_selfpay", "overlmt"), (b"preselfpay_amt", "pre"))


def parse_args(argv):
    opts = {"--policy": []}
    known = ("--policy", "--persons", "--claims", "--out", "--alerts", "--reassistance", "--catalog", "--fees", "--fee-results")
    i = 0
    while i < len(argv):
        a = argv[i]
        if "=" in a and a.startswith("--"):
            a, v = a.split("=", 1)
        else:
            if i + 1 >= len(argv):
                die("usage: %s needs a value" % a)
            i += 1
            v = argv[i]
        if a not in known:
            die("usage: unknown option %s" % a)
        if a == "--policy":
            opts[a].append(v)
        else:
            if a in opts:
                die("usage: %s repeated" % a)
            opts[a] = v
        i += 1
    for a in ("--persons", "--claims"):
        if a not in opts or not opts["--policy"]:
            die("usage: --policy, --persons and --claims are required")
    return opts


def read_claims(t):
    """Formats §3: every claims row with what it echoes, whether it can be read
    at all (MALFORMED_ROW, settlement §8) and whether it is a reversal."""
    claims = []
    for pos, row in enumerate(t.rows):
        c = {name.decode(): field(row, t, name) for name in CLAIM_COLUMNS + CLAIM_OPTIONAL}
        c["pos"] = pos
        # a row is a reversal exactly when its `reverses` field is non-empty
        c["reversal"] = c["reverses"] != b""
        malformed = len(row) != len(t.header) or not all(f.ok for f in row)
        malformed = malformed or not valid_date(c["date"])
        malformed = malformed or not (1 <= len(c["claim_id"]) <= 64 and 1 <= len(c["person_id"]) <= 64)
        c["malformed"] = malformed
        # docs/decisions.md: a malformed row owns fee lines when its claim_id
        # field is well quoted (unless its reverses field makes it a reversal)
        k = t.col[b"claim_id"]
        c["owns_lines"] = k < len(row) and row[k].ok and not c["reversal"]
        c["lines"] = []
        c["result"] = None  # (status, reason, category, amounts)
        claims.append(c)
    return claims


def attach_fee_lines(claims, path):
    """Settlement §11: every fee line whose claim_id is that of a non-reversal
    claims row belongs to that row (to each of them when several rows share
    the id).  Returns the lines in input order."""
    ft = Table(path, (b"claim_id", b"feedetl_sn", b"med_list_codg", b"cnt", b"pric"), ())
    owners = {}
    for c in claims:
        if c["owns_lines"]:
            owners.setdefault(c["claim_id"], []).append(c)
    lines, used_sn = [], {}
    for row in ft.rows:
        line = FeeLine(row, ft)
        lines.append(line)
        line.owners = owners.get(line.claim_id, []) if line.names_claim else []
        if not line.owners:
            continue
        # a feedetl_sn already used by an earlier line of the claim (input
        # order) makes this line malformed, not the earlier one
        used = used_sn.setdefault(line.claim_id, set())
        if line.sn_readable:
            if line.sn in used:
                line.ok = False
            used.add(line.sn)
        for c in line.owners:
            c["lines"].append(line)
    return lines


def claim_amounts(c, catalog):
    """Settlement §8 ranks 2 and 3 (BAD_FEES, BAD_AMOUNT): the four amounts
    of a non-reversal row -- read from its fields, or derived from its fee
    lines (§11) -- or the reason they cannot be had."""
    if c["lines"]:
        # lines together with a non-empty amount field (`0` is not empty), or
        # a malformed line
        if any(c[name.decode()] != b"" for name, _ in AMOUNT_FIELDS) or not all(line.ok for line in c["lines"]):
            return b"BAD_FEES"
        totals = [0, 0, 0, 0]
        for line in c["lines"]:
            _, *amounts = classify(line, catalog, c["date"])
            totals = [t + a for t, a in zip(totals, amounts)]
        if max(totals) > MAX_AMOUNT:
            return b"BAD_AMOUNT"  # a derived total above the largest amount
    else:
        # medfee is required; the other three are 0 when empty or absent
        totals = [parse_amount(c["medfee_sumamt"])]
        totals += [parse_amount(c[name.decode()]) if c[name.decode()] != b"" else 0 for name, _ in AMOUNT_FIELDS[1:]]
        if None in totals:
            return b"BAD_AMOUNT"
    medfee, fulamt, overlmt, pre = totals
    if fulamt + overlmt + pre > medfee:
        return b"BAD_AMOUNT"  # inscp would be negative (§3)
    return totals


class Batch:
    """The claim-id bookkeeping (global canonical order, settlement §4) and the
    accumulators of every person and year."""

    def __init__(self, policies, persons, catalog):
        self.policies, self.persons, self.catalog = policies, persons, catalog
        self.taken = set()  # claim ids of settled and reversal rows
        self.settled = {}  # claim_id -> Settled, non-reversal claims only
        self.years = {}  # (person_id, year) -> Year
        self.alerts = []

    def reversal(self, c):
        """Settlement §6; on a reversal row only MALFORMED_ROW (checked
        before), DUPLICATE_CLAIM, UNKNOWN_CLAIM, ALREADY_REVERSED and
        PERSON_MISMATCH are checked (§8)."""
        target = self.settled.get(c["reverses"])
        if c["claim_id"] in self.taken:
            return (b"rejected", b"DUPLICATE_CLAIM", b"", None)
        if target is None:  # nothing settled earlier; a reversal's id too
            return (b"rejected", b"UNKNOWN_CLAIM", b"", None)
        if target.reversed:
            return (b"rejected", b"ALREADY_REVERSED", b"", None)
        if target.person_id != c["person_id"]:  # an unknown person too
            return (b"rejected", b"PERSON_MISMATCH", b"", None)
        reverse(target)
        self.taken.add(c["claim_id"])
        negated = {k: -v for k, v in target.amounts.items()}
        return (b"reversed", b"", target.category, negated)

    def claim(self, c):
        """Settlement §8's checks in their order of precedence, then §5."""
        amounts = claim_amounts(c, self.catalog)
        if isinstance(amounts, bytes):
            return (b"rejected", amounts, b"", None)
        if c["visit_type"] not in VISIT_TYPES:
            return (b"rejected", b"BAD_VISIT_TYPE", b"", None)
        if c["level"] not in LEVELS:
            return (b"rejected", b"BAD_LEVEL", b"", None)
        person = self.persons.get(c["person_id"])
        if person is None:
            return (b"rejected", b"UNKNOWN_PERSON", b"", None)
        cat = person.category_on(c["date"])
        if cat is None:
            return (b"rejected", b"NOT_INSURED", b"", None)
        yr = int(c["date"][:4])
        policy = self.policies.get(yr)
        if policy is None:
            return (b"rejected", b"NO_POLICY", b"", None)
        if policy.ci_deductible(person.region) is None:
            return (b"rejected", b"UNKNOWN_REGION", b"", None)
        if c["claim_id"] in self.taken:
            return (b"rejected", b"DUPLICATE_CLAIM", b"", None)
        medfee, fulamt, overlmt, pre = amounts
        c.update(medfee=medfee, fulamt=fulamt, overlmt=overlmt, pre=pre, inscp=medfee - fulamt - overlmt - pre)
        year = self.years.setdefault((c["person_id"], yr), Year())
        s = settle_one(c, policy, person, cat, year, self.alerts)
        self.taken.add(c["claim_id"])
        self.settled[c["claim_id"]] = s
        return (b"settled", b"", cat, s.amounts)

    def run(self, claims):
        """Settle every row in the canonical order of settlement §4: date,
        then claim_id bytes, then input position.  (Rows whose date is not
        real are MALFORMED_ROW; they sort last, which only matters for which
        row's date classifies fee lines, docs/decisions.md.)"""
        order = sorted(claims, key=lambda c: (not valid_date(c["date"]), c["date"], c["claim_id"], c["pos"]))
        for c in order:
            if c["malformed"]:
                c["result"] = (b"rejected", b"MALFORMED_ROW", b"", None)
            elif c["reversal"]:
                c["result"] = self.reversal(c)
            else:
                c["result"] = self.claim(c)


def main(argv):
    opts = parse_args(argv)
    policies = {}
    for path in opts["--policy"]:
        p = Policy(path)
        if p.year in policies:
            die("two policies for %d" % p.year)
        policies[p.year] = p
    persons = read_persons(opts["--persons"])
    claims = read_claims(Table(opts["--claims"], CLAIM_COLUMNS, CLAIM_OPTIONAL))
    catalog, fee_lines = {}, []
    if "--fees" in opts:
        catalog = read_catalog(opts["--catalog"])
        fee_lines = attach_fee_lines(claims, opts["--fees"])
    batch = Batch(policies, persons, catalog)
    batch.run(claims)

    # Settlements, in input order (formats §4).
    out = [SETTLEMENT_HEADER]
    rejected = 0
    for c in claims:
        status, reason, cat, amounts = c["result"]
        head = [c["claim_id"], c["person_id"], c["date"], status, reason, cat]
        if amounts is None:
            rejected += 1
            out.append(csv_line(head + [b""] * 12))
        else:
            out.append(csv_line(head + [fmt_amount(amounts[k]) for k in AMOUNT_COLUMNS]))
    write(opts.get("--out", "-"), b"".join(out))
    if "--alerts" in opts:
        write(opts["--alerts"], ALERT_HEADER + b"".join(csv_line(a) for a in batch.alerts))
    if "--reassistance" in opts:
        write(opts["--reassistance"], year_end(policies, batch.years))
    if "--fee-results" in opts:
        write(opts["--fee-results"], fee_results(fee_lines, catalog))
    return 1 if rejected else 0


def year_end(policies, years):
    """Settlement §10, timing year_end, and formats §11: per person and year
    with ra_base > 0, E4 with the row Q of the category of the last claim
    (canonical order) counted in the base and not reversed; rows with a
    payment above zero (docs/decisions.md), by year then person_id bytes."""
    rows = []
    for (pid, yr), y in years.items():
        policy = policies[yr]
        if policy.ra_timing != "year_end" or y.ra_base <= 0:
            continue
        last = [s for s in y.ra_counted if not s.reversed]
        cat = last[-1].category
        threshold, ratio, cap = policy.ra_rows[cat]
        E4 = min_capped(mul(max(0, y.ra_base - threshold), ratio), cap)
        if E4 > 0:
            rows.append(
                (
                    yr,
                    pid,
                    [
                        pid,
                        b"%d" % yr,
                        cat,
                        fmt_amount(y.ra_base),
                        fmt_amount(threshold),
                        fmt_ratio(ratio),
                        b"" if cap is None else fmt_amount(cap),
                        fmt_amount(E4),
                    ],
                )
            )
    rows.sort(key=lambda r: (r[0], r[1]))
    return REASSIST_HEADER + b"".join(csv_line(r[2]) for r in rows)


def fee_results(fee_lines, catalog):
    """Formats §10: one row per input line, in input order.  Lines are
    classified on the date of the row they belong to: the settled one, else
    the first in canonical order (settlement §11)."""
    out = [FEE_RESULT_HEADER]
    for line in fee_lines:
        head = [line.claim_id, line.sn, line.code]
        if not line.owners:
            out.append(csv_line(head + [b""] * 6 + [b"no_claim"]))
            continue
        if not line.ok:
            out.append(csv_line(head + [b""] * 6 + [b"bad"]))
            continue
        owner = next((c for c in line.owners if c["result"][0] == b"settled"), None)
        if owner is None:
            owner = min(line.owners, key=lambda c: (not valid_date(c["date"]), c["date"], c["pos"]))
        date = owner["date"] if valid_date(owner["date"]) else None
        lv, amt, ful, over, pre = classify(line, catalog, date)
        status = b"ok" if lv is not None else b"unlisted"
        amounts = [fmt_amount(v) for v in (amt, ful, over, pre, amt - ful - over - pre)]
        out.append(csv_line(head + [lv or b""] + amounts + [status]))
    return b"".join(out)


def write(path, data):
    if path == "-":
        sys.stdout.buffer.write(data)
    else:
        with open(path, "wb") as f:
            f.write(data)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
