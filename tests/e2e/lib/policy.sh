# shellcheck shell=sh
# The e2e scripts' small policy (sourced): the Hunan-like tiers with round figures that the
# scripts' hand arithmetic uses, for one YEAR, with REGIONS and monitoring RULES as given.
# Outpatient primary visits pay 60% (cap 800); the other outpatient levels have no row
# (ratio 0); critical illness and assistance count inpatient and chronic stays only; no
# assistance category and no premium subsidy.
#
#   plain_policy YEAR REGIONS RULES   (REGIONS and RULES: the JSON inside the braces/brackets)
#
# With it, for the expected rows of `settle --out`: H, the settlements file's header, and E,
# the empty fields (category and twelve amounts) of a rejected row.
# shellcheck disable=SC2034 # used by the scripts that source this file
H='claim_id,person_id,date,status,reason,category,medfee_sumamt,fulamt_ownpay_amt,overlmt_selfpay,preselfpay_amt,inscp_scp_amt,act_pay_dedc,hifp_pay,hifmi_pay,maf_pay,fund_pay_sumamt,psn_part_amt,reassist_pay'
# shellcheck disable=SC2034
E=',,,,,,,,,,,,,'
plain_policy() {
  cat <<JSON
{
  "schema": "sanbao-policy/1",
  "year": $1,
  "regions": { $2 },
  "basic": {
    "annual_cap": "150000",
    "inpatient": {
      "levels": {
        "primary":    { "deductible": "200",  "ratio": "0.90" },
        "grade1":     { "deductible": "500",  "ratio": "0.80" },
        "grade2":     { "deductible": "800",  "ratio": "0.75" },
        "grade3":     { "deductible": "1200", "ratio": "0.60" },
        "provincial": { "deductible": "2000", "ratio": "0.60" }
      },
      "repeat_deductible_factor": "0.50",
      "annual_deductible_cap": "3000"
    },
    "chronic":    { "ratio": "0.70", "annual_cap": "6000" },
    "outpatient": { "levels": { "primary": { "ratio": "0.60" } }, "annual_cap": "800" }
  },
  "critical_illness": {
    "visit_types": ["inpatient", "chronic"],
    "segments": [ { "upto": "30000", "ratio": "0.60" }, { "upto": null, "ratio": "0.70" } ],
    "annual_cap": "400000",
    "tilted": { "categories": ["destitute"], "deductible_factor": "0.50", "ratio_bonus": "0.05", "uncapped": true }
  },
  "assistance": { "visit_types": ["inpatient", "chronic"], "categories": {} },
  "premium": { "individual": "320", "subsidy": {} },
  "monitoring": { "rules": [ $3 ] }
}
JSON
}
