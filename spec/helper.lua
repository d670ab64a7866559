-- spec/helper.lua: small shared tools for the specs (require "spec.helper").
local H = {}

H.bin = os.getenv("MAPBUF_BIN") or "build/mapbuf"
H.build = os.getenv("MAPBUF_BUILD") or "build"
H.src = os.getenv("MAPBUF_SRC") or "."
H.lua = os.getenv("LUA") or "lua5.4"
-- The Lua the build is for: 5.1 .. 5.4 or jit, its headers, and its
-- pkg-config name (Debian's: lua5.1 .. lua5.4, luajit)
H.luakind = os.getenv("MAPBUF_LUA_KIND") or "5.4"
H.luainc = os.getenv("MAPBUF_LUA_INCLUDE") or "/usr/include/lua5.4"
H.luapc = H.luakind == "jit" and "luajit" or "lua" .. H.luakind
-- the directory name of its modules (lib/lua/5.1 for LuaJIT)
H.luaabi = os.getenv("MAPBUF_LUA_ABI") or "5.4"
-- s with Lua pattern magic escaped
function H.plain(s) return (s:gsub("%p", "%%%0")) end
-- The C compiler of the build (a cross gcc in the i686 run), for specs
-- that build a small C module against the build's libraries.
H.cc = os.getenv("MAPBUF_CC") or "gcc"
-- The target's size_t in bits (32 in the i686 run, where a map is at most
-- 2 GiB - 1); Lua's own size_t is the build's, as both run natively.
H.bits = (string.packsize and string.packsize("T") or 8) * 8

-- ---- the same specs on Lua 5.1, 5.2, 5.3, 5.4 and LuaJIT ----
-- Bit operators and '//' are 5.3 syntax: these do the same on the
-- non-negative integers the specs use (flags, masks, powers of two).
local function bitwise(a, b, keep)
  local r, bit = 0, 1
  while a > 0 or b > 0 do
    local x, y = a % 2, b % 2
    if keep(x == 1, y == 1) then r = r + bit end
    a, b, bit = (a - x) / 2, (b - y) / 2, bit * 2
  end
  return math.tointeger and math.tointeger(r) or r
end
function H.bor(a, b, ...)
  local r = bitwise(a, b, function(x, y) return x or y end)
  if ... then return H.bor(r, ...) end
  return r
end
function H.band(a, b) return bitwise(a, b, function(x, y) return x and y end) end
-- a * 2^n and floor(a / b), integers where Lua has them
function H.shl(a, n) return H.int(a * 2 ^ n) end
function H.idiv(a, b) return H.int(math.floor(a / b)) end
-- An integral number as an integer on 5.3+ (a float elsewhere is the
-- only number there is).
function H.int(x) return math.tointeger and math.tointeger(x) or x end
-- math.type where Lua has it; 5.1 and 5.2 know only "number".
H.numtype = math.type or function(v)
  return type(v) == "number" and "number" or nil
end
-- The version of the running Lua as a number: 5.1 (LuaJIT too) .. 5.4.
H.luaver = tonumber(_VERSION:match("%d+%.%d+"))
H.jit = rawget(_G, "jit") ~= nil
-- The integer limits where Lua has integers (5.3 on); where numbers are
-- doubles, the largest integers they hold exactly (what a position or a
-- count can be there)
H.maxint = math.maxinteger or 2 ^ 53
H.minint = math.mininteger or -2 ^ 53
-- string.unpack(fmt, s [, pos]) where there is one (5.3 on); m:unpack of a
-- map of s before (mapbuf's own reader, which pack_spec compares with
-- string.unpack where it can)
function H.strunpack(fmt, s, pos)
  if string.unpack then return string.unpack(fmt, s, pos) end
  local m = H.mapof(s)
  return m:unpack(fmt, pos)
end
-- 5.1 and LuaJIT: table.pack and table.unpack, which the specs use, under
-- the names 5.2 gave them
table.unpack = table.unpack or unpack
table.pack = table.pack or function(...) return {n = select("#", ...), ...} end
-- Collector tools for every Lua, as source text, so that chunks run by
-- mapbuf or a fresh interpreter can start with them too (H.gcsrc .. code):
--   gcparams(pause, stepmul, stepsize): the incremental collector's
--     parameters: 5.4's collectgarbage("incremental", ...); the older
--     Luas have the first two ("setpause", "setstepmul"), no step size
--   finalizer(fn): a new object whose collection calls fn(object): a
--     table with __gc from 5.2 on, a userdata (newproxy) on 5.1 and LuaJIT
H.gcsrc = [[
local function gcparams(pause, stepmul, stepsize)
  if _VERSION == "Lua 5.4" then
    collectgarbage("incremental", pause, stepmul, stepsize or 0)
  else
    collectgarbage("setpause", pause); collectgarbage("setstepmul", stepmul)
  end
end
local function finalizer(fn)
  if _VERSION == "Lua 5.1" then
    local u = newproxy(true)
    getmetatable(u).__gc = fn
    return u
  end
  return setmetatable({}, {__gc = fn})
end
]]
H.gcparams, H.finalizer = assert((loadstring or load)(H.gcsrc .. "return gcparams, finalizer"))()
-- A random integer over the whole 64-bit range (5.3's math.random takes
-- no wider interval than that); a random integral double of at most 53
-- bits where numbers are doubles.
function H.random64()
  if H.luaver >= 5.4 then return math.random(0) end
  if string.pack then
    return (string.unpack("<j", string.pack("<I4I4", math.random(0, 0xffffffff),
                                                     math.random(0, 0xffffffff))))
  end
  return math.random(-2 ^ 31, 2 ^ 31 - 1) * 2 ^ 21 + math.random(0, 2 ^ 21 - 1)
end

local tmpdir = os.getenv("TMPDIR") or "/tmp"
local counter = 0

-- A fresh path under a per-process temporary directory; removed by H.cleanup.
function H.tmpname(suffix)
  counter = counter + 1
  local dir = H.tmpdir or (function()
    local p = io.popen("mktemp -d " .. tmpdir .. "/mapbuf-spec.XXXXXX")
    H.tmpdir = p:read("*l"); p:close()
    return H.tmpdir
  end)()
  return string.format("%s/f%d%s", dir, counter, suffix or "")
end

function H.cleanup()
  if H.tmpdir then os.execute("rm -rf '" .. H.tmpdir .. "'"); H.tmpdir = nil end
end

function H.writefile(path, s)
  local f = assert(io.open(path, "wb")); f:write(s); f:close(); return path
end

function H.readfile(path)
  local f = assert(io.open(path, "rb")); local s = f:read("*a"); f:close(); return s
end

-- A temporary file holding s.
function H.file(s, suffix) return H.writefile(H.tmpname(suffix), s) end

-- Anonymous memory holding exactly the bytes s (opts as mapbuf.anon's).
function H.mapof(s, opts)
  local m = assert(require("mapbuf").anon(#s, opts))
  if #s > 0 then m:set(1, s) end
  return m
end

-- Source text that makes package.searchpath (5.2's) in chunks run by a
-- fresh interpreter, for 5.1 and LuaJIT: the first file of path that opens
H.searchpath_src = [[
package.searchpath = package.searchpath or function(name, path)
  for p in path:gmatch("[^;]+") do
    local f = p:gsub("%?", (name:gsub("%.", "/")))
    local h = io.open(f)
    if h then h:close() return f end
  end
end
]]

-- Every method name of a map, sorted: the table behind its __index (an
-- upvalue).  5.1's debug.getupvalue does not open C functions: there, the
-- methods the reference names (m:name; most of them).
function H.methods()
  local probe = H.mapof("x")
  local _, t = debug.getupvalue(debug.getmetatable(probe).__index, 1)
  if not t then
    t = {}
    for name in H.readfile(H.src .. "/docs/reference.md"):gmatch("m:([%a_]+)") do
      if type(probe[name]) == "function" then t[name] = true end
    end
  end
  local list = {}
  for k in pairs(t) do list[#list + 1] = k end
  table.sort(list)
  assert(#list >= 25, "the methods were not found")
  return list
end

-- Do the outcomes (H.outcome) of a string library call and of mapbuf's
-- agree?  Equal, or, on 5.1 and LuaJIT, whose matchers word malformed
-- patterns otherwise and have another depth limit (none, or LuaJIT's
-- own), both errors, or one of them 'pattern too complex'.  mapbuf's are
-- 5.2 on's everywhere.
function H.patagree(a, b)
  if a == b then return true end
  if H.luaver >= 5.2 then return false end
  local function err(x) return x:sub(1, 4) == "err|" end
  local function deep(x) return x:find("pattern too complex", 1, true) ~= nil end
  return (err(a) and err(b)) or deep(a) or deep(b)
end

-- Run a shell command; true when it exited 0 (5.1 and LuaJIT's
-- os.execute return the status as a number, 5.2 on true or nil)
function H.sh(cmd)
  local r = os.execute(cmd)
  if type(r) == "number" then return r == 0 end
  return r == true
end

-- Quote a string for the shell.
-- All results of a pcall, errors included, as one comparable string (an
-- integer and a float of the same value differ).
function H.outcome(ok, ...)
  local t = { ok and "ok" or "err" }
  for i = 1, select("#", ...) do
    local v = select(i, ...)
    t[#t + 1] = H.numtype(v) or type(v)
    t[#t + 1] = tostring(v)
  end
  return table.concat(t, "|")
end

function H.q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

-- Run a shell command; returns stdout, exit status.  Lua 5.1 and LuaJIT
-- close a pipe without the status: there the shell prints it last.
local STATUS = "\n:mapbuf-spec-status:"
function H.run(cmd)
  if H.luaver == 5.1 then
    local p = io.popen("(" .. cmd .. "\n); printf '" .. STATUS .. "%d' $?", "r")
    local out = p:read("*a"); p:close()
    local i = assert(out:find(STATUS, 1, true), "no status from the shell")
    return out:sub(1, i - 1), tonumber(out:sub(i + #STATUS))
  end
  local p = io.popen(cmd, "r"); local out = p:read("*a")
  local _, _, code = p:close()
  return out, code
end

-- Run the mapbuf executable with a list of words (and optional standard
-- input, as a string); returns stdout, exit status, stderr.
function H.mapbuf(words, input)
  local q = {}
  for i, w in ipairs(words) do q[i] = H.q(w) end
  local err = H.tmpname(".err")
  local cmd = H.q(H.bin) .. " " .. table.concat(q, " ") .. " 2>" .. H.q(err)
      .. " <" .. (input and H.q(H.file(input)) or "/dev/null")
  local out, code = H.run(cmd)
  return out, code, H.readfile(err)
end

-- Run Python 3 code (given as a string); returns stdout, exit status.
function H.python(code)
  local f = H.file(code, ".py")
  return H.run("python3 " .. H.q(f))
end

return H
