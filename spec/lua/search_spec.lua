-- spec/lua/search_spec.lua: m:find / m:match / m:gmatch against
-- string.find / string.match / string.gmatch on the same bytes, and m:rfind
-- against a reference: results and error messages must be identical.
local mapbuf = require "mapbuf"
local H = require "spec.helper"

-- A map holding exactly the bytes of s (an empty file maps to length 0).
local function mapof(s)
  local m = mapbuf.anon(#s)
  if #s > 0 then m:set(1, s) end
  return m
end

local outcome = H.outcome

local function call(f, ...) return outcome(pcall(f, ...)) end

-- The same call site for strings and maps, so that error positions agree.
local function FIND(x, ...) return x:find(...) end
local function MATCH(x, ...) return x:match(...) end
local function GMATCH(x, ...) return x:gmatch(...) end

-- Up to 50 results of a gmatch loop, then the error if one is raised.
local function gm(it)
  local out, n = {}, 0
  local ok, err = pcall(function()
    while n < 50 do
      local r = outcome(true, it())
      out[#out + 1] = r
      n = n + 1
      if r == "ok" then break end
    end
  end)
  if not ok then out[#out + 1] = "err|" .. tostring(err) end
  return table.concat(out, " ; ")
end

local function gmcall(subject, p, init)
  local ok, it = pcall(GMATCH, subject, p, init)
  if not ok then return "err|" .. tostring(it) end
  return gm(it)
end

-- Deterministic random data with NULs, high bytes and pattern syntax.
local seed = 20241121
local function rnd(n)
  seed = (seed * 1103515245 + 12345) % 2147483648
  return seed % n + 1
end

local ALPHA = { "a", "b", "A", "B", "z", "1", "2", "9", " ", "\t", "\n", "\0",
  "\128", "\255", "\200", "(", ")", "[", "]", "%", ".", "-", "_", ",", "x",
  "^", "$", "*", "+", "?", "\31", "\127", "f" }

local function randdata(n, alpha)
  local t = {}
  for i = 1, n do t[i] = alpha[rnd(#alpha)] end
  return table.concat(t)
end

-- Hand-written patterns: every feature once, and every malformed shape.
local FIXED = {
  "", "a", "ab", "a\0b", "\0", "\255", "x", ".", "..", ".-", ".*", ".+", ".?",
  "%a", "%A", "%c", "%C", "%d", "%D", "%g", "%G", "%l", "%L", "%p", "%P",
  "%s", "%S", "%u", "%U", "%w", "%W", "%x", "%X", "%z", "%Z", "%%", "%.",
  "%]", "%(", "%-", "%a+", "%d+", "%d*", "%d-", "%d?", "%s*%w+", "%w+%s*$",
  "[abc]", "[^abc]", "[a-z]+", "[^a-z]+", "[%d_]", "[%a%d]+", "[a-]", "[-a]",
  "[]]", "[^]]", "[]a]", "[%]]", "[%a-z]", "[\0-\31]+", "[\128-\255]+",
  "[a-%d]", "[%%]", "[^%s]+", "[.]", "[.-]", "[-]", "[^-]", "[a-b-c]",
  "%bab", "%b()", "%b[]", "%b%%", "%b\0\255", "%bxx",
  "%f[%a]", "%f[%A]", "%f[%a]%a+", "%f[%w]%w+%f[%W]", "%f[%z]", "%f[\0]",
  "%f[^\0]", "%f[%d]%d+",
  "()", "()a", "(a)", "(a)(b)", "(%a+)%s*(%d+)", "((a)(b))", "(a*(.)%w(%s*))",
  "()(%a+)()", "(a)%1", "(%a)%1", "(.)%1+", "(.)(.)%2%1", "()%1",
  "^", "^a", "^%a+", "^(.-)$", "$", "a$", "%a+$", "$a", "a$b", "^$", "^.*$",
  "^^", "a^", "^-", "*", "+a", "?", "-", "a**", "a++",
  "a-b", "a.-b", "[ab]-$", "(a+)-", "x*$",
  -- literal prefixes (the matcher skips ahead to them)
  "ab+c", "abc?", "ab-", "ab*", "a%.b", "%$a", "%-a-", "%]%]", "%^%$",
  "(ab)c", "()ab", "((a)b)", "a%ab", "b%a+", "ab%", "ab[", "ab(", "ab%b",
  "ba%1", "xyz%", "a\0b", "\255\128", "a$b$", "^ab", "aa$",
  -- malformed
  "%", "a%", "[a", "[^", "[", "[%", "[a%", "[^]", "%f", "%fa", "%f[a", "%b",
  "%ba", "(a)%2", "%0", "%1", "(a%1)", "(%1)", ")", "a)", "(", "a(", "(()",
  "(a", "((a)", "%9", "[]", "[^]", "%b(", "x%", "a*%",
  string.rep("(", 32) .. string.rep(")", 32), string.rep("(", 33),
  string.rep("()", 33), string.rep("(a)", 33),
}

-- Random patterns from the grammar (some of them malformed on purpose).
local ATOMS = { ".", "a", "b", "A", "1", " ", "\0", "\255", "%a", "%d", "%s",
  "%w", "%x", "%p", "%c", "%u", "%l", "%g", "%A", "%D", "%S", "%W", "%%",
  "%.", "[ab]", "[^ab]", "[a-z]", "[%d%s]", "[\0-\10]", "[\200-\255]",
  "[^%a]", "[]]", "x", "%(", "%)", "%]", "-", "^", "$" }
local QUANT = { "", "", "", "*", "+", "-", "?" }
local SPECIAL = { "%bab", "%b()", "%f[%a]", "%f[%A]", "%f[%z]", "()", "%1",
  "%2", "$" }
local BROKEN = { "%", "[a", "%b", "%f", "(", ")", "%3", "[^" }

local function genpat(depth)
  local t = {}
  for _ = 1, rnd(4) do
    local r = rnd(10)
    if r <= 6 then
      t[#t + 1] = ATOMS[rnd(#ATOMS)] .. QUANT[rnd(#QUANT)]
    elseif r <= 8 and depth < 3 then
      t[#t + 1] = "(" .. genpat(depth + 1) .. ")"
    else
      t[#t + 1] = SPECIAL[rnd(#SPECIAL)]
    end
  end
  return table.concat(t)
end

local function randpattern()
  local p = genpat(0)
  if rnd(5) == 1 then p = "^" .. p end
  if rnd(6) == 1 then p = p .. "$" end
  if rnd(15) == 1 then p = p .. BROKEN[rnd(#BROKEN)] end
  return p
end

-- The subjects: fixed shapes and random bytes.
local DATA = { "", "a", "ab", "aaa", "abab", "(a(b)c)", "hello world 123",
  "a\0b\0\255\128", "  x1 y22 z333  ", "]]^^$$%%", "\n\n" }
for _ = 1, 6 do DATA[#DATA + 1] = randdata(rnd(40), ALPHA) end
DATA[#DATA + 1] = randdata(300, ALPHA)

local INITS = { false, 0, 1, 2, 3, -1, -2, -3, 5, 10, 100, -100,
  H.maxint, H.minint }

-- Inits for a subject: every position, either side of the end, and the
-- extreme ones; false stands for "not given".
local function initsfor(s)
  local t = {}
  for _, i in ipairs(INITS) do t[#t + 1] = i end
  for i = -#s - 2, #s + 2 do t[#t + 1] = i end
  return t
end

-- Does string.find start an init past the end at the end (5.1, LuaJIT)?
local CLAMPS = string.find("", "", 2) ~= nil

local function arg(i) if i == false then return nil end return i end

-- Compare one subject and pattern for every init; returns the number of
-- comparisons.  Failures are collected (up to a few) into fails.
local function compare(s, m, p, inits, fails)
  local n = 0
  -- 5.1's and LuaJIT's matchers end a pattern at a zero byte (they
  -- spell it %z) and have no class %g; 5.2 on, and mapbuf, match a zero
  -- as itself and know %g
  if H.luaver < 5.2 and (p:find("\0", 1, true) or p:find("%%[gG]")) then return 0 end
  local function same(what, a, b, init)
    n = n + 1
    if not H.patagree(a, b) and #fails < 10 then
      fails[#fails + 1] = string.format(
        "%s(%q) on %q init %s:\n  string: %s\n  mapbuf: %s",
        what, p, s, tostring(init), a, b)
    end
  end
  for _, i in ipairs(inits) do
    local init = arg(i)
    -- an init past the end: 5.1 and LuaJIT start at the end, 5.2 on (and
    -- mapbuf) find nothing; compared where the reference does as 5.2
    if not (CLAMPS and init and init > #s + 1) then
      same("find", call(FIND, s, p, init), call(FIND, m, p, init), i)
      same("find plain", call(FIND, s, p, init, true),
                         call(FIND, m, p, init, true), i)
      same("match", call(MATCH, s, p, init), call(MATCH, m, p, init), i)
    end
  end
  -- string.gmatch takes an init from 5.4 on (older ones ignore it), and
  -- skips an empty match right after a match from 5.3 on (5.1 and 5.2
  -- give it); m:gmatch does both on every Lua, the same code, compared
  -- where there is a reference
  local inits = H.luaver >= 5.4 and { false, 1, 2, -1, 0, #s, #s + 1, #s + 2, -#s - 5 }
                or H.luaver >= 5.3 and { false } or {}
  for _, i in ipairs(inits) do
    local init = arg(i)
    same("gmatch", gmcall(s, p, init), gmcall(m, p, init), i)
  end
  return n
end

describe("m:find / m:match / m:gmatch", function()
  local maps = {}
  setup(function()
    for k, s in ipairs(DATA) do maps[k] = mapof(s) end
  end)
  teardown(function()
    for _, m in ipairs(maps) do m:close() end
    H.cleanup()
  end)

  it("agree with the string library on every fixed pattern, subject and init",
    function()
      local fails, n = {}, 0
      for k, s in ipairs(DATA) do
        local inits = (#s > 50) and INITS or initsfor(s)
        for _, p in ipairs(FIXED) do
          n = n + compare(s, maps[k], p, inits, fails)
        end
      end
      assert.are.same({}, fails)
      assert.is_true(n > 50000)
    end)

  it("agree with the string library on random patterns", function()
    local fails, n = {}, 0
    for _ = 1, 1500 do
      local p = randpattern()
      local k = rnd(#DATA - 1)   -- not the long one: patterns can be O(n^4)
      n = n + compare(DATA[k], maps[k], p, INITS, fails)
    end
    assert.are.same({}, fails)
    assert.is_true(n > 30000)
  end)

  it("agree on long subjects: deep backtracking and 'pattern too complex'",
    function()
      local long = string.rep("ab", 40000) .. "c" .. string.rep("a", 300)
      local m = mapof(long)
      local fails = {}
      for _, p in ipairs({ "(a)(b)%2", ".-c", "(.-)$", "^(.*)$", "%bab", "%bca",
        "b+c", "[ab]*c", "(ab)+c", "a-c", "%f[c].", "((a)%2)",
        "^" .. string.rep("a?", 150) .. string.rep("a", 150),
        string.rep("(a)", 10) .. "x", "(.-)(.-)c" }) do
        compare(long, m, p, { false, 1, -500, 80000 }, fails)
      end
      m:close()
      assert.are.same({}, fails)
      -- the depth limit sits exactly where Lua's does
      local a300 = string.rep("a", 300)
      local m300 = mapof(a300)
      for n = 195, 202 do
        for _, p in ipairs({ string.rep("a?", n), "(a)" .. string.rep("a?", n),
          string.rep("(a)", H.idiv(n, 6)) }) do
          compare(a300, m300, p, { false }, fails)
        end
      end
      m300:close()
      assert.are.same({}, fails)
      -- the depth limit really is reached, with Lua's message
      local s = string.rep("a", 300)
      local ms = mapof(s)
      local ok, err = pcall(ms.find, ms, string.rep("a?", 300) .. s)
      assert.is_false(ok)
      assert.are.equal("pattern too complex", err)
      ms:close()
    end)

  it("raise the string library's errors for bad arguments", function()
    local s = "abc"
    local m = maps[3]
    for _, args in ipairs({ {}, { {} }, { "a", "x" }, { "a", 1.5 },
      { "a", 0 / 0 }, { "a", math.huge }, { "a", -math.huge }, { 12 },
      { "b", "2" }, { "b", 2.0 }, { "b", 1, "yes" } }) do
      local u = table.unpack
      local n = select("#", u(args))
      local x = args[2]
      if H.luaver < 5.3 and type(x) == "number" and not (x == math.floor(x) and x > -2^53 and x < 2^53) then
        -- 5.1 and 5.2 truncate a position that is no integer; mapbuf
        -- refuses it on every Lua, as 5.3 on do
        for _, f in ipairs({ FIND, MATCH }) do
          assert.matches("number has no integer representation", call(f, m, u(args, 1, n)))
        end
      else
        -- (on 5.1 and LuaJIT both raise: they name a tail-called method '?')
        for _, f in ipairs({ FIND, MATCH }) do
          local a, b = call(f, s, u(args, 1, n)), call(f, m, u(args, 1, n))
          assert.is_true(H.patagree(a, b), a .. "\n" .. b)
        end
        if (n <= 1 and H.luaver >= 5.3) or H.luaver >= 5.4 then   -- as above
          assert.are.equal(gmcall(s, u(args, 1, n)), gmcall(m, u(args, 1, n)))
        end
      end
    end
  end)

  it("gmatch fetches the map anew at every step", function()
    local m = mapbuf.anon(16, { private = true })
    m:set(1, "12 34 56 78 90 x")
    local it = m:gmatch("%d+")
    assert.are.equal("12", it())
    m:set(4, "99")                       -- changed bytes are seen
    assert.are.equal("99", it())
    m:resize(4096)                       -- may move the memory
    m:set(17, " 1234")
    local rest = {}
    for w in it do rest[#rest + 1] = w end
    assert.are.same({ "56", "78", "90", "1234" }, rest)
    m:close()
  end)

  it("gmatch ends when the map shrinks below its position", function()
    local m = mapbuf.anon(64, { private = true })
    m:set(1, "aa bb cc dd ee")
    local it = m:gmatch("%a+")
    assert.are.equal("aa", it()); assert.are.equal("bb", it())
    m:resize(4)
    assert.is_nil(it())
    m:close()
  end)

  it("the gmatch iterator keeps its map alive and raises once it is closed",
    function()
      local it
      do
        local m = mapof("x1 x2 x3")
        it = m:gmatch("x(%d)")
      end
      collectgarbage(); collectgarbage()
      assert.are.equal("1", it())
      local m = mapof("a b c")
      local it2 = m:gmatch("%a")
      assert.are.equal("a", it2())
      m:close()
      local ok, err = pcall(it2)
      assert.is_false(ok)
      assert.matches("mapbuf: map is closed", err, 1, true)
      for _, f in ipairs({ "find", "match", "gmatch", "rfind" }) do
        ok, err = pcall(m[f], m, "a")
        assert.is_false(ok)
        assert.matches("mapbuf: map is closed", err, 1, true)
      end
      -- a closed map raises before the arguments are looked at
      ok, err = pcall(m.find, m, {})
      assert.matches("mapbuf: map is closed", err, 1, true)
    end)

  it("raise 'truncated' when the file shrank under the map", function()
    local path = H.file(string.rep("abc ", 4096 * 4))
    local m = assert(mapbuf.open(path))
    assert.are.same({ 1, 3 }, { m:find("abc", 1, true) })
    H.writefile(path, "")
    for _, call in ipairs({
      function() return m:find("zzz", 1, true) end,
      function() return m:find("c ab", 5) end,
      function() return m:match("%d") end,
      function() return m:rfind("abc") end,
      function() for _ in m:gmatch("%a+") do end end }) do
      local ok, err = pcall(call)
      assert.is_false(ok)
      assert.matches("truncated", err, 1, true)
    end
    m:close()
    -- a map large enough to be searched by several threads at once
    path = H.file(string.rep("abcdefgh", 8388608))
    m = assert(mapbuf.open(path))
    assert.is_nil(m:find("zzz", 1, true))
    H.writefile(path, string.rep("abcdefgh", 131072))   -- 1 MiB left
    for _, call in ipairs({
      function() return m:find("zzz", 1, true) end,
      function() return m:rfind("zzz") end,
      function() return m:find("h", -10, true) end }) do
      local ok, err = pcall(call)
      assert.is_false(ok)
      assert.matches("truncated", err, 1, true)
    end
    assert.are.same({ 1, 3 }, { m:find("abc", 1, true) })
    m:close()
  end)

  it("searches views within their own bounds", function()
    local m = mapof("aa1bb1cc1dd")
    local v = m:view(4, 8)            -- "bb1cc"
    assert.are.same({ 3, 3 }, { v:find("1") })
    assert.are.same({ "bb", "cc" }, { v:match("(%a+)1(%a+)$") })
    assert.is_nil(v:find("d"))
    assert.is_nil(v:find("a"))
    assert.are.same({ 3, 3 }, { v:rfind("1") })
    local t = {}
    for w in v:gmatch("%a+") do t[#t + 1] = w end
    assert.are.same({ "bb", "cc" }, t)
    -- a gmatch over a view raises once the parent is closed
    local it = v:gmatch("%a+")
    assert.are.equal("bb", it())
    m:close()
    local ok, err = pcall(it)
    assert.is_false(ok)
    assert.matches("mapbuf: map is closed", err, 1, true)
  end)

  it("gmatch over a view follows its parent's resize", function()
    local m = mapbuf.anon(64, { private = true })
    m:set(1, "xx 11 22 33 44 55")
    local v = m:view(4, 14)            -- "11 22 33 44"
    local it = v:gmatch("%d+")
    assert.are.equal("11", it())
    m:resize(8192)                     -- may move: the view still fits
    assert.are.equal("22", it())
    m:resize(8)                        -- the view no longer fits
    local ok, err = pcall(it)
    assert.is_false(ok)
    assert.matches("out of range", err, 1, true)
    ok, err = pcall(v.find, v, "1")
    assert.is_false(ok)
    assert.matches("out of range", err, 1, true)
    m:close()
  end)
end)

-- Patterns are compiled once and kept: gmatch in its iterator, find and
-- match in a bounded cache.  The cache must never give the wrong program.
describe("compiled patterns", function()
  local s = "key=1 kee=22 kez=333 (x) ^^a^b"
  local m
  before_each(function() m = mapof(s) end)
  after_each(function() m:close() end)

  it("many distinct patterns in turn, past the cache's bound, stay right",
    function()
      -- 300 patterns, each used twice round a full turn of the others,
      -- so both cached and evicted programs are run
      local pats = {}
      for k = 1, 300 do pats[k] = "(k%a" .. string.rep("%a?", k % 7) .. ")=" .. "(%d+)" .. string.rep("()", k % 3) end
      for round = 1, 2 do
        for k = 1, #pats do
          assert.are.same({ s:find(pats[k]) }, { m:find(pats[k]) })
          assert.are.same({ s:match(pats[k], 6) }, { m:match(pats[k], 6) })
        end
      end
    end)

  it("a pattern longer than the cache takes runs each time, and right", function()
    -- a set of 1200 bytes: long, but no backtracking to speak of
    local long = "[" .. string.rep("kezy", 300) .. "]+=(%d%d)"
    for _ = 1, 3 do
      assert.are.same({ s:find(long) }, { m:find(long) })
      assert.are.same({ s:match(long) }, { m:match(long) })
    end
    local a, b = {}, {}
    for x in s:gmatch(long) do a[#a + 1] = x end
    for x in m:gmatch(long) do b[#b + 1] = x end
    assert.are.same(a, b)
    assert.are.same({ "22", "33" }, b)
  end)

  it("a malformed pattern raises every time, cached or not", function()
    for _ = 1, 3 do
      for _, p in ipairs({ "(x", "%", "[a", "x)", "key)" }) do
        assert.are.equal(call(MATCH, s, p), call(MATCH, m, p))
        assert.are.equal(call(FIND, s, p), call(FIND, m, p))
      end
    end
  end)

  it("'^' is a byte for gmatch and an anchor for find, one program each",
    function()
      local a, b = {}, {}
      for x in s:gmatch("^.") do a[#a + 1] = x end
      for x in m:gmatch("^.") do b[#b + 1] = x end
      assert.are.same(a, b)
      assert.are.same({ "^^", "^b" }, b)
      assert.are.same({ s:find("^.") }, { m:find("^.") })
      assert.are.same({ s:find("^.", 10) }, { m:find("^.", 10) })
    end)

  it("a finalizer called by hand on a kept program breaks nothing", function()
    local it = m:gmatch("%a+")
    assert.are.equal("key", it())
    local _, box = debug.getupvalue(it, 2)
    if H.luaver == 5.1 and not H.jit then
      -- 5.1's debug.getupvalue does not open C functions: no script can
      -- reach the program to call its finalizer
      assert.is_nil(box)
      return
    end
    local gc = debug.getmetatable(box).__gc
    assert.is_false(getmetatable(box))       -- hidden from plain Lua
    gc(box); gc(box)                         -- twice: harmless
    local ok, err = pcall(it)
    assert.is_false(ok)
    assert.matches("broken iterator", err, 1, true)
    -- the same program's box in the find/match cache: freed, then rebuilt
    assert.are.same({ 1, 3 }, { m:find("%a+") })
    for _, v in pairs(debug.getregistry()) do
      if type(v) == "table" and rawget(v, "%a+") ~= nil then
        gc(rawget(v, "%a+"))
      end
    end
    assert.are.same({ 1, 3 }, { m:find("%a+") })
    assert.are.same({ "kee" }, { m:match("%a+", 6) })
  end)
end)

-- rfind: the last occurrence lying entirely inside i .. j, by brute force.
local function rfind_ref(s, needle, i, j)
  local len = #s
  i = i or 1; j = j or -1
  if i < 0 then i = math.max(len + i + 1, 1) elseif i == 0 then i = 1 end
  if j < 0 then j = math.max(len + j + 1, 0) elseif j > len then j = len end
  if i > j + 1 then return nil end
  for st = j - #needle + 1, i, -1 do
    if s:sub(st, st + #needle - 1) == needle then
      return st, st + #needle - 1
    end
  end
  return nil
end

describe("m:rfind", function()
  it("agrees with a brute-force reference for every i and j", function()
    local subjects = { "", "a", "abcabc", "aaaa", "a\0b\0a\0", randdata(60,
      { "a", "b", "\0", "\255" }) }
    local needles = { "", "a", "b", "ab", "abc", "\0", "a\0", "aa", "aaa",
      "\255", "zzz", "ba" }
    local bad = {}
    for _, s in ipairs(subjects) do
      local m = mapof(s)
      for _, nd in ipairs(needles) do
        for i = -#s - 2, #s + 2 do
          for j = -#s - 2, #s + 2 do
            local a = outcome(true, rfind_ref(s, nd, i, j))
            local b = call(m.rfind, m, nd, i, j)
            if a ~= b and #bad < 5 then
              bad[#bad + 1] = string.format("%q in %q %d %d: %s vs %s",
                nd, s, i, j, a, b)
            end
          end
        end
        assert.are.equal(outcome(true, rfind_ref(s, nd)),
                         call(m.rfind, m, nd))
      end
      m:close()
    end
    assert.are.same({}, bad)
  end)

  it("finds the last occurrence in a large map, and respects j", function()
    local n = 1048576
    local m = mapbuf.anon(n)
    m:fill(0x61)
    m:set(100, "needle"); m:set(n - 10, "needle")
    assert.are.same({ n - 10, n - 5 }, { m:rfind("needle") })
    assert.are.same({ 100, 105 }, { m:rfind("needle", 1, n - 6) })
    assert.are.same({ 100, 105 }, { m:find("needle") })
    assert.are.same({ n - 10, n - 5 }, { m:find("needle", 101) })
    assert.is_nil(m:rfind("needle", 101, n - 6))
    assert.are.same({ n, n }, { m:rfind("a") })
    assert.are.same({ n + 1, n }, { m:rfind("") })
    m:close()
  end)

  it("checks its arguments like string.find", function()
    local m = mapof("abc")
    assert.matches("bad argument #1 to 'rfind'",
      select(2, pcall(function() return (m:rfind()) end)), 1, true)   -- no tail call: LuaJIT forgets a tail-called method
    assert.matches("number has no integer representation",
      select(2, pcall(function() return m:rfind("a", 1.5) end)), 1, true)
    assert.matches("bad argument #3 to 'rfind'",
      select(2, pcall(function() return (m:rfind("a", 1, {})) end)), 1, true)
    assert.are.same({ 1, 1 }, { m:rfind("a", H.minint, H.maxint) })
    assert.is_nil(m:rfind("a", H.maxint))
    m:close()
  end)
end)
