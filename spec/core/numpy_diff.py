#!/usr/bin/python3
"""numpy_diff.py LIBMAPBUF.so - the core's bulk kernels side by side with
numpy, zlib and bytes on random data (ctest runs it as core/numpy when a
python3 with numpy is found).

Loads libmapbuf.so with ctypes and compares, array by array: the integer
rule (numpy's rint, then clip, then the cast) for mul/add/clamp/copy into
every integer type; float32 arithmetic with a Python float scalar
(numpy 1.24 casts the scalar to float32 first); conversions by astype;
integer sums (wrapping) and min/max with numpy's NaN propagation; float
sums against numpy's pairwise sum and math.fsum; and crc32, adler32,
translate and count against zlib and bytes.  Sizes 0..70 and around the
vector widths, both byte orders, unaligned starts.  Prints
"N passed, N failed"; exits 1 on any failure.
"""
import ctypes
import math
import sys
import zlib

import numpy as np

lib = ctypes.CDLL(sys.argv[1] if len(sys.argv) > 1 else "build/libmapbuf.so")


class Elem(ctypes.Structure):
    _fields_ = [("kind", ctypes.c_int), ("size", ctypes.c_int), ("big", ctypes.c_int)]


class Num(ctypes.Structure):
    _fields_ = [("isfloat", ctypes.c_int), ("i", ctypes.c_int64), ("f", ctypes.c_double)]


P = ctypes.c_void_p
E = ctypes.POINTER(Elem)
for name, args in {
    "mb_arr_add": [E, P, ctypes.c_size_t, Num],
    "mb_arr_mul": [E, P, ctypes.c_size_t, Num],
    "mb_arr_clamp": [E, P, ctypes.c_size_t, Num, Num],
    "mb_arr_sum": [E, P, ctypes.c_size_t, ctypes.POINTER(Num)],
    "mb_arr_min": [E, P, ctypes.c_size_t, ctypes.POINTER(Num)],
    "mb_arr_max": [E, P, ctypes.c_size_t, ctypes.POINTER(Num)],
    "mb_arr_copy": [E, P, E, P, ctypes.c_size_t],
    "mb_arr_addv": [E, P, E, P, ctypes.c_size_t],
    "mb_arr_mulv": [E, P, E, P, ctypes.c_size_t],
    "mb_elem_make": [E, ctypes.c_int, ctypes.c_int, ctypes.c_int],
    "mb_simd": [ctypes.c_int],
    "mb_translate": [P, ctypes.c_size_t, P],
}.items():
    getattr(lib, name).argtypes = args
    getattr(lib, name).restype = ctypes.c_int
lib.mb_crc32.argtypes = [ctypes.c_uint32, P, ctypes.c_size_t]
lib.mb_crc32.restype = ctypes.c_uint32
lib.mb_adler32.argtypes = [ctypes.c_uint32, P, ctypes.c_size_t]
lib.mb_adler32.restype = ctypes.c_uint32
lib.mb_count.argtypes = [P, ctypes.c_size_t, P, ctypes.c_size_t]
lib.mb_count.restype = ctypes.c_size_t

KIND = {"i": 1, "u": 2, "f": 3}
passed = failed = 0
rng = np.random.default_rng(12)
SIZES = list(range(71)) + [127, 128, 129, 255, 256, 257, 1023, 1024, 1025, 4095, 4096, 4097]


def elem(dt):
    e = Elem()
    dt = np.dtype(dt)
    big = 1 if dt.byteorder == ">" or (dt.byteorder == "=" and sys.byteorder == "big") else 0
    assert lib.mb_elem_make(ctypes.byref(e), KIND[dt.kind], dt.itemsize, big) == 0
    return e


def num(x):
    n = Num()
    if isinstance(x, float):
        n.isfloat, n.f = 1, x
    else:
        n.isfloat, n.i = 0, x
    return n


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        if failed <= 20:
            print("FAIL", what)


class Buf:
    """An array of dtype dt, n elements, off bytes into a bytearray."""
    def __init__(self, dt, values, off):
        dt = np.dtype(dt)
        self.raw = bytearray(off + dt.itemsize * len(values) + 1)
        self.arr = np.frombuffer(self.raw, dtype=dt, count=len(values), offset=off)
        self.arr[:] = values
        self.ptr = ctypes.addressof((ctypes.c_char * len(self.raw)).from_buffer(self.raw)) + off
        self.dt = dt


def same(a, b):
    """Equal arrays, NaN equal to NaN, -0.0 distinct from +0.0."""
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype.kind == "f":
        a64, b64 = a.astype(np.float64), b.astype(np.float64)
        nan = np.isnan(a64) & np.isnan(b64)
        return bool(np.all(nan | ((a64 == b64) & (np.signbit(a64) == np.signbit(b64)))))
    return bool(np.array_equal(a, b))


def intrule(values, dt):
    """numpy's rint, clip to dt's range, cast; NaN stores 0 (our rule:
    numpy leaves it undefined)."""
    info = np.iinfo(dt)
    v = np.asarray(values, dtype=np.float64)
    r = np.clip(np.rint(v), float(info.min), float(info.max))
    r = np.where(np.isnan(r), 0.0, r)
    if info.bits == 64:   # float64 cannot hold the limits: saturate by hand
        out = np.empty(len(r), dtype=dt)
        big = r >= 2.0 ** 63 if info.min < 0 else r >= 2.0 ** 64
        out[:] = np.where(big, 0, r).astype(dt)
        out[big] = info.max
        return out
    return r.astype(dt)


def randints(dt, n):
    info = np.iinfo(dt)
    v = rng.integers(info.min, info.max, size=n, dtype=np.dtype(dt).newbyteorder("="), endpoint=True)
    if n > 2:
        v[0], v[1] = info.min, info.max
    return v


def randfloats(n):
    v = rng.normal(0, 1e4, size=n)
    if n > 8:
        v[:8] = [0.5, 1.5, 2.5, -0.5, -2.5, 40000.5, -1e30, np.nan]
    return v


# ---- integer arrays: mul and add by a float, the rule of the bench ----
def int_scalar_ops():
    for level in (0, 1, 2, 3):
        lib.mb_simd(level)
        for t in ("<i2", ">i2", "<u2", "u1", "i1", "<i4", ">u4", "<i8"):
            for n in SIZES[::3]:
                for x in (0.5, 0.8, -2.5, 1.5, 3.0, 1e-3, 123.456, 40000.0):
                    for op in ("mul", "add"):
                        a = randints(t, n)
                        b = Buf(t, a, n % 5)
                        getattr(lib, "mb_arr_" + op)(elem(t), b.ptr, n, num(x))
                        if np.dtype(t).itemsize == 8 and x.is_integer():
                            # ours: exact (an integral float acts as the
                            # integer); numpy would round through float64
                            info, xi = np.iinfo(t), int(x)
                            want = np.array([min(max(int(v) * xi if op == "mul" else int(v) + xi,
                                                     info.min), info.max) for v in a], dtype=t)
                        else:
                            f = a.astype(np.float64)
                            want = intrule(f * x if op == "mul" else f + x, np.dtype(t))
                        check(same(b.arr, want), f"{op} {t} n={n} x={x} level={level}")


# ---- float32 / float64 arrays with a Python float: numpy's own arithmetic ----
def float_scalar_ops():
    for level in (0, 1, 2, 3):
        lib.mb_simd(level)
        for t in ("<f4", ">f4", "<f8", ">f8"):
            for n in SIZES[::2]:
                for x in (0.1, 0.8, -2.5, 1e-3, 3.0, 1e-30, 0.50000001):
                    for op in ("mul", "add"):
                        a = randfloats(n).astype(t)
                        b = Buf(t, a, 3)
                        getattr(lib, "mb_arr_" + op)(elem(t), b.ptr, n, num(x))
                        with np.errstate(all="ignore"):
                            want = a * x if op == "mul" else a + x   # float32 stays float32
                        check(want.dtype == np.dtype(t).newbyteorder("=") or want.dtype == np.dtype(t),
                              f"numpy kept {t} for a Python float")
                        check(same(b.arr, want), f"{op} {t} n={n} x={x} level={level}")


def clamps():
    for level in (0, 2, 3):
        lib.mb_simd(level)
        for n in SIZES[::4]:
            for lo, hi in ((0.5, 10.5), (-100.0, 100.0), (-1e9, 1e9), (7.0, 3.0)):
                a = randints("<i2", n)
                b = Buf("<i2", a, 1)
                lib.mb_arr_clamp(elem("<i2"), b.ptr, n, num(lo), num(hi))
                want = intrule(np.clip(a.astype(np.float64), lo, hi), np.dtype("<i2"))
                check(same(b.arr, want), f"clamp <i2 n={n} {lo},{hi}")
                f = randfloats(n).astype("<f4")
                b = Buf("<f4", f, 1)
                lib.mb_arr_clamp(elem("<f4"), b.ptr, n, num(lo), num(hi))
                want = np.clip(f, np.float32(lo), np.float32(hi))
                check(same(b.arr, want), f"clamp <f4 n={n} {lo},{hi}")


# ---- conversions: astype (with the integer rule where numpy has none) ----
def copies():
    pairs = [("<f8", "<i2"), ("<f8", ">u1"), ("<f4", "<i4"), ("<f8", "<u2"),
             ("<i2", "<f4"), ("<i2", ">i2"), (">i4", "<i4"), ("<f8", "<f4"),
             ("<f4", ">f8"), ("<i8", "<f4"), ("<u8", "<f8"), ("<i4", "<f8"),
             ("<u4", "<f4"), ("<i2", "<i4"), ("<i4", "<i2"), ("<u2", "<i2")]
    for level in (0, 1, 2, 3):
        lib.mb_simd(level)
        for src, dst in pairs:
            for n in SIZES[::2]:
                if np.dtype(src).kind == "f":
                    a = randfloats(n).astype(src)
                else:
                    a = randints(src, n)
                s = Buf(src, a, 1)
                d = Buf(dst, np.zeros(n, dtype=dst), 2)
                lib.mb_arr_copy(elem(dst), d.ptr, elem(src), s.ptr, n)
                if np.dtype(dst).kind in "iu":
                    want = intrule(a.astype(np.float64), np.dtype(dst)) if np.dtype(src).kind == "f" \
                        else np.clip(a.astype(object), np.iinfo(dst).min, np.iinfo(dst).max).astype(dst)
                else:
                    with np.errstate(all="ignore"):
                        want = a.astype(dst)
                check(same(d.arr, want), f"copy {dst} <- {src} n={n} level={level}")


# ---- reductions ----
def reductions():
    for level in (0, 1, 2, 3):
        lib.mb_simd(level)
        for t in ("<i4", ">i4", "u1", "<i2", "<u8", "<i8"):
            for n in SIZES[::2] + [100000]:
                a = randints(t, n)
                b = Buf(t, a, 1)
                s, lo, hi = Num(), Num(), Num()
                lib.mb_arr_sum(elem(t), b.ptr, n, ctypes.byref(s))
                want = int(np.sum(a, dtype=np.uint64 if np.dtype(t).kind == "u" else np.int64))
                check(s.i % 2 ** 64 == want % 2 ** 64, f"sum {t} n={n}: {s.i} vs {want}")
                got = lib.mb_arr_min(elem(t), b.ptr, n, ctypes.byref(lo))
                lib.mb_arr_max(elem(t), b.ptr, n, ctypes.byref(hi))
                check(got == (n > 0), "min of empty")
                if n:
                    check(lo.i % 2 ** 64 == int(a.min()) % 2 ** 64 and hi.i % 2 ** 64 == int(a.max()) % 2 ** 64,
                          f"min/max {t} n={n}")
        for t in ("<f4", ">f8", "<f8"):
            for n in SIZES[::2] + [100000, 1000003]:
                a = rng.normal(0, 1, size=n).astype(t)
                b = Buf(t, a, 3)
                s = Num()
                lib.mb_arr_sum(elem(t), b.ptr, n, ctypes.byref(s))
                exact = math.fsum(a.astype(np.float64))
                ours, theirs = abs(s.f - exact), abs(float(np.sum(a)) - exact)
                scale = float(np.sum(np.abs(a.astype(np.float64)))) or 1.0
                # ours in double; numpy's float32 sum is float32 (far coarser);
                # against numpy's float64 pairwise sum: the same order of error
                check(ours <= max(theirs, 1e-15 * scale) * 4 + 1e-300, f"sum {t} n={n}: err {ours} vs numpy {theirs}")
                if n:
                    a[n // 2] = np.nan
                    b = Buf(t, a, 3)
                    lo, hi = Num(), Num()
                    lib.mb_arr_min(elem(t), b.ptr, n, ctypes.byref(lo))
                    lib.mb_arr_max(elem(t), b.ptr, n, ctypes.byref(hi))
                    check(math.isnan(lo.f) and math.isnan(hi.f) and np.isnan(a.min()) and np.isnan(a.max()),
                          f"NaN propagates in min/max {t} n={n}")


# ---- bytes: zlib, bytes.translate, bytes.count ----
def bytes_jobs():
    for level in (0, 1, 2, 3):
        lib.mb_simd(level)
        for n in SIZES + [65536 + 7, 300001]:
            data = bytearray(rng.integers(0, 256, size=n + 3, dtype=np.uint8).tobytes())
            view = (ctypes.c_char * len(data)).from_buffer(data)
            p = ctypes.addressof(view) + 3
            body = bytes(data[3:])
            start = int(rng.integers(0, 2 ** 32))
            check(lib.mb_crc32(0, p, n) == zlib.crc32(body), f"crc32 n={n}")
            check(lib.mb_crc32(start, p, n) == zlib.crc32(body, start), f"crc32 from {start} n={n}")
            check(lib.mb_adler32(1, p, n) == zlib.adler32(body), f"adler32 n={n}")
            a0 = int(rng.integers(0, 65521)) | int(rng.integers(0, 65521)) << 16
            check(lib.mb_adler32(a0, p, n) == zlib.adler32(body, a0), f"adler32 from {a0} n={n}")
            table = rng.permutation(256).astype(np.uint8).tobytes()
            tbuf = ctypes.create_string_buffer(table, 256)
            lib.mb_translate(p, n, tbuf)
            check(bytes(data[3:]) == body.translate(table), f"translate n={n}")
            small = bytes(rng.integers(0, 3, size=n, dtype=np.uint8))
            sbuf = ctypes.create_string_buffer(small, max(n, 1))
            for needle in (b"", b"\x00", b"\x01\x01", b"\x00\x01\x02", b"\x02\x02\x02\x02"):
                nbuf = ctypes.create_string_buffer(needle, max(len(needle), 1))
                check(lib.mb_count(sbuf, n, nbuf, len(needle)) == small.count(needle),
                      f"count {needle!r} n={n}")


int_scalar_ops()
float_scalar_ops()
clamps()
copies()
reductions()
bytes_jobs()
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
