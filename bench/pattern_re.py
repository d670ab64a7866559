"""bench/pattern_re.py FILE [REPS]: Python's re.finditer over the file
(an mmap) with the regex equivalent to each of bench/pattern_bench.c's Lua
patterns, counting the matches, and again taking each match's groups() (Lua's
gmatch hands every capture over as a string; finditer alone makes none).
CPU time, best of REPS (3).
Prints "gmatch<TAB>index<TAB>re.finditer[+groups]<TAB>seconds<TAB>matches".

Lua's classes are ASCII here, so %w is [A-Za-z0-9] (not \\w, which has
'_'), %d [0-9], %u [A-Z], %a [A-Za-z]; %f[%a] is a look-behind."""
import mmap
import re
import sys
import time

REGEXES = [   # the same, in the same order, as pattern_bench.c
    rb"[0-9]+",
    rb"([A-Za-z0-9]+)=([A-Za-z0-9]+)",
    rb'\n([0-9]+\.[0-9]+\.[0-9]+\.[0-9]+) - - \[([^\]]+)\] "([A-Z]+) ([^ ]+) [^"]*" ([0-9]+) ([0-9]+)',
    rb"(?<![A-Za-z])[A-Za-z]+",
    rb"\n([^\n]*?)ERROR",
    rb'[\[\]"]+',
]


def main():
    reps = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    with open(sys.argv[1], "rb") as f:
        m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        for i, rx in enumerate(REGEXES):
            r = re.compile(rx)
            for who, groups in (("re.finditer", False), ("re+groups", True)):
                best, n = float("inf"), 0
                for _ in range(reps):
                    t = time.process_time()
                    n = 0
                    for x in r.finditer(m):
                        if groups:
                            x.groups() or x.group()
                        n += 1
                    best = min(best, time.process_time() - t)
                print("gmatch\t%d\t%s\t%.6f\t%d" % (i, who, best, n), flush=True)


if __name__ == "__main__":
    main()
