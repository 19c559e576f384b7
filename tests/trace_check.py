#!/usr/bin/env python3
"""Independent validity checks of an exhaust search trace (used by the search
tests): every job once, end times in order, each child's parent finished
before the child was submitted and was still in the population (the P most
recent successful evaluations), and the recorded prefix length is the common
prefix with the donor.

usage: trace_check.py TRACE POPULATION"""
import csv, sys


def main(path, population):
    lines = [l for l in open(path) if not l.startswith("#")]
    rows = list(csv.DictReader(lines))
    problems = []
    ids = [int(r["job_id"]) for r in rows]
    if len(set(ids)) != len(ids):
        problems.append("a job id repeats")
    ends = [float(r["m:timestamp_gather"]) for r in rows]
    if any(b < a for a, b in zip(ends, ends[1:])):
        problems.append("end times go back")
    arch = {int(r["job_id"]): r["p:arch_seq"].strip("[]").split(", ") for r in rows}
    position = {int(r["job_id"]): i for i, r in enumerate(rows)}
    for r in rows:
        parent, donor = int(r["m:parent_id"]), int(r["m:donor_id"])
        submit = float(r["m:timestamp_submit"])
        if parent >= 0:
            # The population when the child was proposed: the successful records
            # up to the one whose end freed the child's worker (ties in end time
            # are resolved by the trace's order, which is the search's).
            freed = [i for i, x in enumerate(rows) if float(x["m:timestamp_gather"]) == submit
                     and x["m:worker"] == r["m:worker"] and i < position[int(r["job_id"])]]
            # No record freed its worker: the first jobs of a resumed search,
            # submitted when every record up to the latest end had finished.
            last = freed[-1] if freed else max(
                [i for i, x in enumerate(rows) if float(x["m:timestamp_gather"]) <= submit] or [-1])
            done = [int(x["job_id"]) for x in rows[:last + 1] if x["m:status"] == "ok"]
            if parent not in done[-population:]:
                problems.append("job %s: parent %d not in the population at submit" % (r["job_id"], parent))
        if donor >= 0:
            a, b = arch[donor], arch[int(r["job_id"])]
            common = 0
            while common < min(len(a), len(b)) and a[common] == b[common]:
                common += 1
            if common != int(r["m:prefix_len"]):
                problems.append("job %s: prefix_len %s, common prefix %d" % (r["job_id"], r["m:prefix_len"], common))
    for p in problems[:10]:
        print("trace_check:", p)
    print("trace_check: %d records, %s" % (len(rows), "valid" if not problems else "%d problems" % len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2])))
