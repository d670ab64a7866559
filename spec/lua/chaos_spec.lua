-- spec/lua/chaos_spec.lua: a random API fuzzer.  Random calls of every
-- method and metamethod on a changing pool of maps, views and iterators,
-- with extreme numbers, NaN, numeric strings, junk of every type, other
-- maps as arguments, and garbage whose finalizers close, resize, view or
-- free (__gc by hand) the pool's objects in the middle of the calls; some
-- calls run inside coroutines.  Nothing may crash (CI runs this under
-- ASan + UBSan too), and every outcome must be one the contract allows:
-- a result, or an error that is a string naming the function; a map that
-- was closed before a call raises exactly "mapbuf: map is closed".
--
-- CHAOS_CALLS (default 200000) random calls; SEED picks the sequence (it
-- is printed, so a failure can be replayed).
local mapbuf = require "mapbuf"
local H = require "spec.helper"

local PS = mapbuf.PAGESIZE
local CALLS = tonumber(os.getenv("CHAOS_CALLS")) or 200000
local seed = tonumber(os.getenv("SEED")) or os.time()

local R

local methods = H.methods()
local mt = debug.getmetatable(mapbuf.anon(1))

-- Methods that answer on a closed map (the contract's exceptions).
local OPEN_ON_CLOSED = {close = true, closed = true}

local strings = {"", "a", "l", "L", "n", "a", "*a", "*l", "set", "cur", "end",
  "r", "w", "c", "r+", "w+", "read", "write", "copy", "normal", "dontneed",
  "willneed", "sequential", "remove", "%d+", "(", ")", "[", "%", "%b()",
  "%f[%a]", "(.-)", "()", "(a)%1", "^a*$", "[^%s]+", "i4", "<i8", ">I2",
  "z", "s1", "s4", "!", "!8 i3", "xXi16", "c3", "c0", "j", "J", "n", "d",
  "f", "T", "i17", "c", " ", "=b", "1", "0x10", " 7 ", "1e2", "-3", "inf",
  "nan", "2^3", "\0", "\255\0\1", ("x"):rep(300), ("%a"):rep(60)}

local numbers = {0, 1, -1, 2, 3, 4, 7, 8, 15, 16, 255, 256, 1023, 4095,
  4096, 4097, 8191, 8192, PS * 3, 2^16, 2^31 - 1, 2^31, 2^32 - 1, 2^32,
  2^53, 2^63, -2^63, 1e308, -1e308, 0/0, 1/0, -1/0, 0.5, -0.0, 1.5, -2.5,
  -- the integer limits where Lua has integers (5.3 on), 2^53 elsewhere
  H.maxint, H.minint,
  H.maxint - 1, H.minint + 1}

local pool = {}        -- maps and views
local iters = {}       -- iterators made by gmatch and lines
local files = {}

local function pick(t) if #t > 0 then return t[R(#t)] end end

local function junk()
  local k = R(20)
  if k <= 6 then return pick(numbers)
  elseif k <= 8 then local o = pick(pool); return o and (R(2) == 1 and #pool or R(-8, 8)) or 1
  elseif k <= 12 then return pick(strings)
  elseif k == 13 then return pick(pool)
  elseif k == 14 then return ({{}, {private = true}, {size = 10},
                              {offset = PS}, {length = 1}, {access = "read"},
                              {flags = 1}, {prot = 1}, {populate = true}})[R(9)]
  elseif k == 15 then return R(2) == 1
  elseif k == 16 then return io.stdout
  elseif k == 17 then return print
  elseif k == 18 then return coroutine.create(function() end)
  elseif k == 19 then return setmetatable({}, {__tostring = function() return "x" end,
                                                __index = function() return 1 end})
  else return nil end
end

-- A fresh object for the pool.
local function newobject()
  local k = R(9)
  local ok, m
  if k <= 2 then ok, m = pcall(mapbuf.anon, R(0, 3 * PS), {private = R(2) == 1})
  elseif k <= 5 then
    local mode = ({"r", "r+", "c", "r+"})[R(4)]
    local p = pick(files)
    ok, m = pcall(mapbuf.open, p, mode)
    if ok and m == nil then ok = false end
  elseif k == 6 then
    local f = io.open(pick(files), "rb")
    ok, m = pcall(mapbuf.map, f, 0, {trackfd = R(2) == 1,
                                     access = ({"read", "copy", "default"})[R(3)]})
    f:close()
    if ok and m == nil then ok = false end
  else
    local base = pick(pool)
    if base then ok, m = pcall(base.view, base, R(-4, 10), R(-4, 5000)) end
  end
  if ok and m then pool[#pool + 1] = m end
end

local function closedbefore(x)
  local ok, c = pcall(x.closed, x)
  return ok and c
end

-- Every error a call may give: a string; one that names a function names
-- one (never '?'); "map is closed" when the map was closed before.
local function judge(ok, err, closed, name)
  if ok then
    if closed and name and not OPEN_ON_CLOSED[name] then
      error(("%s succeeded on a closed map (seed %d)"):format(name, seed))
    end
    return
  end
  assert(type(err) == "string", "error object is a " .. type(err))
  err = err:gsub("^[^\n]-:%d+: ", "", 1)   -- the position a Lua caller adds
  local fname = err:match("bad argument #%-?%d+ to '([^']*)'")
      or err:match("calling '([^']*)' on bad self")
      or err:match("mapbuf: ([%w_]+): ")
  if fname then assert(fname ~= "?", err) end
  if closed and name and not OPEN_ON_CLOSED[name] then
    assert(err == "mapbuf: map is closed", ("%s on a closed map: %s (seed %d)")
           :format(name, err, seed))
  end
end

-- Garbage whose finalizer does something to the pool.
local gcs = 0
local function chaosgarbage()
  local what = R(6)
  H.finalizer(function()
    gcs = gcs + 1
    local x = pick(pool)
    if not x then return end
    if what == 1 then pcall(x.close, x)
    elseif what == 2 then pcall(x.resize, x, R(0, 2 * PS))
    elseif what == 3 then pcall(mt.__gc, x)
    elseif what == 4 then local ok, v = pcall(x.view, x) if ok then pool[#pool + 1] = v end
    elseif what == 5 then local it = pick(iters) if it then pcall(it) end
    else pcall(x.set, x, 1, "zz") end
  end)
end

local function onecall()
  local x = pick(pool)
  if x == nil then newobject(); return end
  local k = R(100)
  local closed = closedbefore(x)
  local ok, err
  if k <= 70 then
    local name = pick(methods)
    local n = R(0, 5)
    local a = {junk(), junk(), junk(), junk(), junk()}
    -- calls that may block: never for long (a lock another map of the
    -- pool holds, a word nobody changes)
    if name == "wait" then a[3] = R() * 0.001; n = 3
    elseif name == "lock" then a[4] = false; n = 4
    -- and the maps stay small, or the calls after a resize to 2^31 bytes
    -- would fill and copy gigabytes (resize's huge sizes: errors.spec)
    elseif name == "resize" then a[1] = R(0, 4 * PS) end
    ok, err = pcall(x[name], x, table.unpack(a, 1, n))
    judge(ok, err, closed, name)
    if ok and (name == "gmatch" or name == "lines") and type(err) == "function" then
      iters[#iters + 1] = err
    end
  elseif k <= 78 then
    ok, err = pcall(function() return x[junk()] end)
    if not ok then judge(ok, err, closed, "__index") end
  elseif k <= 84 then
    ok, err = pcall(function() x[junk()] = junk() end)
    judge(ok, err, closed, "__newindex")
  elseif k <= 86 then
    ok, err = pcall(function() return #x end)
    judge(ok, err, closed, "__len")
  elseif k <= 88 then
    ok, err = pcall(tostring, x)
    assert(ok and type(err) == "string" and err:match("^mapbuf%.map%("), tostring(err))
  elseif k <= 92 then
    local it = pick(iters)
    if it then ok, err = pcall(it) if not ok then judge(ok, err) end end
  elseif k <= 94 then
    -- a call inside a coroutine, which may yield from nowhere it can
    local co = coroutine.create(function(...)
      local name = pick(methods)
      if name == "wait" or name == "lock" or name == "resize" then name = "find" end
      return x[name](x, ...)
    end)
    ok, err = coroutine.resume(co, junk(), junk())
    if not ok then judge(ok, err) end
  elseif k <= 96 then
    ok, err = pcall(pick({mt.__index, mt.__newindex, mt.__len, mt.__gc,
                          mt.__close, mt.__tostring}), junk(), junk(), junk())
    if not ok then judge(ok, err) end
  else
    newobject()
  end
end

describe("random calls", function()
  teardown(H.cleanup)

  it(("never crash and give only what the contract allows (%d calls, seed %d)")
     :format(CALLS, seed), function()
    print(("# chaos: %d calls, seed %d"):format(CALLS, seed))
    math.randomseed(seed)
    R = math.random
    for i = 1, 6 do
      files[i] = H.file((i .. "\n"):rep(i * 700) .. tostring(i):rep(i * 100))
    end
    files[7] = H.file("")
    for _ = 1, 8 do newobject() end
    for i = 1, CALLS do
      -- now and then a collector that steps at every allocation, so the
      -- finalizers run inside the methods (a short while: it walks the
      -- whole heap at every step)
      if i % 5000 == 1 then H.gcparams(100, 100, 0)
      elseif i % 5000 == 151 then H.gcparams(200, 100, 13) end
      if R(8) == 1 then chaosgarbage() end
      onecall()
      if #pool > 60 then   -- let the oldest go, to the collector
        table.remove(pool, R(#pool))
      end
      if #iters > 20 then table.remove(iters, 1) end
    end
    H.gcparams(200, 100, 13)
    pool, iters = {}, {}
    collectgarbage()
    collectgarbage()
    print(("# chaos: %d finalizers ran"):format(gcs))
    assert.is_true(gcs > 0)
  end)
end)
