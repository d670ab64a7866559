-- Host memory lent to Lua with mapbuf_pushmemory, driven through a small
-- test host (spec/embed/hostmem.c) built against the installed tree: the
-- same life cycle as file maps (close, collection, views, errors), the
-- glue's checkmap/testmap, two lua_States sharing one buffer, and two
-- threads each with its own lua_State working on it with atomics.
local H = require "spec.helper"
local P = require "spec.embed.prefix"

local q = H.q
local exe

-- Small checks for the scripts the host runs; they raise with a message
-- the spec then shows.
local prelude = [[
-- what 5.1 and LuaJIT lack, as the scripts use it
local load = loadstring or load
table.pack = table.pack or function(...) return {n = select("#", ...), ...} end
table.unpack = table.unpack or unpack
local function eq(want, got, what)
  if want ~= got then
    error(("%s: expected %s, got %s"):format(what or "value",
          tostring(want), tostring(got)), 2)
  end
end
local function raises(want, f, ...)
  local ok, e = pcall(f, ...)
  if ok then error("no error, expected: " .. want, 2) end
  if not tostring(e):find(want, 1, true) then
    error(("expected error %q, got %q"):format(want, tostring(e)), 2)
  end
end
]]

-- Run code in the test host; returns what the script printed (without the
-- host's closing report), the report as {id = {pushed, released}}, and
-- the exit status.  stderr goes into the output, for messages.
local function host(code)
  local f = H.file(prelude .. code, ".lua")
  local out, status = P.sh(q(exe) .. " " .. q(f))
  local report = {}
  local printed = out:gsub("buffer (%d+): pushed (%d+) released (%d+)\n", function(id, p, r)
    report[tonumber(id)] = {tonumber(p), tonumber(r)}
    return ""
  end)
  return printed, report, status
end

-- Run code that must succeed, with every map released exactly once.
local function ok(code)
  local out, report, status = host(code)
  assert.equals(0, status, out)
  for id, pr in pairs(report) do
    assert.equals(pr[1], pr[2], "buffer " .. id .. ": maps lent vs. released")
  end
  return out, report
end

describe("mapbuf_pushmemory", function()
  setup(function()
    local prefix = P.prefix()
    exe = H.tmpname("-hostmem")
    local out, code = P.sh("export " .. P.pkgenv() .. "&& cc -std=c11 -Wall -Wextra -Werror -O1 -g "
      .. P.sanflags .. " -o " .. q(exe) .. " " .. q(H.src .. "/spec/embed/hostmem.c")
      .. " $(pkg-config --cflags --libs mapbuf-lua) -lpthread -Wl,-rpath," .. q(prefix .. "/lib"))
    assert(code == 0, "building hostmem failed:\n" .. out)
  end)
  teardown(H.cleanup)

  describe("host memory lent to Lua", function()

    it("is a map with every method, over the host's own bytes (no copy)", function()
      ok [[
        local m, id = host.new("hello world")
        eq(11, #m); eq(104, m[1]); eq(100, m[-1]); eq(nil, m[12])
        eq("hello", m:sub(1, 5)); eq(7, m:find("wor", 1, true)); eq("world", m:match("%a+$"))
        m[1] = 72; m:set(7, "W")
        eq("Hello World", host.peek(id), "the host sees Lua's writes")
        host.poke(id, 0, "J")
        eq("Jello World", m:sub(1), "Lua sees the host's writes")
        eq("Jello", m:read(5)); eq(5, m:tell()); m:write("_"); eq("Jello_World", host.peek(id))
        eq(3, select("#", m:byte(1, 3)))
        eq(11, m:pack(9, "<I2", 0x4241)); eq("Jello_WoABd", host.peek(id))
        eq(0x4241, (m:unpack("<I2", 9)))
        m:fill("-", 1, 5); m:move(7, 1, 2); eq("-----_--ABd", host.peek(id))
        eq(11, m:size()); eq(true, m:flush()); eq(true, m:madvise("willneed"))
        eq("mapbuf.map(length=11, access=write, pos=6, offset=0)", tostring(m))
        local n = 0; for _ in m:gmatch("%-") do n = n + 1 end; eq(7, n)
      ]]
    end)

    it("close: release runs once, at close; close again and collection do nothing more", function()
      local out = ok [[
        local m, id = host.new("abcdef")
        eq(false, m:closed()); eq(0, host.released(id))
        eq(true, m:close()); eq(1, host.released(id))
        eq(true, m:closed()); eq(true, m:close()); eq(1, host.released(id))
        collectgarbage(); collectgarbage(); eq(1, host.released(id))
        -- the host may now take its memory away: nothing touches it again
        host.free(id)
        eq("mapbuf.map(closed)", tostring(m))
        local n = 0
        -- the methods are the first upvalue of __index (which also serves m[i]);
        -- 5.1's debug.getupvalue does not open C functions: the methods of
        -- another map there, by name
        local _, methods = debug.getupvalue(getmetatable(m).__index, 1)
        if not methods then
          methods = {}
          for _, k in ipairs({"byte", "sub", "set", "find", "match", "read", "write",
                              "seek", "view", "flush", "resize", "fill", "move"}) do
            methods[k] = mapbuf.anon(1)[k]
          end
        end
        for name, f in pairs(methods) do
          if name ~= "close" and name ~= "closed" then
            raises("mapbuf: map is closed", f, m, 1, 1, 1)
            n = n + 1
          end
        end
        raises("mapbuf: map is closed", function() return #m end)
        raises("mapbuf: map is closed", function() return m[1] end)
        raises("mapbuf: map is closed", function() m[1] = 1 end)
        print(n)
      ]]
      local least = (H.luaver == 5.1 and not H.jit) and 13 or 30   -- 5.1: the named ones
      assert.is_true(tonumber(out) >= least, "every method was tried: " .. out)
    end)

    it("collection: release runs once when the map is collected, or at lua_close", function()
      -- to-be-closed on Lua 5.4; close() by hand on the others
      local close = H.luaver >= 5.4 and 'do local m <close> = host.new("to-be-closed") end'
                    or 'do local m = host.new("to-be-closed"); m:close() end'
      local _, report = ok([[
        do local m, id = host.new("abc"); eq(0, host.released(id)) end
        collectgarbage(); collectgarbage()
        eq(1, host.released(1))
        ]] .. close .. [[

        eq(1, host.released(2))
        KEEP = host.new("kept in a global")
        eq(0, host.released(3))
      ]])
      assert.same({{1, 1}, {1, 1}, {1, 1}}, report)   -- 3: released by lua_close
    end)

    it("views: zero-copy, keep the map alive, close with it", function()
      ok [[
        local m, id = host.new("0123456789")
        local v = m:view(3, 6)
        eq("2345", v:sub(1)); eq(4, #v)
        v:set(1, "ab"); eq("01ab456789", host.peek(id))
        local vv = v:view(2, 3); eq("b4", vv:sub(1))
        eq(4, select(1, host.check(v))); eq("b4", select(3, host.check(vv)))
        -- a view alone keeps its map (and the host's loan) alive
        m = nil; collectgarbage(); collectgarbage()
        eq(0, host.released(id)); eq("ab45", v:sub(1))
        v, vv = nil, nil; collectgarbage(); collectgarbage()
        eq(1, host.released(id))
        -- closing a view closes only the view; closing the map closes its views
        local m2, id2 = host.new("abcdef")
        local a, b = m2:view(1, 2), m2:view(3)
        a:close(); raises("mapbuf: map is closed", a.sub, a, 1)
        eq("cdef", b:sub(1)); eq(0, host.released(id2))
        m2:close(); eq(1, host.released(id2))
        raises("mapbuf: map is closed", b.sub, b, 1)
        raises("mapbuf: map is closed", function() return b[1] end)
        eq(nil, host.test(b))
        raises("mapbuf: map is closed", host.check, b)
      ]]
    end)

    it("errors: resize is refused, read-only memory refuses every write", function()
      ok [[
        local m, id = host.new("abcdef")
        raises("mapbuf: resize: cannot resize borrowed memory", function() m:resize(3) end)
        raises("mapbuf: resize: cannot resize borrowed memory", function() m:resize(6) end)
        eq(6, #m)
        raises("mapbuf: resize: cannot resize a view", function() m:view(1, 2):resize(1) end)
        raises("to 'set' (out of range)", function() m:set(8, "x") end)
        raises("string does not fit", function() m:set(5, "xyz") end)
        local r, rid = host.new("abcdef", false)
        eq("abcdef", r:sub(1)); eq(98, r[2])
        local writes = {
          function() r[1] = 65 end, function() r:set(1, "A") end,
          function() r:fill(0) end, function() r:move(1, 2, 1) end,
          function() r:write("A") end, function() r:write_byte(65) end,
          function() r:pack(1, "B", 65) end, function() r:view(2):set(1, "A") end,
          function() r:atomic_store(1, 0, 32) end, function() r:atomic_add(1, 1, 32) end,
          function() r:cas(1, 0, 1, 32) end,
        }
        for i, w in ipairs(writes) do raises("read-only", w) end
        eq("abcdef", host.peek(rid), "nothing was written")
        eq(true, r:flush())
        raises("resize", function() r:resize(1) end)
        -- no file and no shared memory behind host memory: no locks
        raises("mapbuf: lock:", function() m:lock() end)
        eq(false, select(2, host.check(r)))
      ]]
    end)

    it("zero-length memory is an empty map", function()
      ok [[
        local m, id = host.new("")
        eq(0, #m); eq(nil, m[1]); eq("", m:sub(1)); eq("", m:read("a"))
        eq(0, select(1, host.check(m)))
        m:close(); eq(1, host.released(id))
      ]]
    end)

    it("checkmap and testmap give the host the live bytes, or refuse", function()
      ok [[
        local m = host.new("abcd")
        local len, w, s = host.check(m); eq(4, len); eq(true, w); eq("abcd", s)
        len, w, s = host.test(m:view(2, 3)); eq(2, len); eq(true, w); eq("bc", s)
        eq(nil, host.test("abcd")); eq(nil, host.test(io.stdout)); eq(nil, host.test(nil))
        raises("bad argument #1 to 'check' (mapbuf.map expected, got string)",
          function() host.check("abcd") end)
        raises("mapbuf.map expected, got FILE*", host.check, io.stdout)
        local f = assert(mapbuf.anon(8))
        eq(8, host.check(f))
        m:close()
        eq(nil, host.test(m))
        raises("mapbuf: map is closed", host.check, m)
      ]]
    end)

    it("refuses NULL memory with a length, pushing nothing and releasing nothing", function()
      local out = ok [[print(host.pushnull())]]
      assert.equals("-2\tfalse\n", out)
    end)

    it("a core map handed over with mapbuf_pushmap belongs to Lua", function()
      local _, report = ok [[
        local m0, id = host.new("abcdef"); m0:close()
        local m = host.wrap(id)
        eq("abcdef", m:sub(1)); m[1] = 65; eq("Abcdef", host.peek(id))
        raises("cannot resize borrowed memory", function() m:resize(1) end)
        m = nil; collectgarbage(); collectgarbage()
        eq(2, host.pushed(id)); eq(2, host.released(id))
        local r = host.wrap(id, false)
        raises("read-only", function() r[1] = 1 end)
        r:close(); eq(3, host.released(id))
      ]]
      assert.same({{3, 3}}, report)
    end)

    it("out of memory: pushmap still frees its core, pushmemory owes nothing", function()
      local out = ok [[
        local _, a = host.new("pushmap")
        print(host.oom(a, "pushmap"), host.pushed(a), host.released(a))
        local _, b = host.new("pushmemory")
        print(host.oom(b, "pushmemory"), host.pushed(b), host.released(b))
      ]]
      -- pushmap: the core lent once more, freed (released) by the failed
      -- push, which raises the memory error again: a memory error on 5.4,
      -- a runtime error with the same message on the others (lua_error
      -- cannot raise a memory error there)
      -- pushmemory: nothing lent, nothing released; the host keeps its memory
      local again = H.luaver >= 5.4 and "memory error" or "runtime error: not enough memory"
      assert.equals(again .. "\t2\t1\nmemory error\t1\t0\n", out)
    end)

    it("a failing script leaves every loan released once, by lua_close", function()
      local out, report, status = host [[
        local a = host.new("abc"); local b = host.new("xyz", false); b:view(1)
        b[1] = 1
      ]]
      assert.equals(1, status)
      assert.matches("read%-only", out)
      assert.same({{1, 1}, {1, 1}}, report)
    end)
  end)

  -- The same life-cycle transcript for a file map and for host memory: every
  -- step's results or error message, as text, must agree.
  describe("host memory and file maps", function()

    local steps = [[
      local make = ...
      local out = {}
      local function step(name, f)
        local r = table.pack(pcall(f))
        for i = 1, r.n do r[i] = tostring(r[i]) end
        out[#out + 1] = name .. ": " .. table.concat(r, " ", 1, r.n)
      end
      local m = make("The quick brown fox", true)
      step("len", function() return #m, m[1], m[-1], m[20], m[0] end)
      step("sub", function() return m:sub(5, 9), m:sub(-3), m:byte(1, 3) end)
      step("find", function() return m:find("q(%a+)"), m:rfind("o") end)
      step("set", function() m:set(5, "QUICK"); return m:sub(1) end)
      step("setbad", function() return m:set(19, "xx") end)
      step("newindex", function() m[1] = 116; m[-1] = 88; return m:sub(1) end)
      step("newindexbad", function() m[20] = 1 end)
      step("newindexval", function() m[1] = 256 end)
      step("stream", function() m:seek("set", 4); return m:read(5), m:tell(), m:read("a") end)
      step("write", function() m:seek("set", 0); m:write("THE"); return m:tell(), m:sub(1) end)
      step("writebad", function() m:seek("end"); return m:write("x") end)
      step("atomics", function() return m:atomic_load(1, 32) ~= nil, m:atomic_load(2, 32) end)
      local v = m:view(5, 9)
      step("view", function() return #v, v:sub(1), tostring(v) end)
      step("viewset", function() v:set(1, "slow!"); return m:sub(1) end)
      step("viewresize", function() return v:resize(2) end)
      step("viewclose", function() v:close(); return v:closed(), m:closed(), v:sub(1) end)
      local w = m:view(11)
      step("tostring", function() return tostring(m), m:size(), m:flush(), m:madvise("normal") end)
      step("close", function() return m:close(), m:closed(), m:close() end)
      step("closedview", function() return w:closed(), w:sub(1) end)
      step("closedlen", function() return #m end)
      step("closedindex", function() return m[1] end)
      for _, name in ipairs {"byte", "sub", "set", "fill", "move", "size", "resize",
                             "flush", "madvise", "view", "seek", "read", "write",
                             "find", "match", "gmatch", "rfind", "unpack", "pack",
                             "atomic_load", "cas", "tell", "lines", "readline"} do
        step("closed " .. name, function() return m[name](m, {}, "x") end)
      end
      step("tostringclosed", function() return tostring(m) end)
      local r = make("read only", false)
      step("ro", function() return r:sub(1), r[1], #r end)
      for _, name in ipairs {"set", "fill", "write", "pack", "move", "write_byte"} do
        step("ro " .. name, function() return r[name](r, 1, "x", 1) end)
      end
      step("ro newindex", function() r[1] = 1 end)
      step("ro flush", function() return r:flush() end)
      r:close()
      return table.concat(out, "\n")
    ]]

    it("go through the same steps with the same results", function()
      local dir = H.tmpname("-files")
      os.execute("mkdir " .. q(dir))
      local out = ok([[
        local steps = load(]] .. ("%q"):format(steps) .. [[)
        local n = 0
        local function file(s, writable)
          n = n + 1
          local p = ]] .. ("%q"):format(dir) .. [[ .. "/" .. n
          local f = assert(io.open(p, "wb")); f:write(s); f:close()
          return assert(mapbuf.open(p, writable and "r+" or "r"))
        end
        local a, b = steps(file), steps(host.new)
        print(a == b)
        if a ~= b then print(a); print("----"); print(b) end
        print(a)
      ]])
      assert.matches("^true\n", out)
      -- and the transcript holds what the steps are about
      assert.matches("\nlen: true 19 84 120 nil nil\n", out, 1, true)
      -- (LuaJIT counts self in a tail-called method: #3 there)
      assert.matches("\nsetbad: false [^\n]*bad argument #" .. (H.jit and 3 or 2)
                     .. " to 'set' %(string does not fit%)\n", out)
      -- (the position is missing where LuaJIT tail-called the raising C function)
      assert.matches("\nviewresize: false [^\n]*mapbuf: resize: cannot resize a view\n", out)
      assert.matches("\nclosed byte: false [^\n]*mapbuf: map is closed\n", out)
      assert.matches("\nclosedview: false [^\n]*mapbuf: map is closed\n", out)
      assert.matches("\nro set: false [^\n]*read%-only\n", out)
      assert.matches("\nro flush: true true\n", out, 1, true)
    end)
  end)

  describe("two lua_States sharing one buffer", function()

    it("see each other's writes at once; each map has its own life", function()
      local _, report = ok [[
        local m, id = host.new(string.rep("\0", 16))
        local st = host.state()
        st:push(id, true, "m"); st:push(id, false, "r")
        eq(2, host.pushed(id) - 1)
        m:set(1, "from A")
        eq("from A", st:run("return m:sub(1, 6)"))
        st:run("m:set(9, 'from B')")
        eq("from B", m:sub(9, 14))
        -- atomics from both sides land on the same word
        m:atomic_store(1, 5); st:run("m:atomic_add(1, 10)"); eq(15, m:atomic_load(1))
        eq("true", st:run("return select(1, m:cas(1, 15, 99))")); eq(99, m:atomic_load(1))
        -- the read-only map of the other state refuses writes; ours still writes
        raises("read-only", st.run, st, "r[1] = 0")
        -- closing B's map releases that loan only; A's map goes on
        st:run("m:close()"); eq(1, host.released(id))
        raises("mapbuf: map is closed", st.run, st, "return m[1]")
        eq(99, m:atomic_load(1)); m[16] = 1; eq(1, (st:run("return r[16]")) + 0)
        -- closing B's state releases what it still holds
        st:close(); eq(2, host.released(id))
        eq(16, #m)
      ]]
      assert.same({{3, 3}}, report)
    end)
  end)

  describe("two threads, each with its own lua_State, on one buffer", function()

    it("count exactly with atomic_add, 64 and 32 bits", function()
      local out = ok [[
        local m, id = host.new(string.rep("\0", 64))
        local r = {host.threads(id, [=[
          local m, who, n = ...
          for i = 1, n do m:atomic_add(1, 1); m:atomic_add(9, 3, 32) end
          return who
        ]=], 200000)}
        eq(true, r[1], r[2]); eq("1", r[2]); eq(true, r[3], r[4]); eq("2", r[4])
        print(m:atomic_load(1), m:atomic_load(9, 32))
        eq(3, host.pushed(id)); eq(2, host.released(id))   -- each thread's lua_close
      ]]
      assert.equals("400000\t1200000\n", out)
    end)

    it("make a lock with cas that guards plain reads and writes", function()
      local out = ok [[
        local m, id = host.new(string.rep("\0", 64))
        local r = {host.threads(id, [=[
          local m, who, n = ...
          for i = 1, n do
            while not m:cas(1, 0, who, 32) do end      -- lock word at 1
            local v = m:unpack("=i8", 17)              -- plain, under the lock
            m:pack(17, "=i8", v + 1)
            m:atomic_store(1, 0, 32)                   -- unlock
          end
        ]=], 50000)}
        eq(true, r[1], r[2]); eq(true, r[3], r[4])
        print((m:unpack("=i8", 17)))
      ]]
      assert.equals("100000\n", out)
    end)

    it("wait and wake each other (futex) across the two states", function()
      local out = ok [[
        local m, id = host.new(string.rep("\0", 64))
        local r = {host.threads(id, [=[
          local m, who, rounds = ...
          local sleeps = 0
          for k = 0, rounds - 1 do
            local mine = 2 * k + who - 1                -- 1 plays even, 2 odd
            while true do
              local v = m:atomic_load(25, 32)
              if v == mine then break end
              if not m:wait(25, v, 5) then error("no wake in 5 s at " .. v) end
              sleeps = sleeps + 1
            end
            m:atomic_store(25, mine + 1, 32)
            m:wake(25)
          end
          return sleeps
        ]=], 2000)}
        eq(true, r[1], r[2]); eq(true, r[3], r[4])
        print(m:atomic_load(25, 32))
      ]]
      assert.equals("4000\n", out)
    end)
  end)
end)
