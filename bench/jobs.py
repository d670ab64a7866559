"""bench/jobs.py: the Python side of bench/run, one job per call.

    python3 bench/jobs.py JOB FILE REPS
    python3 bench/jobs.py spawn REPS CMD...     (best wall time of a command)

Each job does with Python's mmap what the job of the same name in
bench/jobs.lua does with mapbuf, the way a Python programmer would write it.
Prints the best CPU time (time.process_time) of REPS runs in seconds and a
check value; "mem" prints the growth of anonymous memory in KiB.
"""
import mmap
import os
import re
import struct
import subprocess
import sys
import time

NEEDLE = b"mapbuf-needle-0123456789"
clock = time.process_time
if len(sys.argv) > 1 and sys.argv[1].endswith("_wall"):
    clock = time.perf_counter   # the *_wall jobs: by the clock


def rssanon():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
    return 0


def openmap(path):
    f = open(path, "rb")
    m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    f.close()
    return m


def best(reps, fn, make):
    t, check = float("inf"), None
    for _ in range(reps):
        m = make()
        t0 = clock()
        check = fn(m)
        t = min(t, clock() - t0)
        m.close()
    return t, check


def job_find(path, reps):
    return best(reps, lambda m: m.find(NEEDLE) + 1, lambda: openmap(path))


job_find_wall = job_find


def job_index(path, reps):
    def f(m):
        s = 0
        for i in range(len(m)):
            s += m[i]
        return s
    return best(reps, f, lambda: openmap(path))


def job_newindex(path, reps):
    n = os.path.getsize(path)

    def f(m):
        for i in range(n):
            m[i] = (i + 1) & 255
        return m[n - 1]
    return best(reps, f, lambda: mmap.mmap(-1, n))


def job_readline(path, reps):
    def f(m):
        c = 0
        for _ in iter(m.readline, b""):
            c += 1
        return c
    return best(reps, f, lambda: openmap(path))


job_lines = job_readline    # mmap has no lines(): readline is its loop


def job_unpack(path, reps):
    def f(m):
        s, up = 0, struct.unpack_from
        for p in range(0, len(m) - 3, 4):
            s += up("<I", m, p)[0]
        return s
    return best(reps, f, lambda: openmap(path))


job_unpack_cached = job_unpack


def job_gmatch(path, reps):
    pat = re.compile(rb"\d+")

    def f(m):
        c = 0
        for _ in pat.finditer(m):
            c += 1
        return c
    return best(reps, f, lambda: openmap(path))


def job_sub16(path, reps):
    def f(m):
        c = 0
        for p in range(0, len(m) - 15, 16):
            c += len(m[p:p + 16])
        return c
    return best(reps, f, lambda: openmap(path))


def job_fill(path, reps):
    # mmap has no fill: slice assignment from a filled bytes object
    n = os.path.getsize(path)

    def f(m):
        for k in range(1, 9):
            m[:] = bytes([k]) * n
        return m[n - 1]
    return best(reps, f, lambda: mmap.mmap(-1, n))


def job_set(path, reps):
    n = os.path.getsize(path)
    with open(path, "rb") as fh:
        src = fh.read()

    def f(m):
        for _ in range(8):
            m[0:n] = src
        return m[n - 1]
    return best(reps, f, lambda: mmap.mmap(-1, n))


def job_random4(path, reps):
    n = os.path.getsize(path)
    modulus = n - 4

    def f(m):
        x, s, up = 12345, 0, struct.unpack_from
        for _ in range(1 << 20):
            x = (x * 1103515245 + 12345) & 0x7fffffff
            s += up("<I", m, x % modulus)[0]
        return s
    return best(reps, f, lambda: openmap(path))


def job_mem(path, reps):
    before = rssanon()
    m = openmap(path)
    c = m.find(NEEDLE + b"absent") + 1
    for _ in re.finditer(rb"needle", m):
        c += 1
    for p in range(0, len(m) - 3, 65536):
        c += struct.unpack_from("<I", m, p)[0]
    m.close()
    return rssanon() - before, c


def spawn(reps, cmd):
    t = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        t = min(t, time.perf_counter() - t0)
    return t, 0


def main():
    if sys.argv[1] == "spawn":
        t, check = spawn(int(sys.argv[2]), sys.argv[3:])
    else:
        job, path, reps = sys.argv[1], sys.argv[2], int(sys.argv[3])
        t, check = globals()["job_" + job](path, reps)
    print("%.6f %s" % (t, check))


if __name__ == "__main__":
    main()
