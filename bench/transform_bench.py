"""bench/transform_bench.py FILE [REPS] - the numpy, Python (zlib, bytes,
mmap) side of bench/transform_bench.sh: the same jobs as
transform_bench.c on the same file, CPU time (time.process_time), best
of REPS.  Prints "job<TAB>side<TAB>ms" lines; numpy rows are left out
when numpy is missing."""
import mmap
import sys
import time
import zlib

path = sys.argv[1]
reps = int(sys.argv[2]) if len(sys.argv) > 2 else 3


def best(job, side, fn):
    b = float("inf")
    for _ in range(reps):
        t = time.process_time()
        fn()
        b = min(b, time.process_time() - t)
    print(f"{job}\t{side}\t{b * 1e3:.3f}", flush=True)


f = open(path, "r+b")
mm = mmap.mmap(f.fileno(), 0)
n = len(mm)
h = n // 2
table = bytes((i * 167 + 13) & 255 for i in range(256))
data = mm[:]   # bytes for bytes.translate / bytes.count (a copy made once)

best("crc32", "python", lambda: zlib.crc32(mm))
best("adler32", "python", lambda: zlib.adler32(mm))
best("translate", "python", lambda: data.translate(table))
best("count byte", "python", lambda: data.count(b"a"))
best("memmove half", "python", lambda: mm.__setitem__(slice(0, h), mm[h:2 * h]))

try:
    import numpy as np
except ImportError:
    np = None
if np is not None:
    a4 = np.frombuffer(mm, dtype="<i4")
    a2 = np.frombuffer(mm, dtype="<i2")
    best("sum <i4", "numpy", lambda: a4.sum())

    def mul_simple(x):   # what the issue wrote, made in place
        a2[:] = (a2 * x).round().clip(-32768, 32767).astype(np.int16)

    tmp = np.empty(len(a2), dtype=np.float64)

    def mul_out(x):      # the same with one preallocated temporary
        np.multiply(a2, x, out=tmp)
        np.rint(tmp, out=tmp)
        np.clip(tmp, -32768, 32767, out=tmp)
        np.copyto(a2, tmp, casting="unsafe")

    best("mul(0.5) <i2", "numpy", lambda: mul_simple(0.5))
    best("mul(0.5) <i2", "numpy-out", lambda: mul_out(0.5))
    best("mul(0.8) <i2", "numpy", lambda: mul_simple(0.8))
    best("mul(0.8) <i2", "numpy-out", lambda: mul_out(0.8))
    u8 = np.frombuffer(mm, dtype=np.uint8)
    best("count byte", "numpy", lambda: np.count_nonzero(u8 == 97))
    lut = np.frombuffer(table, dtype=np.uint8)
    best("translate", "numpy", lambda: np.take(lut, u8, out=u8))
    src = np.frombuffer(mm, dtype="<i2", count=h // 2)
    dst = np.frombuffer(mm, dtype=">i2", count=h // 2, offset=h)
    best("copy <i2 -> >i2", "numpy", lambda: np.copyto(dst, src))
    conv = np.zeros(n // 4, dtype="<f4")
    src4 = np.frombuffer(mm, dtype="<i2", count=n // 4)
    best("copy <i2 -> <f4", "numpy", lambda: np.copyto(conv, src4, casting="unsafe"))
    best("copy <f4 -> <i2", "numpy", lambda: np.copyto(src4, np.clip(np.rint(conv), -32768, 32767), casting="unsafe"))
    best("memmove half", "numpy", lambda: np.copyto(u8[:h], u8[h:2 * h]))
    del a4, a2, u8, src, dst, src4
mm.close()
