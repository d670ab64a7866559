-- spec/lua/xform_spec.lua: the bulk byte methods and the arrays' bulk
-- methods, side by side with Python in one run: m:crc32 / m:adler32
-- against zlib, m:translate / m:count against bytes.translate /
-- bytes.count, and every array operation against numpy (Debian's
-- python3-numpy, through the interpreter CMake found with it:
-- MAPBUF_NUMPY_PYTHON), on random data, sizes 0..70 and around the SIMD
-- widths, and values at every type's limits.
local mapbuf = require "mapbuf"
local H = require "spec.helper"

local seed = tonumber(os.getenv("SEED")) or os.time()
math.randomseed(seed)
local R = math.random
local PY = os.getenv("MAPBUF_NUMPY_PYTHON") or "/usr/bin/python3"

-- R(lo, hi) for intervals past a C int (5.1's and 5.2's math.random take
-- only those): a 32-bit running value.
local function rand(lo, hi)
  if H.luaver >= 5.3 then return R(lo, hi) end
  return lo + math.min(math.floor(R() * (hi - lo + 1)), hi - lo)
end

local function randbytes(n)
  local t = {}
  for i = 1, n do t[i] = string.char(R(0, 255)) end
  return table.concat(t)
end

-- Run Python code with PY; its stdout.
local function python(code)
  local f = H.file(code, ".py")
  -- (not under the sanitizers the specs may run with: python is no C
  -- program of ours)
  local out, status = H.run("env -u LD_PRELOAD " .. H.q(PY) .. " " .. H.q(f) .. " 2>&1")
  assert.equal(0, status, out)
  return out
end

local sizes = {}
for n = 0, 70 do sizes[#sizes + 1] = n end
for _, n in ipairs({127, 128, 129, 255, 256, 257, 1023, 1024, 1025, 4095, 4096,
                    4097, 65535, 65536, 65537, 100000}) do
  sizes[#sizes + 1] = n
end

describe("crc32, adler32, translate, count", function()
  teardown(H.cleanup)

  it("give what zlib and bytes give, on random data at every size (seed " .. seed .. ")", function()
    local data = randbytes(100000 + 64)
    local p = H.file(data)
    local m = assert(mapbuf.open(p, "r"))
    -- the same questions, asked of both
    local cases = {}
    for _, n in ipairs(sizes) do
      local i = R(1, 64)
      local j = i + n - 1
      cases[#cases + 1] = {i, j, rand(0, 0xFFFFFFFF), rand(1, 0xFFF0FFF0)}
    end
    local t = {}
    for b = 0, 255 do t[b + 1] = string.char((b * 37 + 11) % 256) end
    t = table.concat(t)
    local needles = {"", "\0", "a", "ab", data:sub(10, 11), data:sub(100, 102), "\255\255"}
    local lines = {}
    for _, c in ipairs(cases) do
      lines[#lines + 1] = ("%d %d %d %d"):format(c[1], c[2], c[3], c[4])
    end
    local out = python(([[
import zlib
d = open(%q, "rb").read()
t = open(%q, "rb").read()
ns = [bytes.fromhex(h) for h in %q.split(",")]
for line in %q.split(";"):
    i, j, crc, a = map(int, line.split())
    s = d[i-1:j]
    print(zlib.crc32(s), zlib.crc32(s, crc), zlib.adler32(s), zlib.adler32(s, a),
          zlib.crc32(s.translate(t)), " ".join(str(s.count(n)) for n in ns))
]]):format(p, H.file(t), table.concat((function()
      local hs = {}
      for k, n in ipairs(needles) do hs[k] = (n:gsub(".", function(c) return ("%02x"):format(c:byte()) end)) end
      return hs end)(), ","), table.concat(lines, ";")))
    local k = 0
    for line in out:gmatch("[^\n]+") do
      k = k + 1
      local c = cases[k]
      local i, j = c[1], c[2]
      local want = {}
      for w in line:gmatch("%S+") do want[#want + 1] = tonumber(w) end
      assert.equal(want[1], m:crc32(i, j), "crc32 " .. i .. ".." .. j)
      assert.equal(want[2], m:crc32(i, j, c[3]), "crc32 continued")
      assert.equal(want[3], m:adler32(i, j), "adler32")
      assert.equal(want[4], m:adler32(i, j, c[4]), "adler32 continued")
      -- chained over a split: the same as the whole
      local cut = i + R(0, j - i + 1)
      assert.equal(want[1], m:crc32(cut, j, m:crc32(i, cut - 1)), "crc32 chained")
      assert.equal(want[3], m:adler32(cut, j, m:adler32(i, cut - 1)), "adler32 chained")
      local w = mapbuf.anon(#data)
      w:set(1, m)
      w:translate(t, i, j)
      assert.equal(want[5], w:crc32(i, j), "translate " .. i .. ".." .. j)
      assert.equal(m:sub(1, i - 1), w:sub(1, i - 1), "translate stays in its range")
      assert.equal(m:sub(j + 1), w:sub(j + 1), "translate stays in its range")
      for q, n in ipairs(needles) do
        assert.equal(want[5 + q], m:count(n, i, j), ("count %q in %d..%d"):format(n, i, j))
      end
    end
    assert.equal(#cases, k)
  end)

  it("count follows bytes.count's rules at the edges", function()
    local m = H.mapof("abcabca")
    local out = python([[
s = b"abcabca"
for sub in (b"", b"a", b"bca", b"abca"):
    r = []
    for start in range(-9, 10):
        for end in range(-9, 10):
            r.append(str(s.count(sub, start, end)))
    print(" ".join(r))
]])
    -- Python's start/end (0-based, end exclusive, negative from the end)
    -- as Lua's i/j: i = start + 1 (a negative start as it is), j = end (a
    -- negative end minus one); both sides clip the same way
    local subs = {"", "a", "bca", "abca"}
    local row = 0
    for line in out:gmatch("[^\n]+") do
      row = row + 1
      local want = {}
      for w in line:gmatch("%S+") do want[#want + 1] = tonumber(w) end
      local k = 0
      for start = -9, 9 do
        for stop = -9, 9 do
          k = k + 1
          local i = start >= 0 and start + 1 or start
          local j = stop >= 0 and stop or stop - 1
          assert.equal(want[k], m:count(subs[row], i, j),
                       ("count(%q, %d, %d) as [%d:%d]"):format(subs[row], i, j, start, stop))
        end
      end
    end
    assert.equal(4, row)
  end)

  it("check their arguments", function()
    local m = mapbuf.anon(8)
    assert.has_error(function() m:translate("abc") end,
                     "bad argument #1 to 'translate' (translation table must be 256 bytes)")
    assert.has_error(function() m:crc32(1, -1, -1) end,
                     "bad argument #3 to 'crc32' (value out of range (0..2^32-1))")
    assert.has_error(function() m:adler32(1, -1, 2^32) end,
                     "bad argument #3 to 'adler32' (value out of range (0..2^32-1))")
    local r = assert(mapbuf.open(H.file("abc"), "r"))
    assert.has_error(function() r:translate(("x"):rep(256)) end,
                     "mapbuf: translate: map is read-only")
    assert.equal(0, m:crc32(5, 4))
    assert.equal(1, m:adler32(5, 4))
    assert.equal(0x352441C2, mapbuf.anon(0):crc32(1, -1, 0x352441C2))
  end)
end)

-- ---------------------------------------------------------------- numpy

local ntypes = {
  {"<b", "<i1"}, {"B", "u1"}, {"<h", "<i2"}, {">h", ">i2"}, {"<H", "<u2"},
  {"<i4", "<i4"}, {">i4", ">i4"}, {"<I4", "<u4"}, {"<i8", "<i8"},
  {">I8", ">u8"}, {"<f", "<f4"}, {">d", ">f8"}, {"<d", "<f8"},
}
-- an element's size: the digits of numpy's name (string.packsize is 5.3's)
local function esize(t) return tonumber(t[2]:match("%d+$")) end

describe("arrays beside numpy", function()
  teardown(H.cleanup)

  it("sum, min, max, add, mul, clamp, fill and copy agree, limits and rounding included", function()
    local n = 1000
    local lines, files = {}, {}
    for ti, t in ipairs(ntypes) do
      local size = esize(t)
      local m = mapbuf.anon(n * size)
      local a = m:array(t[1])
      local float = t[1]:match("[fd]$")
      for k = 1, n do
        if float then a[k] = (R() - 0.5) * 1e6 * (R(4) == 1 and 1e-6 or 1)
        else
          local bits = size * 8
          local v = R(0, 9) == 0 and ((R(2) == 1) and -1 or 1) * H.shl(1, bits - 2) * R(1, 3)
                    or R(-1000, 1000)
          if t[1]:match("[BHIL]") or t[1]:match("I%d") then v = math.abs(v) end
          pcall(function() a[k] = v end)
        end
      end
      files[ti] = H.file(m:sub(1))
      local x = float and 0.5 or 3
      local copyof = ntypes[(ti % #ntypes) + 1]
      lines[#lines + 1] = ("%s %s %s %s"):format(files[ti], t[2], copyof[2], copyof[1])
      -- mapbuf's answers, in the same order as the Python below prints
      local out = {}
      local function put(v) out[#out + 1] = v end
      put(a:sum()); put(a:min()); put(a:max())
      local b = mapbuf.anon(n * size):array(t[1]); b:copy(a)
      b:mul(x); put(b:sum())
      b:copy(a); b:mul(0.5); put(b:sum())
      b:copy(a); b:add(-7); put(b:sum())
      b:copy(a); b:clamp(-100, 100); put(b:sum())
      b:copy(a); b:mul(b); put(b:sum())
      local c = mapbuf.anon(n * esize(copyof)):array(copyof[1])
      c:copy(a); put(c:sum())
      t.mine = out
    end
    local out = python(([[
import numpy as np
def rint_sat(v, dt):
    if dt.kind == "f":
        return v.astype(dt)
    info = np.iinfo(dt)
    v = np.rint(v.astype(np.float64)) if v.dtype.kind == "f" else v.astype(object)
    if v.dtype == object:
        v = np.array([min(max(int(e), info.min), info.max) for e in v], dtype=dt)
        return v
    v = np.nan_to_num(v, nan=0.0)
    return np.clip(v, float(info.min), float(info.max)).astype(dt)
def total(a):
    if a.dtype.kind == "f":
        return repr(float(np.sum(a.astype(np.float64))))
    s = sum(int(e) for e in a)
    s = (s + 2**63) %% 2**64 - 2**63
    return str(s)
def show(v):
    if isinstance(v, (float, np.floating)):
        return repr(float(v))
    return str((int(v) + 2**63) %% 2**64 - 2**63)   # 64-bit values as Lua has them
for line in %q.split(";"):
    path, dt, dt2, _ = line.split()
    dt, dt2 = np.dtype(dt), np.dtype(dt2)
    a = np.frombuffer(open(path, "rb").read(), dtype=dt)
    x = 0.5 if dt.kind == "f" else 3
    out = [total(a), show(a.min()), show(a.max())]
    def f32(v):
        return np.float32(v) if dt == np.float32 else v
    if dt.kind == "f":
        out.append(total((a * f32(x)).astype(dt)))
        out.append(total((a * f32(0.5)).astype(dt)))
        out.append(total((a + f32(-7)).astype(dt)))
        out.append(total(np.clip(a, f32(-100), f32(100)).astype(dt)))
        out.append(total((a * a).astype(dt)))
    else:
        ai = a.astype(object)
        out.append(total(rint_sat(ai * x, dt)))
        out.append(total(rint_sat(a.astype(np.float64) * 0.5, dt)))
        out.append(total(rint_sat(ai - 7, dt)))
        out.append(total(rint_sat(np.clip(ai, -100, 100), dt)))
        out.append(total(rint_sat(ai * ai, dt)))
    if dt2.kind == "f":
        out.append(total(a.astype(dt2)))
    else:
        out.append(total(rint_sat(a.astype(np.float64) if dt.kind == "f" else a.astype(object), dt2)))
    print(" ".join(out))
]]):format(table.concat(lines, ";")))
    local ti = 0
    for line in out:gmatch("[^\n]+") do
      ti = ti + 1
      local t, k = ntypes[ti], 0
      for w in line:gmatch("%S+") do
        k = k + 1
        local want, got = tonumber(w), t.mine[k]
        -- a float result: Python's repr of a float has a point, an
        -- exponent, inf or nan (5.1 and 5.2 cannot tell by the value)
        if H.numtype(want) == "float" or H.numtype(got) == "float" or w:find("[.eEna]") then
          assert.is_true(math.abs(want - got) <= 1e-6 * (1 + math.abs(want)),
                         ("%s result %d: numpy %s, mapbuf %s"):format(t[1], k, w, tostring(got)))
        else
          assert.equal(want, got, ("%s result %d"):format(t[1], k))
        end
      end
      assert.equal(#t.mine, k, t[1])
    end
    assert.equal(#ntypes, ti)
  end)
end)
