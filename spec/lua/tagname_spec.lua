-- tagname_spec.lua - Python's tagname option of mapbuf.map outside
-- Windows: maps of one file are shared anyway, so a file map takes the
-- name and ignores it; an anonymous map has no name another process could
-- find it by, so asking for one raises.  (spec/win/ipc_spec.lua tests
-- what the name does on Windows.)
local mapbuf = require "mapbuf"
local H = require "spec.helper"

describe("mapbuf.map's tagname", function()
  teardown(H.cleanup)

  it("is taken, and changes nothing, for a file", function()
    local path = H.file("tagged bytes")
    local f = assert(io.open(path, "r+b"))
    local a = mapbuf.map(f, 0, {tagname = "one"})
    local b = mapbuf.map(f, 0, {tagname = "two"})
    a[1] = string.byte("T")
    assert.equals("Tagged bytes", b:sub(1))
    a:close(); b:close(); f:close()
  end)

  it("raises for anonymous memory, naming the function", function()
    local ok, err = pcall(mapbuf.map, -1, 4096, {tagname = "shared"})
    assert.is_false(ok)
    assert.matches("map", err)
    assert.matches("tagname needs a file outside Windows", err)
  end)

  it("must be a non-empty string without zeros", function()
    local path = H.file("x")
    local f = assert(io.open(path, "rb"))
    for _, bad in ipairs {5, "", "a\0b", true} do
      local ok, err = pcall(mapbuf.map, f, 0, {tagname = bad})
      assert.is_false(ok)
      assert.matches("invalid field 'tagname'", err)
    end
    f:close()
  end)
end)
