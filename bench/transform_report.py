"""bench/transform_report.py RESULTS [MB] - the table of
bench/transform_bench.sh from its "job<TAB>side<TAB>ms" lines: mapbuf at
each SIMD level beside numpy, Python (zlib, bytes, mmap), zlib from C and
LuaJIT FFI, and the ratio of mapbuf's best level to the best of the
others (lower is better; the issue's must/aim are 1.5/1.0 for the sum,
1.5/0.5 for the mul, 1.0/0.5 for crc32 and translate, 1.0 for the
memmove)."""
import sys

rows, sides = {}, set()
order = []
for line in open(sys.argv[1]):
    parts = line.rstrip("\n").split("\t")
    if len(parts) != 3:
        continue
    job, side, ms = parts
    if job not in rows:
        rows[job] = {}
        order.append(job)
    rows[job][side] = float(ms)
    sides.add(side)
mb = sorted((s for s in sides if s.startswith("mapbuf")), reverse=True)
others = [s for s in ("numpy", "numpy-out", "python", "zlib", "luajit") if s in sides]
names = {"mapbuf3": "mapbuf AVX-512", "mapbuf2": "mapbuf AVX2", "mapbuf1": "mapbuf SSE2",
         "mapbuf0": "mapbuf portable", "numpy-out": "numpy (out=)", "python": "Python",
         "zlib": "zlib (C)", "luajit": "LuaJIT FFI"}
head = ["job"] + [names.get(s, s) for s in mb + others] + ["best other", "ratio"]
print("| " + " | ".join(head) + " |")
print("|" + "---|" * len(head))
for job in order:
    r = rows[job]
    cells = [job]
    for s in mb + others:
        cells.append(f"{r[s]:.1f}" if s in r else "")
    other = [(r[s], s) for s in others if s in r]
    if other and mb and mb[0] in r:
        b, who = min(other)
        cells += [f"{b:.1f} ({names.get(who, who)})", f"{r[mb[0]] / b:.2f}"]
    else:
        cells += ["", ""]
    print("| " + " | ".join(cells) + " |")
print()
print(f"CPU milliseconds, best of the runs, on {sys.argv[2] if len(sys.argv) > 2 else 64} MiB; "
      "ratio = mapbuf's best level / the best other.")
