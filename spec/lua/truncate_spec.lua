-- The truncation guard through the binding: a file shrinking under a live
-- map, from this process or another, gives errors that say "truncated"; the
-- process and every other map go on.
local mapbuf = require "mapbuf"
local H = require "spec.helper"
local PS = mapbuf.PAGESIZE

local function truncated(f, ...)
  local ok, err = pcall(f, ...)
  assert.is_false(ok, "expected an error")
  assert.matches("truncated", err, 1, true)
end

describe("truncation guard #sigbus", function()
  teardown(H.cleanup)

  it("catches a shrink made by this very process", function()
    local p = H.file(string.rep("ab\n", PS))          -- 3 pages
    local m = assert(mapbuf.open(p, "r"))
    local f = assert(io.open(p, "w")); f:close()      -- now empty
    truncated(function() return m[1] end)
    truncated(function() return m:find("b\na", 1, true) end)
    truncated(function() return m:rfind("ab") end)
    truncated(function() return m:match("(%a+)") end)
    truncated(function() return m:unpack("I4", 2 * PS) end)
    truncated(function() for _ in m:gmatch("%a+") do end end)
    assert.equals(3 * PS, #m)                          -- the map itself stays
    m:close()
  end)

  it("catches a shrink made by another process, and other maps go on", function()
    local p = H.file(string.rep("z", 4 * PS))
    local q = H.file(string.rep("q", 4 * PS))
    local m = assert(mapbuf.open(p, "r+"))
    local other = assert(mapbuf.open(q, "r+"))
    local _, code = H.run("truncate -s " .. PS .. " " .. H.q(p))
    assert.equals(0, code)
    truncated(function() return m:atomic_load(2 * PS + 1) end)
    truncated(function() m:atomic_add(3 * PS + 1, 1) end)
    truncated(function() m:pack(2 * PS, "<I8", 7) end)
    truncated(function() return m:sub(PS, PS + 1) end)
    -- bytes still in the file work, and so does every other map
    assert.equals(("z"):byte(), m[PS])
    m:pack(1, "<I4", 0x41424344)
    assert.equals("DCBA", H.readfile(p):sub(1, 4))
    assert.equals("qqqq", other:sub(-4))
    other:set(-2, "ok")
    assert.equals("ok", H.readfile(q):sub(-2))
    m:close(); other:close()
  end)

  it("stops a gmatch iterator that reaches vanished pages mid-loop", function()
    local p = H.file(string.rep("word ", PS))          -- 5 pages of words
    local m = assert(mapbuf.open(p, "r"))
    local n = 0
    local ok, err = pcall(function()
      for _ in m:gmatch("%a+") do
        n = n + 1
        if n == 10 then assert(H.sh("truncate -s " .. PS .. " " .. H.q(p))) end
      end
    end)
    assert.is_false(ok)
    assert.matches("truncated", err, 1, true)
    assert.is_true(n >= 10 and n < PS)
    m:close()
  end)
end)
