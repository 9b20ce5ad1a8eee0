#!/usr/bin/env python3
"""The oracle of `sanbao premiums` (docs/reference/settlement.md §9 and
docs/reference/formats.md §6), built on tests/oracle/settle.py's readers.

  premiums.py --policy FILE --persons FILE --as-of DATE [--out FILE]

Each person insured on the as-of date owes premium.individual; the
assistance fund pays subsidy = mul(individual, premium.subsidy[category]) (0
where the category has no entry) and the person the rest.  One row per such
person, ordered by person_id bytes.
"""

import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from settle import Policy, csv_line, die, fmt_amount, mul, read_persons, write  # noqa: E402


def main(argv):
    opts = {}
    for k in range(0, len(argv), 2):
        if k + 1 >= len(argv) or argv[k] not in ("--policy", "--persons", "--as-of", "--out") or argv[k] in opts:
            die("usage: premiums.py --policy FILE --persons FILE --as-of DATE [--out FILE]")
        opts[argv[k]] = argv[k + 1]
    policy = Policy(opts["--policy"])
    persons = read_persons(opts["--persons"])
    as_of = opts["--as-of"].encode()
    out = [b"person_id,household_id,category,premium,subsidy,personal\n"]
    for pid in sorted(persons):
        cat = persons[pid].category_on(as_of)
        if cat is None:
            continue  # not insured on the as-of date: no row
        subsidy = mul(policy.premium, policy.subsidy.get(cat, 0))
        out.append(csv_line([pid, persons[pid].household, cat, fmt_amount(policy.premium), fmt_amount(subsidy), fmt_amount(policy.premium - subsidy)]))
    write(opts.get("--out", "-"), b"".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
