#!/usr/bin/env python3
"""Every panel expression of dashboard.json as a recording rule, so that
`promtool check rules` parses each one (make check). Grafana's variables are
replaced by values of the same type first: $instance -> .+, $__rate_interval
-> 1m, $__range -> 1h. usage: dashboard-rules.py dashboard.json > rules.yml"""
import json, sys

subst = {"$__rate_interval": "1m", "$__range": "1h", "$instance": ".+"}
d = json.load(open(sys.argv[1]))
print("groups:\n  - name: vfiotrace_dashboard\n    rules:")
n = 0
for p in d["panels"]:
    for t in p.get("targets", []):
        expr = t["expr"]
        for k, v in subst.items():
            expr = expr.replace(k, v)
        if "$" in expr:
            sys.exit(f"panel {p['id']} target {t['refId']}: unknown variable in {expr}")
        print(f"      - record: vfiotrace:dashboard_panel{p['id']}:{t['refId'].lower()}")
        print(f"        expr: {json.dumps(expr)}")
        n += 1
if not n:
    sys.exit("no panel expressions found")
