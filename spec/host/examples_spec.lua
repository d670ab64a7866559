-- Every script in examples/, run through the real executable on fixtures
-- made here (by Python, which also computes what the result must be).
local H = require "spec.helper"

local EX = H.src .. "/examples/"

local mb = H.mapbuf

-- Run Python code with the path p (and more words) as sys.argv[1..];
-- returns its stdout.
local function py(code, p, ...)
  local f = H.file("import sys, struct, zlib, random\n" .. code, ".py")
  local words = {}
  for i, w in ipairs {p or "", ...} do words[i] = H.q(w) end
  local out, status = H.run("python3 " .. H.q(f) .. " " .. table.concat(words, " "))
  assert(status == 0, "python failed")
  return out
end

local function have(cmd)
  return select(2, H.run("command -v " .. cmd .. " >/dev/null 2>&1")) == 0
end

describe("examples", function()
  teardown(H.cleanup)

  describe("png-chunks.lua", function()
    local PNG = [[
def chunk(kind, data, crc=None):
    body = kind + data
    c = zlib.crc32(body) if crc is None else crc
    return struct.pack(">I", len(data)) + body + struct.pack(">I", c)
]]
    -- The listing Python expects for a PNG file.
    local LIST = [[
d = open(sys.argv[1], "rb").read()
print(sys.argv[1]); print("  offset   length  type  crc")
pos, n = 8, 0
while pos < len(d):
    ln, = struct.unpack(">I", d[pos:pos+4]); kind = d[pos+4:pos+8]
    ok = struct.unpack(">I", d[pos+8+ln:pos+12+ln])[0] == zlib.crc32(d[pos+4:pos+8+ln])
    print("%8d %8d  %s  %s" % (pos, ln, kind.decode(), "ok" if ok else "BAD"))
    n += 1; pos += 12 + ln
    if kind == b"IEND": break
]]

    it("lists the bundled sample and finds every CRC good", function()
      local sample = EX .. "data/sample.png"
      local out, code = mb {EX .. "png-chunks.lua", sample}
      assert.equal(0, code)
      local want = py(LIST, sample)
      -- the example adds a description after some chunks and a summary
      local got = out:gsub("  ok   [^\n]*", "  ok"):gsub("[^\n]*\n$", "")
      assert.equal(want, got)
      assert.matches("\n4 chunks, all CRCs ok\n$", out)
      assert.truthy(out:find("IHDR  ok   24 x 24, 8-bit RGB", 1, true))
    end)

    it("reports a bad CRC with both values and exits 1", function()
      local f = H.tmpname(".png")
      py(PNG .. [[
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 1, 8, 3, 0, 0, 0))
png += chunk(b"PLTE", bytes(range(6)))
png += chunk(b"IDAT", zlib.compress(b"\0\0\1"), crc=0xDEADBEEF)
png += chunk(b"IEND", b"")
open(sys.argv[1], "wb").write(png)
]], f)
      local good = tonumber(py([[
d = open(sys.argv[1], "rb").read(); i = d.index(b"IDAT")
n, = struct.unpack(">I", d[i-4:i]); print(zlib.crc32(d[i:i+4+n]))
]], f))
      local out, code = mb {EX .. "png-chunks.lua", f}
      assert.equal(1, code)
      assert.truthy(out:find(("IDAT  BAD (stored deadbeef, computed %08x)"):format(good),
                             1, true), out)
      assert.truthy(out:find("PLTE  ok   2 colors", 1, true), out)
      assert.truthy(out:find("2 x 1, 8-bit palette", 1, true), out)
      assert.matches("4 chunks, 1 bad CRC\n$", out)
    end)

    it("a chunk running past the end, or not a PNG: status 1", function()
      local f = H.tmpname(".png")
      py(PNG .. [[
open(sys.argv[1], "wb").write((b"\x89PNG\r\n\x1a\n" + chunk(b"IDAT", b"x" * 100))[:60])
]], f)
      local out, code = mb {EX .. "png-chunks.lua", f}
      assert.equal(1, code)
      assert.truthy(out:find("truncated", 1, true))
      local _, code2, err = mb {EX .. "png-chunks.lua", H.file("GIF89a")}
      assert.equal(1, code2)
      assert.matches("not a PNG file", err)
    end)
  end)

  describe("wav-gain.lua", function()
    local MAKE = [[
import wave
random.seed(7)
s = [0, 1, -1, 2, -2, 32767, -32768, 16384, -16384, 3, -3] + \
    [random.randint(-32768, 32767) for _ in range(1001)]
w = wave.open(sys.argv[1], "wb"); w.setnchannels(2); w.setsampwidth(2)
w.setframerate(22050); w.writeframes(struct.pack("<%dh" % len(s), *s)); w.close()
]]
    -- The samples Python expects after a gain g, and how many clip.
    local function samples(path)
      return py([[
import wave
w = wave.open(sys.argv[1], "rb"); d = w.readframes(w.getnframes())
print(",".join(str(v) for v in struct.unpack("<%dh" % (len(d) // 2), d)))
]], path)
    end
    -- rounding half to even, as numpy's rint
    local function rint(x)
      local f = math.floor(x)
      local d = x - f
      if d > 0.5 or (d == 0.5 and f % 2 == 1) then f = f + 1 end
      return f
    end
    local function expect(before, g)
      local out, peak0, peak1 = {}, 0, 0
      for v in before:gmatch("-?%d+") do
        local s = rint(tonumber(v) * g)
        if s > 32767 then s = 32767 elseif s < -32768 then s = -32768 end
        peak0 = math.max(peak0, math.abs(tonumber(v)))
        peak1 = math.max(peak1, math.abs(s))
        -- as an integer: a float -0 (a negative sample times 0 where
        -- numbers are doubles) is the sample 0 too
        out[#out + 1] = ("%d"):format(s)
      end
      return table.concat(out, ",") .. "\n", peak0, peak1
    end

    -- the gain as written, as a factor, and in dB as the example prints it
    for _, g in ipairs {{"1.5", 1.5, "+3.52"}, {"0.5", 0.5, "-6.02"},
                        {"-6dB", 10 ^ (-6 / 20), "-6.00"},
                        {"+3.5dB", 10 ^ (3.5 / 20), "+3.50"}, {"0", 0, "-inf"}} do
      it("gain " .. g[1] .. ", with clipping, header untouched", function()
        local f = H.tmpname(".wav")
        py(MAKE, f)
        local before, header = samples(f), H.readfile(f):sub(1, 44)
        local want, peak0, peak1 = expect(before, g[2])
        local out, code, err = mb {"-w", EX .. "wav-gain.lua", f, "--", g[1]}
        assert.equal(0, code, err)
        assert.equal(want, samples(f))
        assert.equal(header, H.readfile(f):sub(1, 44))
        assert.matches(("^[^\n]+: 16%%-bit PCM, 2 channels, 22050 Hz, 1012 samples; "
                        .. "gain [^ ]+ %%(%s dB%%), peak %d %%-> %d%s\n$"):format(
                        H.plain(g[3]), peak0, peak1,
                        peak0 * g[2] > 32767.5 and ", clipped" or ""), out)
      end)
    end

    it("refuses a read-only map, 8-bit audio and a bad gain (status 1)",
       function()
      local f = H.tmpname(".wav")
      py(MAKE, f)
      local before = H.readfile(f)
      local _, code, err = mb {EX .. "wav-gain.lua", f, "--", "2"}
      assert.equal(1, code)
      assert.matches("map the files writable", err)
      _, code, err = mb {"-w", EX .. "wav-gain.lua", f, "--", "loud"}
      assert.equal(1, code)
      assert.matches("bad gain 'loud'", err)
      assert.equal(before, H.readfile(f))
      local g = H.tmpname(".wav")
      py([[
import wave
w = wave.open(sys.argv[1], "wb"); w.setnchannels(1); w.setsampwidth(1)
w.setframerate(8000); w.writeframes(b"\x80\x90"); w.close()
]], g)
      _, code, err = mb {"-w", EX .. "wav-gain.lua", g, "--", "2"}
      assert.equal(1, code)
      assert.matches("only 16%-bit PCM is handled %(format 1, 8 bits%)", err)
    end)
  end)

  describe("elf-header.lua", function()
    local function compare(path)
      local out, code, err = mb {EX .. "elf-header.lua", path}
      assert.equal(0, code, err)
      local want = H.run("readelf -h " .. H.q(path) .. " 2>/dev/null")
      assert.equal(want, out)
    end

    it("prints the header of build/mapbuf itself as readelf -h does", function()
      if not have("readelf") then return pending("no readelf") end
      compare(H.bin)
      local out = mb {EX .. "elf-header.lua", H.bin}
      assert.matches("Type:%s+DYN %(Position%-Independent Executable file%)", out)
    end)

    it("a shared object and a big-endian ELF32 agree with readelf -h too",
       function()
      if not have("readelf") then return pending("no readelf") end
      local so = H.run("ls /usr/lib/x86_64-linux-gnu/liblua5.4.so.0 /usr/lib/*/liblua5.4.so.0 2>/dev/null")
        :match("[^\n]+")
      if so then compare(so) end
      local f = H.tmpname(".elf")
      py([[
ident = b"\x7fELF" + bytes([1, 2, 1, 3, 0]) + bytes(7)
hdr = ident + struct.pack(">HHIIIIIHHHHHH", 2, 8, 1, 0x400120, 52, 0, 0, 52, 32, 0, 40, 0, 0)
open(sys.argv[1], "wb").write(hdr + bytes(64))
]], f)
      compare(f)
    end)

    it("a file that is not ELF: status 1", function()
      local _, code, err = mb {EX .. "elf-header.lua", H.file("#!/bin/sh\n")}
      assert.equal(1, code)
      assert.matches("not an ELF file", err)
    end)
  end)

  describe("bmp-invert.lua", function()
    -- Make a BMP: width, height (negative: top-down), bits; pixels and the
    -- row padding set to known bytes.  Prints the expected file after
    -- inversion as hex.
    local MAKE = [[
w, h, bits = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rows = abs(h); stride = (w * bits + 31) // 32 * 4
pal = bytes(i % 251 for i in range(4 * (1 << bits))) if bits <= 8 else b""
px = bytearray(); want = bytearray()
for y in range(rows):
    if bits <= 8:
        row = bytes((x * 3 + y) % (1 << bits) for x in range((w * bits + 7) // 8))
        wrow = row
    else:
        bpp = bits // 8
        row = bytes((x * 40 + y * 7 + c * 11) % 256 for x in range(w) for c in range(bpp))
        wrow = bytes(b if (i % bpp) == 3 else 255 - b for i, b in enumerate(row))
    pad = b"\xAA" * (stride - len(row))
    px += row + pad; want += wrow + pad
off = 54 + len(pal)
def header(pal):
    return struct.pack("<2sIHHI", b"BM", off + len(px), 0, 0, off) + \
        struct.pack("<IiiHHIIiiII", 40, w, h, 1, bits, 0, len(px), 2835, 2835, 0, 0) + pal
open(sys.argv[1], "wb").write(header(pal) + px)
wpal = bytes(b if i % 4 == 3 else 255 - b for i, b in enumerate(pal))
print((header(wpal) + (bytes(px) if bits <= 8 else bytes(want))).hex())
]]
    local function hex(s) return (s:gsub(".", function(c) return ("%02x"):format(c:byte()) end)) end

    for _, c in ipairs {{5, 3, 24}, {4, -2, 24}, {3, 2, 32}, {7, 5, 8}, {9, 2, 1}} do
      it(("%dx%d, %d-bit"):format(c[1], c[2], c[3]), function()
        local f = H.tmpname(".bmp")
        local want = py(MAKE, f, c[1], c[2], c[3])
        local out, code, err = mb {"-w", EX .. "bmp-invert.lua", f}
        assert.equal(0, code, err)
        assert.equal(want, hex(H.readfile(f)) .. "\n")
        assert.matches(("%dx%d, %d%%-bit: %d "):format(c[1], math.abs(c[2]), c[3],
          c[3] <= 8 and H.shl(1, c[3]) or c[1] * math.abs(c[2])), out)
      end)
    end

    it("twice gives back the image; read-only and non-BMP refused", function()
      local f = H.tmpname(".bmp")
      py(MAKE, f, 6, 4, 24)
      local before = H.readfile(f)
      mb {"-w", EX .. "bmp-invert.lua", f}
      assert.not_equal(before, H.readfile(f))
      mb {"-w", EX .. "bmp-invert.lua", f}
      assert.equal(before, H.readfile(f))
      local _, code, err = mb {EX .. "bmp-invert.lua", f}
      assert.equal(1, code)
      assert.matches("map the files writable", err)
      _, code, err = mb {"-w", EX .. "bmp-invert.lua", H.file(("x"):rep(60))}
      assert.equal(1, code)
      assert.matches("not a BMP file", err)
    end)
  end)

  describe("hexdump.lua", function()   -- hexdump: bsdextrautils
    local function same(path)
      local out, code, err = mb {EX .. "hexdump.lua", path}
      assert.equal(0, code, err)
      local want = H.run("hexdump -C " .. H.q(path))
      assert.equal(want, out)
    end

    it("matches hexdump -C for every length from 0 to 40", function()
      local s = {}
      for i = 1, 40 do s[i] = string.char((i * 37 + 11) % 256) end
      s = table.concat(s)
      for n = 0, 40 do same(H.file(s:sub(1, n))) end
    end)

    it("folds repeated lines into '*' as hexdump -C does", function()
      local z = ("\0"):rep(16)
      for _, s in ipairs {
        z:rep(4),                          -- a run to the end
        z:rep(4) .. "ab",                  -- a run, then a short line
        z:rep(2) .. "\0\0\0",              -- a short line equal in part
        "x" .. z:rep(3) .. "y",            -- shifted: nothing folds
        z .. ("A"):rep(16):rep(3) .. z:rep(2) .. "tail",
        ("\255"):rep(16 * 100),
      } do same(H.file(s)) end
    end)

    it("matches on random data, the bundled sample and the executable",
       function()
      local f = H.tmpname()
      py([[random.seed(3); open(sys.argv[1], "wb").write(bytes(random.randrange(256) for _ in range(5000)))]], f)
      same(f)
      same(EX .. "data/sample.png")
      same(H.bin)
    end)
  end)

  describe("replace.lua", function()
    local function pyreplace(path, from, to)
      return py(([[
d = open(sys.argv[1], "rb").read()
print(d.count(%s), d.replace(%s, %s).hex())
]]):format(from, from, to), path)
    end
    local function hex(s) return (s:gsub(".", function(c) return ("%02x"):format(c:byte()) end)) end

    local cases = {
      {"aa", "bb", "b'aa'", "b'bb'", "aaa xaax aa"},
      {"\\0\\xff", "ZZ", "b'\\x00\\xff'", "b'ZZ'", "\0\255\0\255\255\0\0\255"},
      {"\\\\n", "\\n\\t", "b'\\\\n'", "b'\\n\\t'", "a\\nb\\n\\\\n"},
      {"needle", "NEEDLE", "b'needle'", "b'NEEDLE'", ("hay"):rep(3000) .. "needle"},
      {"abc", "xyz", "b'abc'", "b'xyz'", "nothing here"},
    }
    for _, c in ipairs(cases) do
      it(("%s -> %s as bytes.replace"):format(c[1], c[2]), function()
        local f = H.file(c[5])
        local count, want = pyreplace(f, c[3], c[4]):match("^(%d+) (%x*)\n$")
        local out, code, err = mb {"-w", EX .. "replace.lua", f, "--", c[1], c[2]}
        assert.equal(0, code, err)
        assert.equal(f .. ": " .. count .. " replaced\n", out)
        assert.equal(want, hex(H.readfile(f)))
      end)
    end

    it("on random data with planted needles, over several files", function()
      local a, b = H.tmpname(), H.tmpname()
      py([[
random.seed(5)
for p in sys.argv[1].split("|"):
    d = bytearray(random.randrange(256) for _ in range(20000))
    for i in random.sample(range(0, 19990), 40): d[i:i+3] = b"\x01\x02\x01"
    open(p, "wb").write(d)
]], a .. "|" .. b)
      local wa = pyreplace(a, "b'\\x01\\x02\\x01'", "b'\\xfe\\xfe\\xfe'")
      local wb = pyreplace(b, "b'\\x01\\x02\\x01'", "b'\\xfe\\xfe\\xfe'")
      local out, code = mb {"-w", EX .. "replace.lua", a, b, "--", "\\x01\\x02\\x01", "\\xfe\\xfe\\xfe"}
      assert.equal(0, code)
      local ca, ha = wa:match("^(%d+) (%x*)")
      local cb, hb = wb:match("^(%d+) (%x*)")
      assert.equal(("%s: %s replaced\n%s: %s replaced\n"):format(a, ca, b, cb), out)
      assert.equal(ha, hex(H.readfile(a)))
      assert.equal(hb, hex(H.readfile(b)))
    end)

    it("without -w only counts, writing nothing", function()
      local f = H.file("xx yy xx")
      local out, code = mb {EX .. "replace.lua", f, "--", "xx", "zz"}
      assert.equal(0, code)
      assert.equal(f .. ": 2 found (map with -w to replace)\n", out)
      assert.equal("xx yy xx", H.readfile(f))
    end)

    it("different lengths, bad escapes, missing words: status 1", function()
      local f = H.file("abc")
      for _, words in ipairs {{"ab", "c"}, {"\\q", "x"}, {"\\x4", "xx"}, {"a"}, {"", ""}} do
        local w = {"-w", EX .. "replace.lua", f, "--"}
        for _, x in ipairs(words) do w[#w + 1] = x end
        local out, code, err = mb(w)
        assert.equal(1, code, table.concat(words, " "))
        assert.equal("", out)
        assert.matches("^mapbuf: ", err)
      end
      assert.equal("abc", H.readfile(f))
    end)
  end)

  describe("the transforms (pcm-normalize, be-to-le, xor-region, zip-crc)", function()
    it("pcm-normalize scales to the peak as numpy's rint would", function()
      local f = H.tmpname(".raw")
      py([[
random.seed(3)
s = [random.randint(-12000, 9000) for _ in range(5000)] + [-12345, 3]
open(sys.argv[1], "wb").write(struct.pack("<%dh" % len(s), *s))
]], f)
      local want = py([[
s = struct.unpack("<%dh" % (len(open(sys.argv[1], "rb").read()) // 2), open(sys.argv[1], "rb").read())
peak = max(abs(v) for v in s)
g = 30000 / peak
print(",".join(str(max(-32768, min(32767, round(v * g)))) for v in s))
]], f)
      local out, code, err = mb {"-w", EX .. "pcm-normalize.lua", f, "--", "30000"}
      assert.equal(0, code, err)
      assert.matches("5002 samples, peak 12345 %-> 30000", out)
      local got = py([[
d = open(sys.argv[1], "rb").read()
print(",".join(str(v) for v in struct.unpack("<%dh" % (len(d) // 2), d)))
]], f)
      assert.equal(want, got)
    end)

    it("be-to-le swaps every element, and twice gives back the file", function()
      for _, t in ipairs {{"i2", ">%dh", "<%dh", 14}, {"i4", ">%di", "<%di", 30},
                          {"d", ">%dd", "<%dd", 50}} do
        local f = H.tmpname(".raw")
        py(([[
random.seed(5)
v = [random.randint(-2**%d, 2**%d) for _ in range(333)]
open(sys.argv[1], "wb").write(struct.pack("%s" %% len(v), *v))
]]):format(t[4], t[4], t[2]), f)
        local before = H.readfile(f)
        local out, code, err = mb {"-w", EX .. "be-to-le.lua", f, "--", t[1]}
        assert.equal(0, code, err)
        assert.matches("333 " .. t[1] .. " swapped", out)
        local same = py(([[
a = open(sys.argv[1], "rb").read(); b = open(sys.argv[2], "rb").read()
n = len(a) // struct.calcsize("%s" %% 1)
print(struct.unpack("%s" %% n, a) == struct.unpack("%s" %% n, b))
]]):format(t[3], t[3], t[2]), f, H.file(before))
        assert.equal("True\n", same)
        mb {"-w", EX .. "be-to-le.lua", f, "--", t[1]}
        assert.equal(before, H.readfile(f))
      end
      local _, code, err = mb {"-w", EX .. "be-to-le.lua", H.file("abc"), "--", "i2"}
      assert.equal(1, code)
      assert.matches("no whole number", err)
    end)

    it("xor-region XORs exactly the range, as bytes.translate would", function()
      local data = {}
      for i = 1, 3000 do data[i] = string.char((i * 131) % 256) end
      data = table.concat(data)
      local f = H.file(data)
      local out, code, err = mb {"-w", EX .. "xor-region.lua", f, "--", "0x5A", "100", "-100"}
      assert.equal(0, code, err)
      assert.matches("bytes 100..%-100 XOR 0x5A", out)
      local want = py([[
d = open(sys.argv[1], "rb").read()
t = bytes(b ^ 0x5A for b in range(256))
sys.stdout.buffer.write(d[:99] + d[99:-99].translate(t) + d[-99:])
]], H.file(data))
      assert.equal(want, H.readfile(f))
    end)

    it("zip-crc checks every stored entry and names a bad one", function()
      local f = H.tmpname(".zip")
      py([[
import zipfile
z = zipfile.ZipFile(sys.argv[1], "w")
z.writestr(zipfile.ZipInfo("a.txt"), b"hello, stored")
z.writestr("b.txt", b"x" * 1000, compress_type=zipfile.ZIP_DEFLATED)
z.writestr(zipfile.ZipInfo("c.bin"), bytes(range(256)) * 40)
z.close()
]], f)
      local out, code, err = mb {EX .. "zip-crc.lua", f}
      assert.equal(0, code, err)
      assert.matches("3 entries, 2 stored, all stored CRCs ok", out)
      assert.matches("b%.txt%s+method 8, not checked", out)
      -- spoil one byte of c.bin's data: its CRC no longer matches
      local z = H.readfile(f)
      local at = z:find(string.char(0, 1, 2, 3, 4, 5), 1, true) + 100
      H.writefile(f, z:sub(1, at - 1) .. "!" .. z:sub(at + 1))
      out, code = mb {EX .. "zip-crc.lua", f}
      assert.equal(1, code)
      assert.matches("c%.bin%s+BAD %(stored %x+, computed %x+%)", out)
      _, code, err = mb {EX .. "zip-crc.lua", H.file("not a zip")}
      assert.equal(1, code)
      assert.matches("not a zip file", err)
    end)
  end)
end)
