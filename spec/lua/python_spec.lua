-- spec/lua/python_spec.lua: what Python's own mmap tests (Lib/test/
-- test_mmap.py) check, said again for mapbuf in our own words with
-- positions shifted to 1-based; and, where the two agree on semantics, the
-- same operations run side by side on python3's mmap and compared.
local mapbuf = require "mapbuf"
local H = require "spec.helper"

local PS = mapbuf.PAGESIZE
local seed = tonumber(os.getenv("SEED")) or os.time()
math.randomseed(seed)
local R = math.random

local function hex(s)
  return (s:gsub(".", function(c) return ("%02x"):format(c:byte()) end))
end

-- Run Python code with the mmap module and a file path; returns its lines.
local function py(code)
  local out, status = H.python("import mmap, os, sys\n" .. code)
  assert(status == 0, "python failed:\n" .. code)
  local t = {}
  for l in out:gmatch("([^\n]*)\n") do t[#t + 1] = l end
  return t
end

describe("Python's mmap tests, for mapbuf", function()
  teardown(H.cleanup)

  it("basic: a two-page file with 'foo' at the start of the second page", function()
    local s = string.rep("\0", PS) .. "foo" .. string.rep("\0", PS - 3)
    local p = H.file(s)
    local m = assert(mapbuf.open(p, "r+"))
    assert.equals(2 * PS, #m)
    assert.equals(0, m[1])
    assert.equals("\0\0\0", m:sub(1, 3))
    assert.is_nil(m[#m + 1])
    assert.has_error(function() m[#m + 1] = 0 end)
    m[1] = string.byte("3")
    m:set(PS + 4, "bar")
    assert.equals(string.byte("3"), m[1])
    assert.equals("3\0\0\0", m:sub(1, 4))
    assert.equals("foobar", m:sub(PS + 1, PS + 6))
    assert.is_true(m:flush())
    if m.find then
      assert.same({PS + 1, PS + 6}, {m:find("[A-Za-z]+")})
      assert.equals(PS + 1, (m:find("foo", 1, true)))
    end
    -- seeking around, and out
    assert.equals(0, m:seek("set", 0))
    assert.equals(42, m:seek("cur", 42))
    assert.equals(#m, m:seek("end", 0))
    assert.has_error(function() m:seek("set", -1) end)
    assert.has_error(function() m:seek("end", 1) end)
    assert.has_error(function() m:seek("end", -#m - 1) end)
    -- resize, and the file follows
    m:resize(512)
    assert.equals(512, #m)
    assert.has_error(function() m:seek("set", 513) end)
    assert.equals(512, #H.readfile(p))
    assert.equals(512, m:size())
    m:close()
    assert.equals("3\0\0\0", H.readfile(p):sub(1, 4))
  end)

  it("access: read refuses every write, write reaches the file, copy does not", function()
    local size = 10
    local p = H.file(string.rep("a", size))
    local f = assert(io.open(p, "r+b"))
    local r = assert(mapbuf.map(f, size, {access = mapbuf.ACCESS_READ}))
    assert.equals(string.rep("a", size), r:read("a"))
    assert.has_error(function() r:set(1, string.rep("b", size)) end)
    assert.has_error(function() r[1] = 98 end)
    r:seek("set", 0)
    assert.has_error(function() r:write("abc") end)
    assert.has_error(function() r:write_byte(100) end)
    assert.has_error(function() r:resize(2 * size) end)
    assert.has_error(function() r:fill(0) end)
    assert.has_error(function() r:move(1, 2, 1) end)
    r:close()
    assert.equals(string.rep("a", size), H.readfile(p))

    local w = assert(mapbuf.map(f, size, {access = mapbuf.ACCESS_WRITE}))
    w:set(1, string.rep("c", size))
    assert.is_true(w:flush())
    w:close()
    assert.equals(string.rep("c", size), H.readfile(p))

    local c = assert(mapbuf.map(f, size, {access = mapbuf.ACCESS_COPY}))
    c:set(1, string.rep("d", size))
    assert.equals(string.rep("d", size), c:sub(1))
    assert.is_true(c:flush())
    assert.equals(string.rep("c", size), H.readfile(p))
    assert.has_error(function() c:resize(2 * size) end)
    c:close()

    assert.has_error(function() mapbuf.map(f, size, {access = 4}) end)
    assert.has_error(function()
      mapbuf.map(f, size, {access = mapbuf.ACCESS_READ, prot = mapbuf.PROT_READ})
    end)
    local ro = assert(mapbuf.map(f, size, {flags = mapbuf.MAP_PRIVATE, prot = mapbuf.PROT_READ}))
    assert.has_error(function() ro:write("foo") end)
    f:close()
  end)

  it("a bad descriptor is refused", function()
    assert.has_error(function() mapbuf.map(-2, PS) end)
    local m, _, e = mapbuf.map(12345, PS)
    assert.is_nil(m); assert.equals(9, e)
  end)

  it("double close, and use after close", function()
    local m = assert(mapbuf.open(H.file("aaaa"), "r+"))
    m:close(); m:close()
    assert.is_true(m:closed())
    for _, f in ipairs{function() return m:read(1) end, function() return m:write("x") end,
                       function() return m[1] end, function() return m:seek("set") end,
                       function() return m:sub(1) end, function() return #m end} do
      assert.has_error(f, "mapbuf: map is closed")
    end
  end)

  it("length 0 maps the entire file; an empty file cannot be mapped that way", function()
    local p = H.file(string.rep("m", 2 * PS))
    local f = assert(io.open(p, "rb"))
    local m = assert(mapbuf.map(f, 0, {access = "read"}))
    assert.equals(2 * PS, #m)
    assert.equals(string.rep("m", 2 * PS), m:read("a"))
    local e = assert(io.open(H.file(""), "rb"))
    assert.has_error(function() mapbuf.map(e, 0) end, "mapbuf: map: cannot map an empty file")
    assert.has_error(function() mapbuf.map(e, 0, {access = "read"}) end)
  end)

  it("an offset beyond the file is refused, with length 0 too", function()
    local f = assert(io.open(H.file(string.rep("x", PS)), "r+b"))
    assert.has_error(function() mapbuf.map(f, 0, {offset = 2 * PS}) end)
    assert.has_error(function() mapbuf.map(f, 0, {offset = PS}) end)   -- nothing left
    assert.has_error(function() mapbuf.map(f, 0, {offset = 2^62}) end)
  end)

  it("offset: the window reads and writes the right bytes; resize keeps it", function()
    local p = H.file(string.rep("\0", PS) .. "foo" .. string.rep("\0", PS - 3))
    local f = assert(io.open(p, "r+b"))
    assert.has_error(function() mapbuf.map(f, PS, {offset = -PS}) end)
    local m = assert(mapbuf.map(f, PS, {offset = PS}))
    assert.equals("foo", m:sub(1, 3))
    m:set(1, "bar")
    m:resize(2 * PS)
    assert.equals(2 * PS, #m)
    assert.equals(3 * PS, #H.readfile(p))
    m:close(); f:close()
    assert.equals("bar", H.readfile(p):sub(PS + 1, PS + 3))
  end)

  it("anonymous memory holds what is stored", function()
    local m = assert(mapbuf.map(-1, PS))
    for i = 1, PS do assert.equals(0, m[i]) end
    for i = 1, PS do m[i] = (i - 1) % 256 end
    for i = 1, PS do assert.equals((i - 1) % 256, m[i]) end
  end)

  it("non-ASCII bytes go through write_byte and read_byte", function()
    for _, b in ipairs{129, 200, 255} do
      local m = assert(mapbuf.map(-1, 1))
      m:write_byte(b)
      assert.equals(b, m[1])
      m:seek("set", 0)
      assert.equals(b, m:read_byte())
    end
  end)

  it("read with no count, with -1 and with a huge count reads the rest", function()
    local m = assert(mapbuf.anon(16))
    m:set(1, "0123456789ABCDEF")
    m:seek("set", 10)
    assert.equals("ABCDEF", m:read("a"))
    m:seek("set", 10)
    assert.equals("ABCDEF", m:read(-1))
    m:seek("set", 10)
    assert.equals("ABCDEF", m:read(H.maxint))
    assert.has_error(function() m:read({}) end)
    assert.has_error(function() m:read(1.5) end)
  end)

  it("io methods: write_byte, read_byte, write, read, readline, at the end", function()
    local data = "0123456789"
    local m = assert(mapbuf.map(-1, #data))
    for i = 1, #data do m:write_byte(data:byte(i)) end
    assert.has_error(function() m:write_byte(0) end)
    assert.equals(data, m:sub(1))
    m:seek("set", 0)
    for i = 1, #data do assert.equals(data:byte(i), m:read_byte()) end
    assert.is_nil(m:read_byte())   -- Python raises here
    m:seek("set", 8)
    assert.has_error(function() m:write("345") end)
    m:seek("set", 0)
    m:write("xyz\nabc")
    assert.equals(7, m:tell())
    m:seek("set", 0)
    assert.equals("xyz\n", m:readline())
    assert.equals("abc789", m:readline())
    assert.equals("", m:readline())
  end)

  it("resize below the cursor: reads find nothing, writes raise", function()
    local m = assert(mapbuf.anon(8192, {private = true}))
    m:read(5000)
    m:resize(4096)
    assert.equals(5000, m:tell())
    assert.is_nil(m:read(14))
    assert.equals("", m:read("a"))
    assert.is_nil(m:read_byte())
    assert.has_error(function() m:write_byte(42) end)
    assert.has_error(function() m:write("abc") end)
  end)

  it("madvise checks its start and length and clips the rest", function()
    local size = 2 * PS
    local m = assert(mapbuf.anon(size))
    assert.has_error(function() m:madvise(mapbuf.MADV_NORMAL, size + 1) end)
    assert.has_error(function() m:madvise(mapbuf.MADV_NORMAL, 1, -1) end)
    assert.is_true(m:madvise(mapbuf.MADV_NORMAL, PS + 1, H.maxint))
    assert.is_true(m:madvise(mapbuf.MADV_NORMAL))
    assert.is_true(m:madvise(mapbuf.MADV_NORMAL, PS + 1))
    assert.is_true(m:madvise(mapbuf.MADV_NORMAL, PS + 1, size))
    assert.is_true(m:madvise(mapbuf.MADV_NORMAL, 1, 2))
    assert.is_true(m:madvise(mapbuf.MADV_NORMAL, 1, size))
  end)

  it("flush returns true, for any range inside the map", function()
    local m = assert(mapbuf.open(H.file("python"), "r+"))
    assert.is_true(m:flush())
    assert.is_true(m:flush(1, 6))
    -- Python passes an unaligned start to msync and gets EINVAL; mapbuf
    -- widens the range to whole pages, so this works too
    assert.is_true(m:flush(2, 5))
  end)
end)

describe("side by side with python3's mmap", function()
  teardown(H.cleanup)

  it("move agrees for every dest, src and count over ten bytes", function()
    local lines = py([[
data = b"0123456789"
for d in range(11):
    for s in range(11):
        for n in range(11):
            m = mmap.mmap(-1, 10)
            m[:] = data
            try:
                m.move(d, s, n)
                print(m[:].decode())
            except ValueError:
                print("ERR")
]])
    local k = 0
    for d = 0, 10 do
      for s = 0, 10 do
        for n = 0, 10 do
          k = k + 1
          local m = assert(mapbuf.anon(10))
          m:set(1, "0123456789")
          local ok = pcall(m.move, m, d + 1, s + 1, n)
          assert.equals(lines[k], ok and m:sub(1) or "ERR", ("move(%d, %d, %d)"):format(d, s, n))
        end
      end
    end
    assert.equals(11 * 11 * 11, k)
  end)

  it("find and rfind agree on random data and needles", function()
    local m0 = mapbuf.anon(1)
    local data = {}
    for i = 1, 2000 do data[i] = string.char(R(97, 100)) end
    data = table.concat(data)
    local p = H.file(data)
    local needles = {}
    for k = 1, 60 do
      local a = R(1, #data)
      needles[k] = data:sub(a, a + R(0, 6))
      if k % 5 == 0 then needles[k] = needles[k] .. "zz" end   -- absent
    end
    local starts, bounds = {}, {}
    -- negative starts count from the end in both (Python's like slices,
    -- Lua's like string.find), so only non-negative ones shift by one
    for k = 1, 60 do starts[k] = R(-#data - 5, #data + 2) end
    local code = {"f = open(" .. ("%q"):format(p) .. ", 'rb')",
                  "m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)"}
    for k = 1, 60 do
      local a = R(0, #data)
      bounds[k] = {a, R(a, #data)}
      code[#code + 1] = ("n = bytes.fromhex('%s'); print(m.find(n), m.find(n, %d), m.rfind(n), m.rfind(n, %d, %d))")
        :format(hex(needles[k]), starts[k], bounds[k][1], bounds[k][2])
    end
    local lines = py(table.concat(code, "\n"))
    local m = assert(mapbuf.open(p))
    for k = 1, 60 do
      local n = needles[k]
      local f1 = m:find(n, 1, true)
      local f2 = m:find(n, starts[k] >= 0 and starts[k] + 1 or starts[k], true)
      local r1 = m:rfind(n)
      local r2 = m:rfind(n, bounds[k][1] + 1, bounds[k][2])
      local got = ("%d %d %d %d"):format(f1 and f1 - 1 or -1, f2 and f2 - 1 or -1,
                                         r1 and r1 - 1 or -1, r2 and r2 - 1 or -1)
      assert.equals(lines[k], got, n)
    end
  end)

  it("a random run of stream and slice operations agrees (seed " .. seed .. ")", function()
    for _ = 1, 20 do
      local size = R(1, 40)
      local init = {}
      for i = 1, size do init[i] = string.char(R(0, 3) == 0 and 10 or R(97, 122)) end
      init = table.concat(init)
      local m = assert(mapbuf.anon(size))
      m:set(1, init)
      local code = {("m = mmap.mmap(-1, %d)"):format(size),
                    ("m[:] = bytes.fromhex('%s')"):format(hex(init)),
                    "def run(f):",
                    "    try:",
                    "        r = f()",
                    "        if isinstance(r, bytes): r = r.hex()",
                    "        print('ok', '' if r is None else r, m.tell())",
                    "    except (ValueError, IndexError):",
                    "        print('err', m.tell())"}
      local want = {}
      local function op(pyexpr, fn, shape)
        code[#code + 1] = "run(lambda: " .. pyexpr .. ")"
        local ok, r = pcall(fn)
        if not ok then want[#want + 1] = "err " .. m:tell(); return end
        want[#want + 1] = "ok " .. shape(r) .. " " .. m:tell()
      end
      local none = function() return "" end
      local bytes = function(r) return hex(r or "") end
      for _ = 1, 30 do
        local c = R(9)
        if c == 1 then
          local pos, w = R(-2, size + 2), R(0, 2)
          local names = {[0] = "set", "cur", "end"}
          op(("m.seek(%d, %d)"):format(pos, w), function() return m:seek(names[w], pos) end, none)
        elseif c == 2 then
          local n = R(0, 8)
          -- at the end Python gives b"" where file:read gives nil
          op(("m.read(%d)"):format(n), function() return m:read(n) end, bytes)
        elseif c == 3 then
          local s = ("w"):rep(R(0, 5))
          op(("[m.write(b'%s'), None][1]"):format(s), function() m:write(s) end, none)
        elseif c == 4 then
          op("m.readline()", function() return m:readline() end, bytes)
        elseif c == 5 then
          -- Python raises at the end where mapbuf gives nil
          code[#code + 1] = "run(lambda: m.read_byte())"
          local b = m:read_byte()
          want[#want + 1] = b and ("ok %d %d"):format(b, m:tell()) or ("err " .. m:tell())
        elseif c == 6 then
          local b = R(0, 255)
          op(("m.write_byte(%d)"):format(b), function() m:write_byte(b) end, none)
        elseif c == 7 then
          local i, j = R(1, size + 1), R(0, size + 1)
          op(("m[%d:%d]"):format(i - 1, j), function() return m:sub(i, j) end, bytes)
        elseif c == 8 then
          local i, s = R(1, size + 1), ("S"):rep(R(0, 4))
          op(("m.__setitem__(slice(%d, %d), b'%s')"):format(i - 1, i - 1 + #s, s),
             function() m:set(i, s) end, none)
        else
          local d, s, n = R(1, size), R(1, size), R(0, 4)
          op(("m.move(%d, %d, %d)"):format(d - 1, s - 1, n), function() m:move(d, s, n) end, none)
        end
      end
      code[#code + 1] = "print(m[:].hex())"
      want[#want + 1] = hex(m:sub(1))
      local lines = py(table.concat(code, "\n"))
      for k = 1, #want do
        assert.equals(lines[k], want[k], code[9 + k])
      end
      assert.equals(#want, #lines)
    end
  end)

  it("resize of a file agrees on the file's size and bytes", function()
    local sizes = {1, 100, PS, 3 * PS + 7, 10, 0, 5}
    local p1, p2 = H.file("hello world"), H.file("hello world")
    local m = assert(mapbuf.open(p1, "r+"))
    local code = {"f = open(" .. ("%q"):format(p2) .. ", 'r+b')", "m = mmap.mmap(f.fileno(), 0)"}
    for _, n in ipairs(sizes) do
      if n == 0 then
        -- Python cannot resize to nothing on Linux (mremap to 0 fails)
      else
        m:resize(n)
        m:set(n, "!")
        code[#code + 1] = ("m.resize(%d); m[%d] = 33"):format(n, n - 1)
      end
    end
    code[#code + 1] = "m.close(); f.close()"
    py(table.concat(code, "\n"))
    m:close()
    assert.equals(H.readfile(p2), H.readfile(p1))
  end)
end)
