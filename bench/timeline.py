#!/usr/bin/env python3
"""timeline.py CMD...: where the wall time of one command goes, across its
process tree (selkie, conmon, runc, the container), from perf tracepoints:
process exec/exit and the syscalls that mark the steps (mount, umount,
unlinkat, fsync, rename, flock, connect, kill, cgroup writes show as
write). Prints ms since CMD's exec, repeated events folded ("x3"), and the
gaps > 1 ms at the end. Needs root and perf. Example, on a prepared store:

  python3 bench/timeline.py bin/selkie --root R --runroot RR run --rm --network none busybox true

How it was used (issue #3): it showed conmon's move to libpod_parent/conmon
waiting 10-25 ms for an RCU grace period on the critical path.
"""
import re
import subprocess
import sys
import tempfile

EVENTS = ["sched:sched_process_exec", "sched:sched_process_exit", "sched:sched_process_fork"] + [
    "syscalls:sys_enter_" + s for s in
    ("mount", "umount", "unlinkat", "fsync", "fdatasync", "rename", "renameat", "wait4",
     "connect", "kill", "openat", "write", "read", "flock", "mkdirat")]


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    data = tempfile.NamedTemporaryFile(suffix=".perf").name
    args = []
    for e in EVENTS:
        args += ["-e", e]
    subprocess.run(["perf", "record", "-q", "-o", data] + args + ["-a", "--"] + sys.argv[1:],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    out = subprocess.run(["perf", "script", "-i", data, "-F", "comm,pid,tid,time,event,trace"],
                         capture_output=True, text=True).stdout
    subprocess.run(["rm", "-f", data])
    pids, t0, rows = set(), None, []
    exe = sys.argv[1].split("/")[-1]
    for line in out.splitlines():
        m = re.match(r"\s*(.+?)\s+(\d+)/(\d+)\s+([\d.]+):\s+(\S+):\s*(.*)", line)
        if not m:
            continue
        comm, pid, tid, t, ev, tr = m.groups()
        pid, tid, t, ev = int(pid), int(tid), float(t), ev.split(":")[1]
        if t0 is None:
            if ev == "sched_process_exec" and exe in tr:
                t0 = t
                pids.add(pid)
            else:
                continue
        if ev == "sched_process_fork":
            if pid in pids:
                pids.add(int(re.search(r"child_pid=(\d+)", tr).group(1)))
            continue
        if pid not in pids or (ev == "sched_process_exit" and tid != pid):
            continue
        extra = re.search(r"filename=(\S+)", tr).group(1) if ev == "sched_process_exec" else ""
        rows.append(((t - t0) * 1000, comm, tid, ev.replace("sys_enter_", ""), extra))
    prev, count, last_t = None, 0, 0.0
    gaps = []
    for r in rows + [None]:
        key = r and (r[1], r[2], r[3])
        if prev and key == prev[0]:
            count += 1
            continue
        if prev:
            t, comm, tid, ev, extra = prev[1]
            print("%8.2f %-16s %7d  %s %s%s" % (t, comm[:16], tid, ev, extra, "  x%d" % count if count > 1 else ""))
        if r:
            if r[0] - last_t > 1.0:
                gaps.append((last_t, r[0], r[1], r[3]))
            last_t = r[0]
            prev, count = (key, r), 1
    print("gaps > 1 ms (from, to, then):")
    for a, b, comm, ev in gaps:
        print("  %8.2f -> %8.2f  %6.2f ms  then %s %s" % (a, b, b - a, comm, ev))


if __name__ == "__main__":
    main()
