"""bench/report.py RESULTS OUTDIR BIG_MB LOOP_MB TEXT_MB FILL_MB REPS [DOC]

Turns bench/run's raw results (one line per job: job, then the mapbuf,
Python, Lua-string and floor answers, tab-separated) into the printed table,
OUTDIR/results.md and, when gnuplot is there, OUTDIR/chart.png.  With DOC
(bench/run gives docs/bench-results.md) the table also goes there, under a
heading that says on what machine and when it was measured.
"""
import os
import platform
import shutil
import subprocess
import sys
import time

# job: (what, target on mapbuf/python or absolute, unit)
JOBS = [
    ("find", "plain find, needle at the end of {big} MiB", ("ratio", 1 / 8)),
    ("find_wall", "the same by the clock (wall time; both threads working)", ("ratio", 1 / 8)),
    ("index", "`m[i]` read loop over {loop} MiB", ("ratio", 0.6)),
    ("newindex", "`m[i] = v` write loop over {loop} MiB", None),
    ("lines", "`for l in m:lines()` over {text} MiB of text", ("ratio", 0.5)),
    ("readline", "`m:readline()` loop over {text} MiB of text", ("ratio", 0.5)),
    ("unpack", "`m:unpack(\"<I4\", p)` loop over {loop} MiB", ("ratio", 0.6)),
    ("unpack_cached", "the same, `local up = m.unpack` once, then `up(m, \"<I4\", p)`", ("ratio", 0.6)),
    ("gmatch", "`gmatch(\"%d+\")` over {text} MiB (Python: `re.finditer`)", ("ratio", 1.0)),
    ("sub16", "`m:sub(p, p+15)` copies over {loop} MiB", None),
    ("fill", "`m:fill(v)` 8 x {fill} MiB (Python: slice assignment)", None),
    ("set", "`m:set(1, s)` 8 x {fill} MiB (Python: slice assignment)", None),
    ("random4", "1M random 4-byte reads in {big} MiB", None),
    ("startup", "start-up: `mapbuf -e ''` vs `python3 -c 'import mmap'` (wall)", ("abs", 5.0)),
    ("mem", "anonymous memory growth scanning {big} MiB (KiB)", ("abs", 1024.0)),
]


# The transform rows (issue 12): job, what, must, aim.  Each is measured
# against every peer that has the job (the sides of bench/transform_bench.py
# and .lua that XPEER names, the table's columns), the fastest of them.
XJOBS = [
    ("sum <i4", "`m:array(\"<i4\"):sum()`", 1.5, 1.0),
    ("mul(0.5) <i2", "`m:array(\"<i2\"):mul(0.5)` (round, saturate)", 1.5, 0.5),
    ("crc32", "`m:crc32()`", 1.0, 0.5),
    ("adler32", "`m:adler32()`", None, None),
    ("translate", "`m:translate(t)`", 1.0, 0.5),
    ("count byte", "`m:count(\"a\")`", None, None),
    ("copy <i2 -> >i2", "`be:copy(le)` (a byte swap)", None, None),
    ("memmove half", "`m:set(1, m:view(h + 1, 2 * h))`", 1.0, None),
]
XPEER = {"python": "Python (zlib / bytes / mmap)", "numpy": "numpy", "luajit": "LuaJIT FFI"}


def xtable(path, mb):
    """The transforms table from job<TAB>side<TAB>ms lines, or ""."""
    got = {}
    try:
        with open(path) as f:
            for line in f:
                parts = line.rstrip("\n").split("\t")
                if len(parts) == 3:
                    try:
                        got.setdefault(parts[0], {})[parts[1]] = float(parts[2])
                    except ValueError:
                        pass
    except OSError:
        return ""
    head = ("job (%d MiB)" % mb, "mapbuf", "numpy", "Python (zlib / bytes / mmap)",
            "LuaJIT FFI", "mapbuf / best peer", "must", "aim", "met")
    rows = []
    for job, what, must, aim in XJOBS:
        sides = got.get(job, {})
        if "mapbuf" not in sides:
            continue
        peers = [(sides[p], p) for p in XPEER if p in sides]
        fastest = min(peers) if peers else None
        ratio = sides["mapbuf"] / fastest[0] if fastest and fastest[0] > 0 else None
        cell = lambda k: "%.1f ms" % sides[k] if k in sides else "—"
        met = ""
        if ratio is not None and must is not None:
            met = "yes" if ratio <= must else "no"
            if aim is not None and ratio <= aim:
                met += " (aim too)"
        rows.append((what, cell("mapbuf"), cell("numpy"), cell("python"), cell("luajit"),
                     "%.3f (vs %s)" % (ratio, XPEER[fastest[1]]) if ratio is not None else "—",
                     "≤ %.3g" % must if must else "", "≤ %.3g" % aim if aim else "", met))
    if not rows:
        return ""
    out = "| " + " | ".join(head) + " |\n" + "|" + "---|" * len(head) + "\n"
    for r in rows:
        out += "| " + " | ".join(c.replace("|", "\\|") for c in r) + " |\n"
    return out


def parse(field):
    field = field.strip()
    if not field or field.startswith("skip") or field == "-":
        return None, field
    t, _, check = field.partition(" ")
    try:
        return float(t), check
    except ValueError:
        return None, "error: " + field[:60]


def machine():
    """What the figures were measured on, in one line."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for l in f:
                if l.startswith("model name"):
                    cpu = l.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    def version(cmd):
        try:
            r = subprocess.run(cmd, capture_output=True, text=True)
            return (r.stdout or r.stderr).split("\n")[0].strip()
        except OSError:
            return "?"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return "%s, %d cores, load average %.1f; %s; %s; Linux %s" % (
        cpu, os.cpu_count() or 0, load,
        " ".join(version([os.environ.get("LUA", "lua5.4"), "-v"]).split()[:2]),
        version(["python3", "--version"]), platform.release())


def document(table, reps, xform=""):
    if xform:
        xform = ("\n## Transforms\n\nThe bulk calls of [transforms.md](transforms.md) "
                 "side by side with numpy, Python's zlib, `bytes` and mmap, and "
                 "LuaJIT's FFI, each on a fresh copy of the same file of random "
                 "bytes (CPU time, best of %d). The ratio is over the fastest "
                 "peer, named beside it; *must* and *aim* are the targets.\n\n%s"
                 % (reps, xform))
    return ("# Bench results\n\n"
            "<!-- written by bench/run: do not edit; run `bench/run build` "
            "again instead -->\n\n"
            "mapbuf side by side with Python's `mmap` (and Lua's own "
            "`string` / `io` on a copy), as [performance.md](performance.md) "
            "describes. CPU time, best of %d runs; lower is better; a ratio "
            "below 1 means mapbuf is faster. *floor/Python*: the same Lua "
            "code on a C object that does nothing but the job "
            "(bench/floor.c), the least stock Lua 5.4 allows for it.\n\n"
            "Measured %s on %s.\n\n"
            "%s\n"
            "The chart (bench/out/chart.png) is made by the same run, when "
            "gnuplot is installed.\n%s"
            % (reps, time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
               machine(), table, xform))


def main():
    results, outdir = sys.argv[1], sys.argv[2]
    big, loop, text, fill, reps = (int(x) for x in sys.argv[3:8])
    sizes = dict(big=big, loop=loop, text=text, fill=fill)
    raw = {}
    with open(results) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            parts += ["-"] * (5 - len(parts))
            raw[parts[0]] = [parse(p) for p in parts[1:5]]
    rows, chart = [], []
    for job, what, target in JOBS:
        if job not in raw:
            continue
        (mt, mc), (pt, pc), (st, sc), (ft, fc) = raw[job]
        mem = job == "mem"
        scale = 1 if mem else 1000.0          # seconds -> ms
        unit = " KiB" if mem else " ms"

        def fmt(t, note):
            if t is None:
                return note or "—"
            return "%.1f%s" % (t * scale, unit) if not mem else "%d%s" % (t, unit)
        ratio = mt / pt if (mt is not None and pt and not mem) else None
        floor = ft / pt if (ft is not None and pt and not mem) else None
        verdict = ""
        if target and mt is not None:
            kind, lim = target
            if kind == "ratio" and ratio is not None:
                verdict = ("yes" if ratio <= lim else "no") + " (≤ %.3g)" % lim
            elif kind == "abs":
                v = mt if mem else mt * 1000
                verdict = ("yes" if v < lim else "no") + " (< %g%s)" % (lim, unit)
        elif target:
            verdict = "not run"
        note = ""
        if mc is not None and pc is not None and mt is not None and pt is not None \
                and mc != pc and job not in ("startup", "mem"):
            note = " (results differ: %s vs %s)" % (mc, pc)
        if job in ("fill", "set") and mt:
            note += " %.1f GB/s" % (8 * fill * 2**20 / mt / 1e9)
        if job in ("find", "find_wall") and mt:
            note += " %.1f GB/s" % (big * 2**20 / mt / 1e9)
        rows.append((what.format(**sizes), fmt(mt, raw[job][0][1]), fmt(pt, raw[job][1][1]),
                     "%.3f" % ratio if ratio is not None else "—",
                     "%.3f" % floor if floor is not None else "—",
                     fmt(st, None), verdict, note.strip()))
        if ratio is not None:
            chart.append((job, ratio))
    head = ("job", "mapbuf", "Python mmap", "mapbuf/Python", "floor/Python",
            "Lua string/io (copy)", "target met", "notes")
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(len(head))]
    line = lambda r: "  ".join(c.ljust(w) for c, w in zip(r, widths))
    print(line(head))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(line(r))
    table = "| " + " | ".join(head) + " |\n" + "|" + "---|" * len(head) + "\n"
    for r in rows:
        table += "| " + " | ".join(c.replace("|", "\\|") for c in r) + " |\n"
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "results.md"), "w") as f:
        f.write("<!-- written by bench/run; CPU time, best of %d runs -->\n\n" % reps)
        f.write(table)
    xform = xtable(sys.argv[9], fill) if len(sys.argv) > 9 else ""
    if xform:
        print()
        print(xform)
        with open(os.path.join(outdir, "results.md"), "a") as f:
            f.write("\n" + xform)
    if len(sys.argv) > 8 and sys.argv[8] != "/dev/null":
        with open(sys.argv[8], "w") as f:
            f.write(document(table, reps, xform))
    if shutil.which("gnuplot") and chart:
        dat = os.path.join(outdir, "chart.dat")
        with open(dat, "w") as f:
            for job, r in chart:
                f.write("%s %.4f\n" % (job, r))
        script = """
set terminal png size 900,480 noenhanced
set output '%s'
set title 'mapbuf time / Python mmap time (lower is better; 1 = same)'
set style data histograms
set style fill solid 0.8
set boxwidth 0.7
set logscale y 2
set yrange [0.01:4]
set grid ytics
set xtics rotate by -30
unset key
plot '%s' using 2:xtic(1) lc rgb '#3b7dd8', 1 with lines lc rgb '#d83b3b' lw 2
""" % (os.path.join(outdir, "chart.png"), dat)
        subprocess.run(["gnuplot"], input=script.encode(), check=False)
        os.remove(dat)


if __name__ == "__main__":
    main()
