-- spec/lua/truncrace_spec.lua: reads racing a truncation.  A peer process
-- cuts the file to a random number of pages and writes it back, over and
-- over; this process reads it through fresh maps in every way the binding
-- has (whole reads, lines, captures, gmatch, find, unpack, bytes).  Every
-- read must give exactly the file's bytes or raise an error that says
-- "truncated": the file never holds a zero byte, so the zeros the guard
-- maps over vanished pages can never pass for data.
--
-- TRUNC_ROUNDS (default 20000) reads; SEED picks them.  Sizes are whole
-- pages: a file cut inside a page reads as zeros past its end without any
-- fault (the kernel's rule), which no guard can see (docs/design.md).
local mapbuf = require "mapbuf"
local H = require "spec.helper"

local PS = mapbuf.PAGESIZE
local ROUNDS = tonumber(os.getenv("TRUNC_ROUNDS")) or 20000
local seed = tonumber(os.getenv("SEED")) or os.time()
local PAGES = 32

-- 64-byte lines of capitals and digits: no zero byte anywhere
local function template()
  local t = {}
  for i = 1, H.idiv(PAGES * PS, 64) do
    t[i] = ("L%06d-"):format(i) .. ("ABCDEFGHIJKLMNOPQRSTUVWXYZ"):rep(3):sub(1, 55) .. "\n"
  end
  return table.concat(t)
end

describe("reads racing a truncation #sigbus", function()
  teardown(H.cleanup)

  it(("give the file's bytes or 'truncated', never zeros (%d reads, seed %d)")
     :format(ROUNDS, seed), function()
    math.randomseed(seed)
    local R = math.random
    local tmpl = template()
    local path = H.file(tmpl)
    local stop = H.file("")
    local peer = H.file(([[
import os, random, time
fd = os.open(%q, os.O_WRONLY)
data = open(%q, "rb").read()
cuts = 0
while os.path.exists(%q):
    os.ftruncate(fd, random.randrange(0, %d) * %d)
    os.pwrite(fd, data, 0)
    cuts += 1
    time.sleep(random.random() * 0.0004)   # whole for a while
print(cuts)
]]):format(path, path, stop, PAGES, PS), ".py")
    local out = io.popen("python3 " .. H.q(peer), "r")
    local caught, good, opened = 0, 0, 0

    -- the answer must be the template's bytes at the same place
    local function same(got, i, j, what)
      assert(got == tmpl:sub(i, j), ("%s %d..%d: wrong bytes (seed %d)")
             :format(what, i, j, seed))
      assert(not got:find("\0", 1, true))
    end

    local ops = {
      function(m) m:seek("set", 0); local s = m:read("a"); same(s, 1, #s, "read a") end,
      function(m, n)
        local line = R(0, H.idiv(n, 64) - 1)
        m:seek("set", line * 64)
        local s = m:read("l")
        same(s, line * 64 + 1, line * 64 + 63, "read l")
      end,
      function(m, n)
        local line = R(0, H.idiv(n, 64) - 1)
        m:seek("set", line * 64)
        local s = m:read("L")
        same(s, line * 64 + 1, line * 64 + 64, "read L")
      end,
      function(m)
        local i = 0
        for l in m:lines() do same(l, i * 64 + 1, i * 64 + 63, "lines"); i = i + 1 end
      end,
      function(m)
        local pos = 0
        while true do
          local l = m:readline()
          if l == "" then break end
          same(l, pos + 1, pos + #l, "readline")
          pos = pos + #l
        end
      end,
      function(m, n)
        local i = R(1, n); local j = R(i, n)
        same(m:sub(i, j), i, j, "sub")
      end,
      function(m, n)
        local init = R(1, n)
        local s, e, cap = m:find("(L%d+%-[A-Z]+)\n", init)
        if s then same(cap, s, e - 1, "find capture") end
      end,
      function(m, n)
        local cap = m:match("(%u+)\n", R(1, n))
        if cap then assert(tmpl:find(cap .. "\n", 1, true), "match capture") end
      end,
      function(m)
        local count = 0
        for w in m:gmatch("%u+") do
          count = count + 1
          assert(#w > 0 and not w:find("\0", 1, true), "gmatch")
        end
      end,
      function(m, n)
        local i = R(1, n - 63)
        local s = m:unpack("c64", i)
        same(s, i, i + 63, "unpack")
      end,
      function(m, n)
        local i = R(1, n); local j = math.min(n, i + R(0, 300))
        local t = {m:byte(i, j)}
        for k, b in ipairs(t) do assert(b == tmpl:byte(i + k - 1), "byte") end
      end,
      function(m, n)
        for _ = 1, 64 do
          local i = R(1, n)
          assert(m[i] == tmpl:byte(i), "m[i]")
        end
      end,
      function(m, n)
        m:seek("set", R(0, n - 1))
        local at = m:tell()
        local s = m:read(R(1, 3 * PS))
        same(s, at + 1, at + #s, "read n")
      end,
    }

    for _ = 1, ROUNDS do
      local m = mapbuf.open(path, "r")
      if m and #m >= 64 then
        opened = opened + 1
        local ok, err = pcall(ops[R(#ops)], m, #m)
        if ok then good = good + 1
        else
          assert(tostring(err):find("truncated", 1, true),
                 ("not a truncation: %s (seed %d)"):format(tostring(err), seed))
          caught = caught + 1
        end
        m:close()
      elseif m then
        m:close()
      end
    end
    os.remove(stop)
    local cuts = tonumber(out:read("*a")) or 0
    out:close()
    print(("# truncation race: %d tries, %d maps read: %d whole, %d raised 'truncated'; the peer cut the file %d times")
          :format(ROUNDS, opened, good, caught, cuts))
    assert.is_true(caught > 0, "no read met a truncation")
    assert.is_true(good > 0)
  end)
end)
