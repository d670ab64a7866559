-- spec/lua/close_54_spec.lua: to-be-closed variables (Lua 5.4 syntax, so
-- only a 5.4 build loads this file; every Lua has m:close()).  A map, a
-- view and the context-manager idiom of Python's mmap.
local mapbuf = require "mapbuf"
local H = require "spec.helper"

describe("a to-be-closed variable", function()
  it("closes the map at the end of its block", function()
    local keep
    do
      local m <close> = H.mapof("abc")
      keep = m
      assert.is_false(m:closed())
    end
    assert.is_true(keep:closed())
  end)

  it("stands for Python's context manager: an error closes the map too", function()
    local keep
    local ok = pcall(function()
      local m <close> = assert(mapbuf.map(-1, 8))
      keep = m
      error("inside")
    end)
    assert.is_false(ok)
    assert.is_true(keep:closed())
  end)

  it("over a view closes only the view", function()
    local m = H.mapof("abc")
    local keep
    do
      local v <close> = m:view()
      keep = v
    end
    assert.is_true(keep:closed())
    assert.is_false(m:closed())
    assert.equals("abc", m:sub(1))
  end)
end)
