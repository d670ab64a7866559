-- spec/lua/grow_spec.lua: growable outputs.  mapbuf.open(path, "w+" or
-- "r+", {grow = true}): write, write_byte, pack and set past the end extend
-- the map and the file; views and arrays stay valid; reads never grow; on
-- close, collection or exit the file is exactly #m bytes.  And the host's
-- -o FILE, which opens such an output.
local mapbuf = require "mapbuf"
local H = require "spec.helper"

local function size(p)
  local f = assert(io.open(p, "rb"))
  local n = f:seek("end")
  f:close()
  return n
end

describe("a growable map", function()
  teardown(H.cleanup)

  it("grows with write, write_byte, pack and set, and the file ends at #m", function()
    local p = H.tmpname(".out")
    local m = assert(mapbuf.open(p, "w+", {grow = true}))
    assert.equal(0, #m)
    local want = {}
    for i = 1, 5000 do
      m:write("row ", i, "\n")
      want[#want + 1] = "row " .. i .. "\n"
    end
    want = table.concat(want)
    assert.equal(#want, #m)
    assert.equal(#want, m:size())          -- what the file will be
    m:write_byte(65)
    assert.equal(#want + 6, m:pack(#m + 1, "<I4", 0x01020304))
    m:set(#m + 1, "tail")
    m:set(-4, "TAIL")                      -- inside: no growth
    local total = #want + 1 + 4 + 4
    assert.equal(total, #m)
    assert.equal(want, m:sub(1, #want))
    assert.is_true(m:close())
    assert.equal(total, size(p))
    assert.equal(want .. "A\4\3\2\1TAIL", H.readfile(p))
  end)

  it("keeps views and arrays valid while it moves, and reads never grow it", function()
    local p = H.tmpname(".out")
    local m = assert(mapbuf.open(p, "w+", {grow = true}))
    m:write(("x"):rep(100))
    local v = m:view(1, 10)
    local a = m:array("B", 1, 10)
    for _ = 1, 200 do m:write(("y"):rep(1000)) end   -- several remaps
    assert.equal(("x"):rep(10), v:sub(1))
    assert.equal(("x"):byte() * 10, a:sum())
    assert.equal(200100, #m)
    m:seek("end")
    assert.is_nil(m:read(1))
    assert.equal("", m:read("a"))
    assert.is_nil(m[#m + 1])
    assert.equal(200100, #m)
    -- a view does not grow: its end is where it was made
    assert.has_error(function() v:set(10, "zz") end)
    m:close()
    assert.equal(200100, size(p))
  end)

  it("is cut back to #m when collected, and when the process exits", function()
    local p = H.tmpname(".out")
    do
      local m = assert(mapbuf.open(p, "w+", {grow = true}))
      m:write("abc")
    end
    collectgarbage(); collectgarbage()
    assert.equal("abc", H.readfile(p))
    local q = H.tmpname(".out")
    local out, code = H.run(H.q(H.lua) .. " -e " .. H.q(([[
      local mapbuf = require "mapbuf"
      local m = assert(mapbuf.open(%q, "w+", {grow = true}))
      m:write(("z"):rep(1000))
      os.exit(0)   -- no close: the state is not even closed
    ]]):format(q)))
    assert.equal(0, code, out)
    assert.equal(1000, size(q))
  end)

  it("r+ grows an existing file; other maps and modes do not grow", function()
    local p = H.file("0123456789")
    local m = assert(mapbuf.open(p, "r+", {grow = true}))
    m:seek("end")
    m:write("ab")
    m:close()
    assert.equal("0123456789ab", H.readfile(p))
    local fixed = assert(mapbuf.open(p, "r+"))
    fixed:seek("end")
    assert.has_error(function() fixed:write("x") end, "mapbuf: write: out of range")
    assert.has_error(function() mapbuf.open(p, "r", {grow = true}) end)
    assert.has_error(function() mapbuf.open(p, "c", {grow = true}) end)
    assert.has_error(function() mapbuf.open(p, "w+") end)   -- size, or grow
  end)

  it("resize sets the length, and the file follows on close", function()
    local p = H.tmpname(".out")
    local m = assert(mapbuf.open(p, "w+", {grow = true}))
    m:write(("q"):rep(5000))
    m:resize(10)
    assert.equal(10, #m)
    m:resize(100000)
    assert.equal(0, m[100000])
    m:resize(20)
    m:close()
    assert.equal(("q"):rep(10) .. ("\0"):rep(10), H.readfile(p))
  end)
end)

describe("mapbuf -o FILE", function()
  teardown(H.cleanup)

  it("writes an output after reading the input, which stays as it was", function()
    local input = H.file("hello, world\n")
    local out = H.tmpname(".out")
    local script = H.file([[
      local src, dst = ...
      dst:write((src:sub(1):upper()))
      dst:set(#dst + 1, "!")
    ]], ".lua")
    local _, code, err = H.mapbuf {script, input, "-o", out}
    assert.equal(0, code, err)
    assert.equal("HELLO, WORLD\n!", H.readfile(out))
    assert.equal("hello, world\n", H.readfile(input))
    -- an existing output is truncated; several outputs, in order; -o before
    -- the script works too
    local out2 = H.file(("old"):rep(100))
    _, code, err = H.mapbuf {"-o", out, "-e", "maps[2]:write('a') maps[3]:write('b')",
                             input, "-o", out2}
    assert.equal(0, code, err)
    assert.equal("a", H.readfile(out))
    assert.equal("b", H.readfile(out2))
  end)

  it("an output that cannot be made fails before any file is touched", function()
    local input = H.file("x")
    local made = H.tmpname(".out")
    local _, code, err = H.mapbuf {"-e", "print(1)", input, "-o", made,
                                   "-o", "/nonexistent-dir/out"}
    assert.equal(1, code)
    assert.matches("cannot open '/nonexistent%-dir/out' for writing", err)
    assert.is_nil(io.open(made))   -- the first one was not left behind
  end)
end)
