-- spec/lua/sweep_spec.lua: every number where the kernel takes a number.
-- madvise with each advice value from -2 to 300 (and huge ones), on each
-- kind of map; mapbuf.map with each flag bit and each prot value.  Each
-- call gives a result, a failure (nil, message, errno) or a misuse error;
-- the process never dies, and advice never reaches bytes outside the
-- range it was given.
local mapbuf = require "mapbuf"
local H = require "spec.helper"

local PS = mapbuf.PAGESIZE

-- the outcomes a call may have
local function outcome(ok, a, b, c)
  if not ok then
    assert.is_string(a)
    return "error"
  end
  if a == nil then
    assert.is_string(b); assert.is_number(c)
    return "fail"
  end
  return "ok"
end

describe("madvise, swept over every advice number", function()
  teardown(H.cleanup)

  local function kinds()
    local data = ("abcdefgh"):rep(H.idiv(3 * PS, 8))
    local out = {}
    local function add(name, m) out[#out + 1] = {name, assert(m), data} end
    add("anon private", H.mapof(data, {private = true}))
    add("anon shared", H.mapof(data))
    add("file r", mapbuf.open(H.file(data), "r"))
    add("file r+", mapbuf.open(H.file(data), "r+"))
    add("file c", mapbuf.open(H.file(data), "c"))
    add("view", H.mapof("x" .. data .. "y"):view(2, -2))
    return out
  end

  it("keeps every byte outside the range and the process alive", function()
    local seen = {ok = 0, fail = 0, error = 0}
    local advice = {}
    for a = -2, 300 do advice[#advice + 1] = a end
    for _, a in ipairs({1000, 65535, 2^31 - 1, 2^31, 2^32, 2^62, -2^63}) do
      advice[#advice + 1] = a
    end
    for _, k in ipairs(kinds()) do
      local name, m, data = k[1], k[2], k[3]
      for _, a in ipairs(advice) do
        -- the middle page only: pages 1 and 3 must stay as they were
        local o = outcome(pcall(m.madvise, m, a, PS + 1, PS))
        seen[o] = seen[o] + 1
        if o == "error" then
          local _, err = pcall(m.madvise, m, a, PS + 1, PS)
          assert.matches("invalid advice", err, 1, true)
        end
        assert.equal(data:sub(1, PS), m:sub(1, PS), name .. " advice " .. a)
        assert.equal(data:sub(2 * PS + 1), m:sub(2 * PS + 1), name .. " advice " .. a)
        assert.equal(3 * PS, #m:sub(1))   -- every byte can still be read
      end
    end
    assert.is_true(seen.ok > 0 and seen.error > 0)
  end)
end)

describe("mapbuf.map, swept over every flag bit and prot value", function()
  teardown(H.cleanup)

  it("maps what it can handle and refuses the rest", function()
    local f = assert(io.open(H.file(("z"):rep(PS)), "r+b"))
    local made, refused = 0, 0
    for _, fd in ipairs({-1, f}) do
      for bit = 0, 31 do
        for _, kind in ipairs({mapbuf.MAP_SHARED, mapbuf.MAP_PRIVATE}) do
          local flags = H.bor(kind, H.shl(1, bit))
          local ok, m, msg = pcall(mapbuf.map, fd, PS, {flags = flags})
          if ok and m then
            made = made + 1
            assert.equal(fd == -1 and 0 or ("z"):byte(), m[1])
            m[1] = 7
            assert.equal(7, m[1])
            m[1] = fd == -1 and 0 or ("z"):byte()   -- the file as it was
            m:close()
          elseif ok then
            assert.is_string(msg)
          else
            refused = refused + 1
            assert.is_truthy(m:find("unsupported flags", 1, true) or
                             (bit == 31 and m:find("invalid field 'flags'", 1, true)), m)
          end
        end
      end
      for prot = 0, 15 do
        local ok, m = pcall(mapbuf.map, fd, PS, {prot = prot})
        if ok and m then
          assert.is_true(H.band(prot, mapbuf.PROT_READ) ~= 0)
          assert.is_number(m[1])
          local w = pcall(function() m[1] = m[1] end)
          assert.equal(H.band(prot, mapbuf.PROT_WRITE) ~= 0, w, "prot " .. prot)
          m:close()
        elseif not ok then
          assert.matches("unsupported prot", m, 1, true)
        end
      end
    end
    f:close()
    assert.is_true(made > 0 and refused > 0)
  end)
end)
