#!/usr/bin/env python3
"""Phases of one server start from its log (bench/startup/run.sh): seconds after the exec (epoch seconds given)
at which Quarkus reported started, libtorch came up, and each model began loading and was READY; then, when the
log's .nmt files exist, the JVM's own committed memory by NMT category (MiB)."""
import datetime
import os
import re
import sys

log, t0 = sys.argv[1], float(sys.argv[2])
STAMP = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})")


def at(line):
    m = STAMP.match(line)
    if not m:
        return None
    t = datetime.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S,%f")
    return t.timestamp() - t0


loading, phases = {}, []
for line in open(log, errors="replace"):
    t = at(line)
    if t is None:
        continue
    if "engine PyTorch" in line:
        phases.append(f"libtorch up {t:.2f}")
    elif " started in " in line:
        phases.append(f"Quarkus started {t:.2f} ({line.split(' started in ')[1].split('.', 1)[0]}.{line.split(' started in ')[1].split('.', 1)[1][:3]} s by its clock)")
    m = re.search(r"model (\S+): loading from", line)
    if m:
        loading[m.group(1)] = t
    m = re.search(r"model (\S+): (READY|FAILED)", line)
    if m and m.group(1) in loading:
        s = loading[m.group(1)]
        phases.append(f"{m.group(1)} {s:.2f}-{t:.2f} ({t - s:.2f} s)")
print("; ".join(phases))
for suffix in (".nmt", ".nmt-soak"):
    path = log + suffix
    if os.path.exists(path):
        text = open(path).read()
        cats = re.findall(r"-\s+([A-Za-z ]+?) \(reserved=\d+KB, committed=(\d+)KB", text)
        total = re.search(r"Total: reserved=\d+KB, committed=(\d+)KB", text)
        if total:
            parts = ", ".join(f"{name.strip()} {int(kb) // 1024}" for name, kb in cats if int(kb) >= 4 * 1024)
            print(f"NMT{' after load' if 'soak' in suffix else ' at ready'}: JVM committed {int(total.group(1)) // 1024} MiB"
                  f" ({parts})")
