-- badinput_cases.lua: the calls of docs/bad-input.md and of
-- spec/lua/badinput_spec.lua.  Every kind of bad argument is tried in every
-- argument slot of every function (the other arguments valid), and every
-- method on a closed map and on dead views; each call must raise a Lua
-- error or return, never crash.
--
--   lua5.4 spec/lua/badinput_cases.lua doc > docs/bad-input.md   (rewrite the doc)
--   lua5.4 spec/lua/badinput_cases.lua run                       (one line a call)
--
-- Each argument slot has a type (what it takes: C.types below), and the
-- spec runs the calls in a child process (so a crash names the call that
-- crashed) and checks each outcome against the rules that follow from the
-- types: the errors Lua's own functions give for such values, naming the
-- function and the argument.  The doc shows every outcome, for readers.
local C = {}

-- What an argument slot takes.
C.INT = "integer"          -- an integer (or integral float, numeral string)
C.OPTINT = "integer or nil"
C.STR = "string"           -- a string (numbers are made strings)
C.OPTSTR = "string or nil"
C.NUM = "number or nil"    -- any number, nil for the default
C.OPTS = "table or nil"    -- an options table
C.OPTION = "option or nil" -- one of a list of names, nil for the default
C.ANY = "any"              -- several types, each with its own meaning

-- The kinds of argument, in the order of the doc's rows.
C.kinds = {
  {"nil", function() return nil end},
  {"true", function() return true end},
  {"false", function() return false end},
  {"NaN", function() return 0 / 0 end},
  {"inf", function() return math.huge end},
  {"-inf", function() return -math.huge end},
  {"maxinteger", function() return math.maxinteger or 2^53 end},
  {"mininteger", function() return math.mininteger or -2^53 end},
  {"2^53 (float)", function() return 2.0 ^ 53 end},
  {"-1", function() return -1 end},
  {"0", function() return 0 end},
  {"1.5", function() return 1.5 end},
  {"2.0", function() return 2.0 end},
  {'"x"', function() return "x" end},
  {'"2"', function() return "2" end},
  {"{}", function() return {} end},
  {"function", function() return print end},
  {"io.stdout", function() return io.stdout end},
}

-- Each entry: the signature shown in the doc, the argument names (slots),
-- the valid defaults (a function of the environment), and the code that
-- calls it, with the map (or view) as `m`, the module as `mapbuf`, and the
-- arguments after them.  `dead = false`: no closed-map or view rows.
local function method(name, slots, defaults, types)
  return {
    sig = ("m:%s(%s)"):format(name, table.concat(slots, ", ")),
    name = name, slots = slots, defaults = defaults, types = types or {},
    -- not a tail call: LuaJIT forgets that a tail-called function was
    -- called as a method, and would count its arguments from self
    code = ("local m, mapbuf = ...; return (function(...) return ... end)(m:%s(select(3, ...)))"):format(name),
  }
end
local INT, OPTINT, STR, OPTSTR, NUM, OPTS, OPTION, ANY =
  C.INT, C.OPTINT, C.STR, C.OPTSTR, C.NUM, C.OPTS, C.OPTION, C.ANY

C.calls = {
  method("byte", {"i", "j"}, {1, 2}, {OPTINT, OPTINT}),
  method("sub", {"i", "j"}, {1, 4}, {INT, OPTINT}),
  method("set", {"i", "s"}, {1, "ab"}, {INT, ANY}),
  method("fill", {"v", "i", "j"}, {65, 1, 4}, {ANY, OPTINT, OPTINT}),
  method("move", {"dst", "src", "n"}, {1, 3, 2}, {INT, INT, INT}),
  method("find", {"p", "init", "plain"}, {"b", 1, false}, {STR, OPTINT, ANY}),
  method("match", {"p", "init"}, {"(b)", 1}, {STR, OPTINT}),
  {sig = "m:gmatch(p, init)()", name = "gmatch", slots = {"p", "init"},
   defaults = {"b", 1}, types = {STR, OPTINT},
   code = "local m, mapbuf = ...; return m:gmatch(select(3, ...))()"},
  method("rfind", {"s", "i", "j"}, {"b", 1, -1}, {STR, OPTINT, OPTINT}),
  method("unpack", {"fmt", "pos"}, {"<i4", 1}, {STR, OPTINT}),
  method("pack", {"pos", "fmt", "v"}, {1, "<i4", 7}, {INT, STR, ANY}),
  method("view", {"i", "j"}, {1, 8}, {OPTINT, OPTINT}),
  method("seek", {"whence", "offset"}, {"set", 1}, {OPTION, OPTINT}),
  method("tell", {}, {}),
  method("read", {"fmt"}, {4}, {ANY}),
  {sig = "m:lines(fmt)()", name = "lines", slots = {"fmt"}, defaults = {"l"},
   types = {ANY}, shift = 1,   -- the iterator reads its formats from #2
   code = "local m, mapbuf = ...; return m:lines(select(3, ...))()"},
  method("write", {"v"}, {"xy"}, {STR}),
  method("readline", {}, {}),
  method("read_byte", {}, {}),
  method("write_byte", {"v"}, {65}, {INT}),
  method("seekable", {}, {}),
  method("size", {}, {}),
  method("resize", {"n"}, {128}, {INT}),
  method("flush", {"i", "n", "flags"}, function(env) return {1, 4, env.mapbuf.MS_SYNC} end,
         {OPTINT, OPTINT, OPTINT}),
  method("madvise", {"advice", "i", "n"}, {"normal", 1, 4}, {ANY, OPTINT, OPTINT}),
  method("atomic_load", {"pos", "bits"}, {1, 64}, {INT, OPTINT}),
  method("atomic_store", {"pos", "v", "bits"}, {1, 5, 64}, {INT, INT, OPTINT}),
  method("atomic_add", {"pos", "delta", "bits"}, {1, 1, 64}, {INT, INT, OPTINT}),
  method("cas", {"pos", "expected", "desired", "bits"}, {1, 0, 1, 64},
         {INT, INT, INT, OPTINT}),
  method("wait", {"pos", "expected", "timeout"}, {1, 12345, 0}, {INT, INT, NUM}),
  method("wake", {"pos", "n"}, {1, 1}, {INT, OPTINT}),
  method("lock", {"mode", "i", "n", "wait"}, {"w", 1, 4, false},
         {OPTION, OPTINT, OPTINT, ANY}),
  method("unlock", {"i", "n"}, {1, 4}, {OPTINT, OPTINT}),
  method("close", {}, {}),
  method("closed", {}, {}),
  {sig = "m[k]", name = "__index", slots = {"k"}, defaults = {1},
   types = {ANY}, shift = 1,
   code = "local m, mapbuf, k = ...; return m[k]"},
  {sig = "m[k] = v", name = "__newindex", slots = {"k", "v"}, defaults = {1, 65},
   types = {ANY, ANY}, shift = 1,
   code = "local m, mapbuf, k, v = ...; m[k] = v"},
  {sig = "#m", name = "__len", slots = {}, defaults = {},
   code = "local m = ...; return #m"},
  {sig = "tostring(m)", name = "__tostring", slots = {}, defaults = {},
   code = "local m = ...; return (tostring(m):gsub('pos=%d+', 'pos=…'))"},
  {sig = "mapbuf.open(path, mode, opts)", name = "open", dead = false,
   slots = {"path", "mode", "opts"}, types = {STR, OPTSTR, OPTS},
   defaults = function(env) return {env.path, "r", {}} end,
   code = "local m, mapbuf = ...; return mapbuf.open(select(3, ...))"},
  {sig = "mapbuf.map(file, length, opts)", name = "map", dead = false,
   slots = {"file", "length", "opts"}, defaults = {-1, 64, {}},
   types = {ANY, INT, OPTS},
   -- what descriptor 0 or 2 is depends on how the test runs
   skip = {file = {["0"] = true, ["2.0"] = true, ['"2"'] = true,
                   ["io.stdout"] = true}},
   code = "local m, mapbuf = ...; return mapbuf.map(select(3, ...))"},
  {sig = "mapbuf.anon(size, opts)", name = "anon", dead = false,
   slots = {"size", "opts"}, defaults = {64, {}}, types = {INT, OPTS},
   code = "local m, mapbuf = ...; return mapbuf.anon(select(3, ...))"},
  {sig = "mapbuf.shm(name, size, opts)", name = "shm", dead = false,
   slots = {"name", "size", "opts"}, types = {STR, OPTINT, OPTS},
   defaults = function(env) return {env.shmname, 64, {}} end,
   code = "local m, mapbuf = ...; return mapbuf.shm(select(3, ...))"},
  {sig = "mapbuf.shm_unlink(name)", name = "shm_unlink", dead = false,
   slots = {"name"}, types = {STR},
   defaults = function(env) return {env.shmname} end,
   code = "local m, mapbuf = ...; return mapbuf.shm_unlink(select(3, ...))"},
}

-- The rows of the "closed maps and dead views" table.
C.dead = {
  {"closed map", function(env)
    local m = env.fresh(); m:close(); return m end},
  {"view of a closed map", function(env)
    local m = env.fresh(); local v = m:view(1, 32); m:close(); return v end},
  {"view past a shrunk end", function(env)
    local m = env.fresh(); local v = m:view(33, 64); m:resize(16); return v end},
}

C.TEXT = "hello\nworld\n" .. ("ab"):rep(26)   -- 64 bytes

-- table.pack and table.unpack where 5.1 and LuaJIT lack them (this file
-- runs in a child interpreter of its own, without spec/helper.lua)
local pack = table.pack or function(...) return {n = select("#", ...), ...} end
local unpack = table.unpack or unpack

---------------------------------------------------------------- running

-- A short, stable text for a value.
local function show(v, env)
  local t = type(v)
  if t == "nil" or t == "boolean" then return tostring(v) end
  if t == "number" then
    if v ~= v then return "nan" end
    if math.type and math.type(v) == "integer" then return tostring(v) end
    -- numbers are doubles before 5.3: integral ones show as integers
    if not math.type and v == math.floor(v) and v > -2^53 and v < 2^53 then
      return string.format("%.0f", v)
    end
    return string.format("%.14g", v) .. (v == math.floor(v) and v > -1e15 and v < 1e15 and ".0" or "")
  end
  if t == "string" then
    local s = #v > 24 and v:sub(1, 24) or v
    s = s:gsub("[^ -~]", function(c) return ("\\%d"):format(c:byte()) end)
         :gsub("[|`]", function(c) return ("\\%d"):format(c:byte()) end)
    return '"' .. s .. '"' .. (#v > 24 and "…" or "")
  end
  if t == "userdata" and tostring(v):find("^mapbuf%.map") then return "map" end
  if t == "userdata" and io.type(v) then return "file" end
  return t
end

local function message(e, env)
  if type(e) ~= "string" then return "(" .. type(e) .. " error)" end
  e = e:gsub("^[%w_=%.%[%]\" ]+:%d+: ", "")
  e = e:gsub(env.dir:gsub("%p", "%%%0"), "$TMP")
  e = e:gsub(env.shmname:gsub("%p", "%%%0"), "$SHM")
  e = e:gsub("[|`]", function(c) return ("\\%d"):format(c:byte()) end)
  return e
end

-- Call f(...) and describe the outcome.
local function outcome(env, f, ...)
  local r = pack(pcall(f, ...))
  if not r[1] then return "error: " .. message(r[2], env) end
  if r.n == 1 then return "→ (nothing)" end
  local t = {}
  for i = 2, r.n do
    local v = r[i]
    if type(v) == "string" then
      v = v:gsub(env.dir:gsub("%p", "%%%0"), "$TMP")
           :gsub(env.shmname:gsub("%p", "%%%0"), "$SHM")
    end
    t[#t + 1] = show(v, env)
  end
  return "→ " .. table.concat(t, ", ")
end

local function newenv(mapbuf)
  local env = {mapbuf = mapbuf}
  -- tmpfs when there is one: flush and resize on a disk cost a write-back
  local p = io.popen("mktemp -d /dev/shm/mapbuf-bad.XXXXXX 2>/dev/null || mktemp -d "
                     .. (os.getenv("TMPDIR") or "/tmp") .. "/mapbuf-bad.XXXXXX")
  env.dir = p:read("*l"); p:close()
  env.path = env.dir .. "/f.bin"
  env.shmname = ("/mapbuf-badinput-%d"):format(math.random(1, 1e9))
  env.maps = {}
  function env.fresh()
    local f = assert(io.open(env.path, "wb")); f:write(C.TEXT); f:close()
    local m = assert(mapbuf.open(env.path, "r+"))
    env.maps[#env.maps + 1] = m
    return m
  end
  function env.cleanup()
    for _, m in ipairs(env.maps) do m:close() end
    env.maps = {}
    collectgarbage()
  end
  return env
end

local function defaults(c, env)
  local d = type(c.defaults) == "function" and c.defaults(env) or c.defaults
  local t = {}
  for i = 1, #c.slots do t[i] = d[i] end
  return t
end

-- Every call, in doc order: emit(call, column, outcome) after each, and
-- begin(call, column) before (so a crash can be pinned on its call).
function C.each(mapbuf, emit, begin)
  local env = newenv(mapbuf)
  begin = begin or function() end
  for _, c in ipairs(C.calls) do
    local f = assert((loadstring or load)(c.code, "=" .. c.name))
    for si, slot in ipairs(c.slots) do
      for _, k in ipairs(C.kinds) do
        local col = slot .. "\t" .. k[1]
        if c.skip and c.skip[slot] and c.skip[slot][k[1]] then
          emit(c, col, "(not checked: depends on the environment)")
        else
          local args = defaults(c, env)
          args[si] = k[2]()
          begin(c, col)
          local m = env.fresh()
          emit(c, col, outcome(env, f, m, mapbuf, unpack(args, 1, #c.slots)))
          if c.name == "shm" then
            pcall(mapbuf.shm_unlink, env.shmname)
            -- a number names an object too, as the string Lua makes of it
            if type(args[1]) == "string" or type(args[1]) == "number" then
              pcall(mapbuf.shm_unlink, tostring(args[1]))
            end
          end
          env.cleanup()
        end
      end
    end
    if c.dead ~= false then
      for _, d in ipairs(C.dead) do
        begin(c, d[1])
        local m = d[2](env)
        emit(c, d[1], outcome(env, f, m, mapbuf, unpack(defaults(c, env), 1, #c.slots)))
        env.cleanup()
      end
    end
  end
  os.execute("rm -rf '" .. env.dir .. "'")
end

---------------------------------------------------------------- the doc

local function cell(s) return "`" .. s .. "`" end

function C.doc(mapbuf)
  local res = {}
  C.each(mapbuf, function(c, col, out)
    res[c.name] = res[c.name] or {}
    res[c.name][col] = out
  end)
  local o = {}
  local function w(s) o[#o + 1] = s end
  w("# What every function does with bad input")
  w("")
  w("Generated by `lua5.4 spec/lua/badinput_cases.lua doc > docs/bad-input.md`")
  w("from the running code. Each row puts one kind of value in one argument; the other arguments are")
  w("valid. The map is a 64-byte file `\"hello\\nworld\\nabab…\"` mapped `\"r+\"`.")
  w("`→` shows what the call returns (strings cut at 24 bytes), `error:` the")
  w("message it raises. For `gmatch` and `lines` the iterator is called once.")
  w("No call crashes the process; C tests and the fuzzers")
  w("(`spec/fuzz/`) cover the core itself. `$TMP` is the test's directory,")
  w("`$SHM` the name of its shared-memory object.")
  w("")
  w("## The rules")
  w("")
  w("`spec/lua/badinput_spec.lua` runs every call below and checks these rules,")
  w("which follow from what each argument takes:")
  w("")
  w("- No value crashes the process.")
  w("- An error that names a function and an argument names this function")
  w("  (the method's own name, however it was called) and this argument,")
  w("  counted as Lua counts them (`self` is not counted in `m:f(x)`).")
  w("- An argument that takes an integer raises `number has no integer")
  w("  representation` for NaN, infinities and fractions, and `number expected,")
  w("  got T` for a boolean, table, function, file or a string that is no numeral;")
  w("  integral floats and numeral strings are integers. Where it is optional,")
  w("  `nil` gives the default.")
  w("- An argument that takes a string takes numbers too (as their text) and")
  w("  raises `string expected, got T` for the other types.")
  w("- An options table: `table expected, got T` for anything but a table or `nil`.")
  w("- A name from a list (`seek`'s whence, `lock`'s mode): `invalid option`.")
  w("- A closed map raises exactly `mapbuf: map is closed` (below).")
  w("")
  w("Each function's own limits (out of range, sizes, formats) are in")
  w("[reference.md](reference.md); the tables show what each gives.")
  w("")
  w("## Closed maps and dead views")
  w("")
  w("A closed map raises `mapbuf: map is closed` on every method except")
  w("`close`, `closed` and `tostring`, before any argument is looked at. A view")
  w("of a closed map is closed too; a view that no longer fits in its map after")
  w("`resize` raises when used.")
  w("")
  local head = "| call |"
  local rule = "|---|"
  for _, d in ipairs(C.dead) do head = head .. " " .. d[1] .. " |"; rule = rule .. "---|" end
  w(head); w(rule)
  for _, c in ipairs(C.calls) do
    if c.dead ~= false then
      local row = "| `" .. c.sig .. "` |"
      for _, d in ipairs(C.dead) do row = row .. " " .. cell(res[c.name][d[1]]) .. " |" end
      w(row)
    end
  end
  w("")
  w("## Bad arguments")
  for _, c in ipairs(C.calls) do
    if #c.slots > 0 then
      w("")
      w("### `" .. c.sig .. "`")
      w("")
      local h, r = "| value |", "|---|"
      for _, s in ipairs(c.slots) do h = h .. " " .. s .. " |"; r = r .. "---|" end
      w(h); w(r)
      for _, k in ipairs(C.kinds) do
        local row = "| " .. k[1]:gsub("|", "\\|") .. " |"
        for _, s in ipairs(c.slots) do
          row = row .. " " .. cell(res[c.name][s .. "\t" .. k[1]]) .. " |"
        end
        w(row)
      end
    end
  end
  return table.concat(o, "\n") .. "\n"
end

-- Read the doc back: {[sig] = {[column] = outcome}}, column as C.each
-- names it.
function C.parse(text)
  local t, sig, cols, dead = {}, nil, nil, false
  for line in text:gmatch("[^\n]*") do
    local s = line:match("^### `(.*)`$")
    if s then sig, cols, dead = s, nil, false end
    if line:match("^## Closed maps") then dead, cols = true, nil end
    if line:match("^| ") then
      local cells = {}
      for x in (line:sub(2)):gmatch(" (.-) |") do cells[#cells + 1] = x end
      if not cols then
        cols = cells
      else
        local row = cells[1]
        local key = dead and row:match("^`(.*)`$") or sig
        t[key] = t[key] or {}
        for i = 2, #cells do
          local col = dead and cols[i] or (cols[i] .. "\t" .. row:gsub("\\|", "|"))
          t[key][col] = cells[i]:match("^`(.*)`$")
        end
      end
    end
  end
  return t
end

if arg and arg[0] and arg[0]:find("badinput_cases%.lua$") then
  local mapbuf = require "mapbuf"
  if arg[1] == "doc" then
    io.write(C.doc(mapbuf))
  elseif arg[1] == "run" then
    C.each(mapbuf, function(c, col, out)
      io.write("=", c.sig, "\30", col, "\30", out, "\n"); io.flush()
    end, function(c, col)
      io.write("?", c.sig, "\30", col, "\n"); io.flush()
    end)
  else
    io.stderr:write("usage: lua5.4 spec/lua/badinput_cases.lua doc|run\n")
    os.exit(2)
  end
end

return C
