-- pydiff_spec.lua: differential test against Python's mmap (issue 7).
--
-- Random sequences of stream and random-access operations are applied to
-- two copies of one file, one through Python's mmap (spec/lua/pydiff.py,
-- a single python3 process reading every sequence from one file) and one
-- through mapbuf; after every step both sides record the call's result,
-- the cursor, the length and the whole content, and the records must be
-- equal.  At the end of a sequence the files on disk must be equal too.
--
--   PYDIFF_SEED=1234  replay one run (the seed is printed on failure)
--   PYDIFF_N=20000    how many sequences (default 3000)
--
-- Conventions bridged here: mapbuf positions are 1-based (find returns
-- start, end or nil; Python a 0-based index or -1), the cursor is 0-based
-- in both.  Documented differences, modelled rather than reported:
--   * m:read(n) and m:read_byte() give nil at the end of the data, as a Lua
--     file does; Python gives b"" and raises.
--   * m:find(s, init) is string.find: an init past #m + 1 finds nothing,
--     even the empty string, where Python clips the start to the end; and
--     m:rfind(s, i, j) clips i..j as string.sub does, so an i past #m + 1
--     is an empty range in which not even "" lies.
--   * m:set(i, "") raises for i past #m + 1, like every position out of
--     range; Python's m[i:i] = b"" is a no-op for any i (slices clip).
--   * Python cannot resize to 0 or map an empty file; mapbuf can, so the
--     sequences never ask for either.
local H = require "spec.helper"
local mapbuf = require "mapbuf"

local seed = tonumber(os.getenv("PYDIFF_SEED") or "") or os.time()
local NSEQ = tonumber(os.getenv("PYDIFF_N") or "") or 3000

local function hex(s)
  if s == "" then return "-" end
  return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end
local function unhex(x)
  if x == "-" then return "" end
  return (x:gsub("..", function(h) return string.char(tonumber(h, 16)) end))
end

---------------------------------------------------------------- generating

local R = math.random

-- Bytes from a small alphabet, so that find and readline meet hits.
local function text(n)
  local t = {}
  for i = 1, n do
    local r = R(10)
    t[i] = r <= 4 and "a" or r <= 7 and "b" or r <= 9 and "\n" or string.char(R(0, 255))
  end
  return table.concat(t)
end

-- A small integer around the interesting edges of 0 .. size.
local function around(size)
  local r = R(10)
  if r <= 6 then return R(0, size) end
  if r <= 8 then return size + R(-2, 3) end
  return R(-size - 3, size + 3)
end

local gen = {
  function() return "write " .. hex(text(R(0, 6))) end,
  function() return "write_byte " .. R(0, 255) end,
  function(size)
    local w = R(0, 2)
    local off = w == 0 and around(size) or w == 1 and R(-size - 2, size + 2)
                or -around(size)
    return ("seek %d %d"):format(off, w)
  end,
  function() return "read " .. (R(12) == 1 and -1 or R(0, 12)) end,
  function() return "readall" end,
  function() return "read_byte" end,
  function() return "readline" end,
  function(size) return ("find %s %d"):format(hex(text(R(0, 3))), around(size)) end,
  function(size)
    return ("rfind %s %d %d"):format(hex(text(R(0, 3))), around(size),
                                     around(size))
  end,
  function(size)
    local n = R(0, math.max(1, H.idiv(size, 2)))
    if R(8) == 1 then n = n + size end
    return ("move %d %d %d"):format(R(0, size + 1), R(0, size + 1), n)
  end,
  function(size) return ("set %d %s"):format(R(0, size + 1), hex(text(R(0, 5)))) end,
  function(size) return "resize " .. math.max(1, size + R(-size, 16)) end,
  function(size) return ("sub %d %d"):format(around(size), around(size)) end,
  function(size) return ("index %d"):format(R(-size - 2, size + 2)) end,
  function() return "flush" end,
  function() return "size" end,
  function() return "tell" end,
}

-- Write NSEQ sequences to path; return them as a list of lists of lines.
local function generate(path)
  local f = assert(io.open(path, "w"))
  local seqs = {}
  for k = 1, NSEQ do
    local size = R(10) == 1 and R(65, 300) or R(1, 64)
    local init = text(size)
    local lines = {("seq %d %s"):format(k, hex(init))}
    for _ = 1, R(5, 40) do
      local line = gen[R(#gen)](size)
      lines[#lines + 1] = line
      local n = line:match("^resize (%d+)")
      if n then size = tonumber(n) end
    end
    lines[#lines + 1] = "close"
    f:write(table.concat(lines, "\n"), "\n")
    seqs[k] = lines
  end
  f:close()
  return seqs
end

---------------------------------------------------------------- mapbuf side

local whences = {[0] = "set", "cur", "end"}


-- A fact about mapbuf alone that must hold whatever Python says.
local function must(cond, msg)
  if not cond then error({invariant = msg}, 2) end
end

local function step(m, op, a)
  if op == "write" then
    must(m:write(unhex(a[1])) == m, "write returns the map")
    return "ok"
  elseif op == "write_byte" then
    m:write_byte(tonumber(a[1]))
    return "ok"
  elseif op == "seek" then
    local r = m:seek(whences[tonumber(a[2])], tonumber(a[1]))
    must(r == m:tell(), "seek returns the new cursor")
    return "ok"
  elseif op == "read" or op == "readall" then
    local s = m:read(op == "readall" and "a" or tonumber(a[1]))
    if s == nil then
      must(op == "read" and m:tell() >= #m, "read gives nil only at the end")
      s = ""
    end
    return "S:" .. (s == "" and "" or hex(s))
  elseif op == "read_byte" then
    local b = m:read_byte()
    if b == nil then
      must(m:tell() >= #m, "read_byte gives nil only at the end")
      return "E"
    end
    return "I:" .. b
  elseif op == "readline" then
    local s = m:readline()
    return "S:" .. (s == "" and "" or hex(s))
  elseif op == "find" then
    local s, start = unhex(a[1]), tonumber(a[2])
    local i, j = m:find(s, start >= 0 and start + 1 or start, true)
    if i == nil and s == "" and start > #m then return "I:" .. #m end
    if i == nil then return "I:-1" end
    must(j == i + #s - 1, "find's end is start + #s - 1")
    return "I:" .. (i - 1)
  elseif op == "rfind" then
    local s, i0, j0 = unhex(a[1]), tonumber(a[2]), tonumber(a[3])
    local i, j = m:rfind(s, i0 >= 0 and i0 + 1 or i0, j0 >= 0 and j0 or j0 - 1)
    if i == nil and s == "" and i0 > #m then
      -- i past #m + 1 is an empty range past the end, as in string.sub;
      -- Python clips the start to the end and finds "" there
      local e = j0 < 0 and math.max(0, #m + j0) or math.min(j0, #m)
      return e == #m and "I:" .. #m or "I:-1"
    end
    if i == nil then return "I:-1" end
    must(j == i + #s - 1, "rfind's end is start + #s - 1")
    return "I:" .. (i - 1)
  elseif op == "move" then
    must(m:move(tonumber(a[1]) + 1, tonumber(a[2]) + 1, tonumber(a[3])) == m,
         "move returns the map")
    return "ok"
  elseif op == "set" then
    local i, s = tonumber(a[1]) + 1, unhex(a[2])
    if s == "" and i > #m + 1 then
      must(not pcall(m.set, m, i, s), "set raises out of range")
      return "ok"
    end
    must(m:set(i, s) == m, "set returns the map")
    return "ok"
  elseif op == "resize" then
    must(m:resize(tonumber(a[1])) == m, "resize returns the map")
    return "ok"
  elseif op == "sub" then
    local i0, j0 = tonumber(a[1]), tonumber(a[2])
    local s = m:sub(i0 >= 0 and i0 + 1 or i0, j0 >= 0 and j0 or j0 - 1)
    return "S:" .. (s == "" and "" or hex(s))
  elseif op == "index" then
    -- Python's m[k], m[-k] is mapbuf's m[k + 1], m[-k]
    local k = tonumber(a[1])
    local b = m[k >= 0 and k + 1 or k]
    if b == nil then
      must(k >= #m or k < -#m, "m[i] is nil only out of range")
      return "E"
    end
    return "I:" .. b
  elseif op == "flush" then
    must(m:flush() == true, "flush returns true")
    return "ok"
  elseif op == "size" then
    return "I:" .. m:size()
  elseif op == "tell" then
    return "I:" .. m:tell()
  end
  error("unknown operation " .. op)
end

local function record(m, r)
  local content = m:sub(1)
  return ("%s %d %d %s"):format(r, m:tell(), #m, content == "" and "" or hex(content))
end

---------------------------------------------------------------- the spec

describe("mapbuf against Python's mmap", function()
  teardown(H.cleanup)

  it(("agrees on %d random sequences (seed %d)"):format(NSEQ, seed), function()
    math.randomseed(seed)
    -- in tmpfs when there is one: each flush is a write-back on a disk
    local shm = io.popen("mktemp -d /dev/shm/mapbuf-pydiff.XXXXXX 2>/dev/null")
    local dir = shm:read("*l")
    shm:close()
    if dir then
      finally(function() os.execute("rm -rf " .. H.q(dir)) end)
    else
      dir = H.tmpname(".ops"):match("^(.*)/")
    end
    local ops = dir .. "/seqs.ops"
    local seqs = generate(ops)
    local py = assert(io.popen(("python3 %s/spec/lua/pydiff.py %s %s"):format(
      H.q(H.src), H.q(ops), H.q(dir))))
    local path = dir .. "/lua.bin"
    local steps = 0
    local function fail(k, n, what, want, got)
      py:close()
      error(("PYDIFF_SEED=%d: sequence %d, step %d (%s):\n  python: %s\n  mapbuf: %s\n"
             .. "sequence:\n  %s"):format(seed, k, n, what, want, got,
             table.concat(seqs[k], "\n  ", 1, n + 1)), 0)
    end
    for k, lines in ipairs(seqs) do
      H.writefile(path, unhex(lines[1]:match("^seq %d+ (%S+)")))
      local m = assert(mapbuf.open(path, "r+"))
      for n = 2, #lines do
        local w = {}
        for x in lines[n]:gmatch("%S+") do w[#w + 1] = x end
        local op = table.remove(w, 1)
        local got
        if op == "close" then
          m:close()
          got = "S:" .. (H.readfile(path) == "" and "" or hex(H.readfile(path)))
          got = got == "S:-" and "S:" or got
        else
          local ok, r = pcall(step, m, op, w)
          if not ok and type(r) == "table" then
            fail(k, n - 1, lines[n], "(no matter)", r.invariant)
          end
          got = record(m, ok and r or "E")
        end
        local want = py:read("*l")
        if want == nil then fail(k, n - 1, lines[n], "(no output)", got) end
        if want ~= got then fail(k, n - 1, lines[n], want, got) end
        steps = steps + 1
      end
    end
    assert.is_nil(py:read("*l"))
    assert.is_true(py:close())
    io.stderr:write(("pydiff: %d sequences, %d steps agree (seed %d)\n"):format(
      NSEQ, steps, seed))
  end)
end)
