-- spec/lua/pattern_limits_spec.lua: patterns at Lua's depth limit (200
-- nested matcher calls) and errors that only some starts reach, on maps,
-- against string.find / string.match / string.gmatch on the same bytes.
-- Every family below is built so that its backtracking stays small, and
-- spans both sides of the limit: the two must agree on error or result.
local H = require "spec.helper"

local outcome = H.outcome

-- The same call sites for strings and maps, so that error positions agree.
local function FIND(x, ...) return x:find(...) end
local function MATCH(x, ...) return x:match(...) end
local function GM(x, p, init)
  local ok, it = pcall(x.gmatch, x, p, init)
  if not ok then return "err|" .. it end
  local out = {}
  ok = pcall(function()
    for _ = 1, 20 do
      local r = outcome(true, it())
      out[#out + 1] = r
      if r == "ok" then break end
    end
  end)
  if not ok then out[#out + 1] = "err" end
  return table.concat(out, ";")
end

local r = string.rep

-- {pattern, subject} pairs around the limit.
local function cases()
  local t = {}
  local function add(p, s) t[#t + 1] = { p, s } end
  for n = 194, 204 do
    -- one call per '?' or '-' that took a byte, or per '-' whose byte
    -- is there even when it takes none
    add(r("a?", n), r("a", 300))
    add(r("a?", n), r("a", n - 3) .. "b")
    add(r("a?", n) .. "b", r("a", n - 1) .. "b")
    add(r("a-", n), "a")
    add(r("a-", n), "b")
    add(r("a-", n) .. "$", "aa")
    add(r(".-", n), "xy")
    add(r("%a-", n) .. "b", "ab")
    add("b" .. r("a-", n), "xxxb" .. "a")
    add("b" .. r("a-", n), "xxxa")
    -- a * or + makes one call while the rest runs, whatever it takes
    add(r("a*", n), r("a", 300))
    add(r("a*", n) .. "c", r("a", 5) .. "c")
    add(r("a+b", H.idiv(n, 2)) .. r("a?", n - H.idiv(n, 2)), r("ab", H.idiv(n, 2)) .. r("a", 300))
    -- capture items: one call each for '(', ')' and '()'
    for _, c in ipairs({ 1, 16, 31, 32 }) do
      local k = n - 2 * c
      add(r("(", c) .. r("a?", k) .. r(")", c), r("a", 300))
      add(r("()", c) .. r("a-", n - c), "a")
      add(r("(a)", c) .. r("a?", n - 2 * c), r("a", 300))
    end
    -- a back-reference makes no call, a frontier or %b neither
    add("(a)" .. r("a?", n - 3) .. "%1", r("a", 300))
    add(r("%f[%a]", 150) .. r("a?", n), r("a", 300))
    add(r("%bab", 150) .. r("a?", n), r("ab", 150) .. r("a", 300))
  end
  -- errors that only some starts reach
  for _, p in ipairs({ "x%", "x[a", "x%b", "x%f", "x(%1)", "x)", "x%2",
                       "x" .. r("(", 33), "x" .. r("a-", 300), "a?x%" }) do
    add(p, "aaa")
    add(p, "aaxa")
  end
  return t
end

-- Does the string library have the matcher's depth limit ('pattern too
-- complex')?  5.2 on; 5.1 and LuaJIT recurse as deep as the C stack lets them.
local LIMIT = H.luaver >= 5.2

describe("patterns at Lua's limits", function()
  teardown(H.cleanup)

  it("agree with the string library on error or result", function()
    local fails, n = {}, 0
    for _, c in ipairs(cases()) do
      local p, s = c[1], c[2]
      local m = H.mapof(s)
      for _, init in ipairs({ 1, 2, #s, #s + 1 }) do
        for what, pair in pairs({
          find = { call = FIND, args = { p, init } },
          match = { call = MATCH, args = { p, init } } }) do
          local a = outcome(pcall(pair.call, s, table.unpack(pair.args)))
          local b = outcome(pcall(pair.call, m, table.unpack(pair.args)))
          n = n + 1
          if not H.patagree(a, b) and #fails < 10 then
            fails[#fails + 1] = string.format("%s(%q) on %q init %d:\n  %s\n  %s",
              what, p, s, init, a, b)
          end
        end
      end
      -- gmatch: 5.1 and 5.2 give an empty match right after a match, 5.3
      -- on (and m:gmatch, everywhere) skip it
      local a, b = GM(s, p, 1), GM(m, p, 1)
      if H.luaver >= 5.3 and not H.patagree(a, b) and #fails < 10 then
        fails[#fails + 1] = string.format("gmatch(%q) on %q:\n  %s\n  %s",
          p, s, a, b)
      end
      m:close()
    end
    assert.are.same({}, fails)
    assert.is_true(n > 1000)
  end)

  it("really reach the limit, with Lua's message", function()
    local seen = 0
    for _, c in ipairs(cases()) do
      -- the reference where it has the limit (5.2 on); mapbuf everywhere
      local ok, err = pcall(LIMIT and string.find or FIND, LIMIT and c[2] or H.mapof(c[2]), c[1])
      if not ok and err:find("pattern too complex", 1, true) then seen = seen + 1 end
    end
    assert.is_true(seen > 50)
  end)
end)
