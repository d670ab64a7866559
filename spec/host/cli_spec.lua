-- The command line of the real executable: options, usage errors, arg,
-- exit statuses, scripts from files and standard input.
local H = require "spec.helper"

local mb = H.mapbuf

local function lines(s)
  local t = {}
  for l in s:gmatch("[^\n]*\n") do t[#t + 1] = l end
  return t
end

describe("mapbuf command line", function()
  teardown(H.cleanup)

  describe("-h and -v", function()
    it("-h prints a short, complete help on stdout and exits 0", function()
      for _, h in ipairs {"-h", "--help"} do
        local out, code, err = mb {h}
        assert.equal(0, code)
        assert.equal("", err)
        assert.matches("^usage: mapbuf %[options%] script%.lua", out)
        for _, opt in ipairs {"-r", "-w", "-c", "-s SIZE", "-e CODE",
                              "-l NAME", "-i", "-P, --progress",
                              "--sandbox", "-h, --help", "-v, --version"} do
          assert.truthy(out:find("  " .. opt, 1, true), opt)
        end
        assert.truthy(#lines(out) <= 30, "short")
      end
    end)

    it("the man page documents every option -h lists, without groff warnings",
       function()
      local man = H.readfile(H.src .. "/docs/mapbuf.1")
      local help = mb {"-h"}
      local n = 0
      for long in help:gmatch("%-%-(%a+)") do
        n = n + 1
        assert.truthy(man:find("\\-\\-" .. long, 1, true), long)
      end
      for short in help:gmatch("\n  %-(%a)") do
        n = n + 1
        assert.truthy(man:find(".BR \\-" .. short .. " ", 1, true)
                      or man:find(".B \\-" .. short, 1, true), short)
      end
      assert.truthy(n >= 13)
      if select(2, H.run("command -v groff >/dev/null")) == 0 then
        local out = H.run("groff -man -ww -z " .. H.q(H.src .. "/docs/mapbuf.1") .. " 2>&1")
        assert.equal("", out)
      end
    end)

    it("-v prints the version and the Lua release", function()
      for _, v in ipairs {"-v", "--version"} do
        local out, code = mb {v}
        assert.equal(0, code)
        local lua = H.jit and "LuaJIT [^)]+" or "Lua " .. H.plain(_VERSION:match("%d+%.%d+")) .. "%.%d+"
        assert.matches("^mapbuf %d+%.%d+%.%d+ %(" .. lua .. "%)\n$", out)
      end
    end)

    it("-v goes on to run the chunk when there is one", function()
      local out, code = mb {"-v", "-e", "print'ran'"}
      assert.equal(0, code)
      assert.matches("^mapbuf [^\n]+\nran\n$", out)
    end)
  end)

  describe("usage errors exit 2 with a one-line hint", function()
    local cases = {
      {{}, "no script given"},
      {{"-x"}, "unknown option '%-x'"},
      {{"--bogus", "-e", ""}, "unknown option '%-%-bogus'"},
      {{"-s"}, "option '%-s' needs an argument"},
      {{"--size"}, "option '%-%-size' needs an argument"},
      {{"-wx", "-e", ""}, "unknown option '%-x'"},
      {{"--sandbox=1", "-e", ""}, "option '%-%-sandbox=1' takes no argument"},
      {{"--nosuch", "-e", ""}, "unknown option '%-%-nosuch'"},
      {{"-e"}, "option '%-e' needs an argument"},
      {{"-l"}, "option '%-l' needs an argument"},
      {{"-s", "12Q", "-e", ""}, "bad size '12Q'"},
      {{"-s", "", "-e", ""}, "bad size ''"},
      {{"-s", "-5", "-e", ""}, "bad size '%-5'"},
      {{"-s", "99999999999999999999", "-e", ""}, "bad size"},
      {{"-s", "9999999999T", "-e", ""}, "bad size"},
      {{"-r", "-s", "4K", "-e", ""}, "%-s needs %-w or %-c"},
    }
    for _, c in ipairs(cases) do
      it(table.concat(c[1], " "), function()
        local out, code, err = mb(c[1])
        assert.equal(2, code)
        assert.equal("", out)
        local l = lines(err)
        assert.equal(2, #l)
        assert.matches("^mapbuf: " .. c[2], l[1])
        assert.equal("usage: mapbuf [options] script.lua [file ...] [-- arg ...]"
          .. " (try 'mapbuf -h')\n", l[2])
      end)
    end
  end)

  describe("arg", function()
    it("with -e: arg[0] is -e, arg[1..] after --, arg.files the names",
       function()
      local a, b = H.file("aa"), H.file("bbb")
      local out, code = mb {"-e", [[
        print(arg[0], #arg, arg[1], arg[2], #arg.files, arg.files[1] == A,
              arg.files[2] == B, arg[-1] ~= nil)
      ]], a, b, "--", "x", "y z"}
      assert.equal(0, code)
      assert.equal("-e\t2\tx\ty z\t2\tfalse\tfalse\ttrue\n", out)
    end)

    it("arg.files holds the names as given", function()
      local a = H.file("aa")
      local out = mb {"-e", "io.write(arg.files[1])", a}
      assert.equal(a, out)
    end)

    it("with a script: arg[0] is the script, options at negative indices",
       function()
      local s = H.tmpname(".lua")
      H.writefile(s, ("local SCRIPT = %q\n"):format(s)
        .. "print(arg[0] == SCRIPT, arg[-1], arg[-2], #arg, arg[1])")
      local f = H.file("x")
      local out, code = mb {"-r", s, f, "--", "one"}
      assert.equal(0, code)
      assert.equal("true\t-r\t" .. H.bin .. "\t1\tone\n", out)
    end)

    it("-- right after -e means arguments and no files", function()
      local out, code = mb {"-e", "print(#maps, m, #arg, arg[1])", "--", "a"}
      assert.equal(0, code)
      assert.equal("0\tnil\t1\ta\n", out)
    end)

    it("an -e argument that is -- is code, not the end of options",
       function()
      local out, code, err = mb {"-e", "--", "-e", "print(#maps)"}
      assert.equal(0, code, err)
      assert.equal("0\n", out)
    end)

    it("several -e run as one chunk, in order", function()
      local out = mb {"-e", "local x = 2", "-e", "print(x * 21)"}
      assert.equal("42\n", out)
    end)
  end)

  describe("the chunk's arguments", function()
    it("a script gets the maps as ... and no globals m, maps", function()
      local s = H.file([[
        local a, b = ...
        print(select("#", ...), #a, #b, a:sub(1, 2), b:sub(1), m, maps)
      ]], ".lua")
      local out, code = mb {s, H.file("hello"), H.file("xy")}
      assert.equal(0, code)
      assert.equal("2\t5\t2\the\txy\tnil\tnil\n", out)
    end)

    it("-e gets them as ... and as globals m (first) and maps (all)",
       function()
      local out = mb {"-e", [[
        local a, b = ...
        print(a == m, b == maps[2], #maps, #m, #maps[2])
      ]], H.file("hello"), H.file("xy")}
      assert.equal("true\ttrue\t2\t5\t2\n", out)
    end)

    it("an empty file is a zero-length map", function()
      local out, code = mb {"-e", "print(#m, m[1], m:sub(1), tostring(#maps))",
                            H.file("")}
      assert.equal(0, code)
      assert.equal("0\tnil\t\t1\n", out)
      out, code = mb {"-w", "-e", "print(#m)", H.file("")}
      assert.equal(0, code)
      assert.equal("0\n", out)
    end)

    it("a script is read from standard input when it is -", function()
      local f = H.file("abc")
      local out, code = mb({"-", f, "--", "z"},
                           "local m = ...\nprint(arg[0], m:sub(2), arg[1])\nreturn 4")
      assert.equal(4, code)
      assert.equal("-\tbc\tz\n", out)
    end)

    it("a script may start with #!", function()
      local s = H.file("#!/usr/bin/env mapbuf\nprint((...)[1])\n", ".lua")
      local out, code = mb {s, H.file("A")}
      assert.equal(0, code)
      assert.equal("65\n", out)
    end)

    it('require "mapbuf" works inside a script', function()
      local f = H.file("12345")
      local s = H.file(([[
        local mapbuf = require "mapbuf"
        local n = assert(mapbuf.open(%q))
        print(#n, n:sub(2, 3), mapbuf.PAGESIZE > 0, #(...))
      ]]):format(f), ".lua")
      local out, code, err = mb {s, f}
      assert.equal(0, code, err)
      assert.equal("5\t23\ttrue\t5\n", out)
    end)

    it('require "mapbuf.ring" works with no path to the repository', function()
      local err = H.tmpname(".err")
      local out, code = H.run("LUA_PATH=';;' LUA_CPATH=';;' " .. H.q(H.bin)
        .. [[ -e 'local ring = require "mapbuf.ring"
                  local r = ring.create(require("mapbuf").anon(ring.size(128)))
                  r:push("hi") print(r:pop(), ring.VERSION)' 2>]] .. H.q(err))
      assert.equal(0, code, H.readfile(err))
      assert.equal("hi\t2\n", out)
    end)
  end)

  describe("-l", function()
    local dir, mod
    setup(function()
      mod = H.tmpname(".lua")
      H.writefile(mod, "return { answer = 42 }")
      dir = mod:match("^(.*)/")
    end)
    local function env(words)
      -- LUA_PATH for the module; the words after it as mb's
      local name = mod:match("([^/]+)%.lua$")
      for i, w in ipairs(words) do words[i] = w:gsub("MOD", name) end
      local q = {}
      for i, w in ipairs(words) do q[i] = H.q(w) end
      local err = H.tmpname(".err")
      local out, code = H.run("LUA_PATH=" .. H.q(dir .. "/?.lua;;") .. " "
        .. H.q(H.bin) .. " " .. table.concat(q, " ") .. " 2>" .. H.q(err))
      return out, code, H.readfile(err)
    end

    it("sets the global of the module's name, as lua -l", function()
      local out, code = env {"-l", "MOD", "-e", "print(MOD.answer)"}
      assert.equal(0, code)
      assert.equal("42\n", out)
    end)

    it("-l g=NAME sets the global g", function()
      local out, code = env {"-l", "g=MOD", "-e", "print(g.answer, MOD)"}
      assert.equal(0, code)
      assert.equal("42\tnil\n", out)
    end)

    it("-l mapbuf gives the module itself", function()
      local out, code = env {"-l", "mapbuf", "-e",
                             "print(type(mapbuf.open), mapbuf._VERSION ~= nil)"}
      assert.equal(0, code)
      assert.equal("function\ttrue\n", out)
    end)

    it("a module that cannot be found: status 1, its name on stderr",
       function()
      local out, code, err = env {"-l", "no_such_mod_xyz", "-e", "print(1)"}
      assert.equal(1, code)
      assert.equal("", out)
      assert.matches("^mapbuf: module 'no_such_mod_xyz' not found", err)
      assert.truthy(err:find("stack traceback:", 1, true))
    end)
  end)

  describe("exit status", function()
    local cases = {
      {"", 0}, {"return", 0}, {"return 0", 0}, {"return 3", 3},
      {"return 3.0", 3}, {"return 255", 255}, {"return 256 + 7", 7},
      {"return true", 0}, {"return false", 1}, {"return nil", 0},
      {"return 'x'", 0}, {"return 2.5", 0}, {"return 5, 6", 5},
      {"return '3'", 0}, {"return '0x10'", 0},   -- numeral strings are no status
      {"os.exit(6)", 6}, -- 5.1's os.exit takes only numbers (LuaJIT's takes booleans too)
      {"os.exit(true)", (H.luaver == 5.1 and not H.jit) and 1 or 0}, {"os.exit(false)", 1},
      {"os.exit(9, true)", 9},
    }
    for _, c in ipairs(cases) do
      it(("%q gives %d"):format(c[1], c[2]), function()
        local _, code = mb {"-e", c[1]}
        assert.equal(c[2], code)
      end)
    end

    it("an error: status 1, the message and a traceback on stderr",
       function()
      local s = H.file("local function f() error('it broke') end\nf()\n", ".lua")
      local out, code, err = mb {s}
      assert.equal(1, code)
      assert.equal("", out)
      assert.matches("^mapbuf: [^\n]*:1: it broke\nstack traceback:\n", err)
      assert.truthy(err:find("in local 'f'", 1, true)
                    or err:find("in function 'f'", 1, true))
    end)

    it("an error object that is not a string is described", function()
      local _, code, err = mb {"-e", "error({})"}
      assert.equal(1, code)
      assert.matches("^mapbuf: %(error object is a table value%)", err)
      _, code, err = mb {"-e",
        "error(setmetatable({}, {__tostring = function() return 'mine' end}))"}
      assert.equal(1, code)
      assert.equal("mapbuf: mine\n", err)
    end)

    -- SIGINT (Ctrl-C) and SIGTERM: status 1, "interrupted!", to-be-closed
    -- variables closed (Lua 5.4's: elsewhere the rest holds), -w maps
    -- flushed with what the chunk wrote
    for _, c in ipairs({{"INT", "Z"}, {"TERM", "Y"}}) do
      local sig, byte = c[1], c[2]
      it(("SIG%s: status 1, 'interrupted!', to-be-closed variables closed, maps flushed")
         :format(sig), function()
        local f, ready, err = H.file("abc"), H.tmpname(".ready"), H.tmpname(".err")
        local close = H.luaver >= 5.4
        local code = (close and [[
          local guard <close> = setmetatable({}, {__close = function()
            io.stderr:write("closed\n") end})]] or "") .. ([[
          m[1] = %d
          io.open(%q, "w"):close()
          local t = os.clock()
          while os.clock() - t < 10 do end   -- ends by itself if no signal
          print("not interrupted")
        ]]):format(byte:byte(), ready)
        local out = H.run(("%s -w -e %s %s 2>%s & pid=$!; "
          .. "while [ ! -e %s ]; do sleep 0.05; done; kill -%s $pid; wait $pid; echo $?")
          :format(H.q(H.bin), H.q(code), H.q(f), H.q(err), H.q(ready), sig))
        assert.equal("1\n", out)
        assert.matches((close and "^closed\n" or "^") .. "mapbuf: [^\n]*interrupted!\nstack traceback:",
                       H.readfile(err))
        assert.equal(byte .. "bc", H.readfile(f))
      end)
    end

    it("a syntax error: status 1 with the message", function()
      local _, code, err = mb {"-e", "x = = 1"}
      assert.equal(1, code)
      assert.matches("^mapbuf: %(command line%):1: unexpected symbol", err)
    end)

    it("a missing script: status 1, naming it", function()
      local _, code, err = mb {"/nonexistent/script.lua"}
      assert.equal(1, code)
      assert.matches("^mapbuf: cannot open /nonexistent/script%.lua", err)
    end)

    it("a binary chunk runs (outside the sandbox)", function()
      local b = H.tmpname(".luac")
      H.run(H.q(H.lua) .. " -e " .. H.q(("local f = io.open(%q, 'wb') "
        .. "f:write(string.dump((loadstring or load)('print(#(...))'))) f:close()"):format(b)))
      local out, code = mb {b, H.file("four")}
      assert.equal(0, code)
      assert.equal("4\n", out)
    end)
  end)

  describe("many files and the messages of errors", function()
    it("maps any number of files, as arguments and as maps (39 or more crashed)", function()
      local files, sum = {}, 0
      for i = 1, 300 do files[i] = H.file(string.char(64 + i % 26)); sum = sum + 64 + i % 26 end
      local words = {"-e", "local s = 0 for i = 1, select('#', ...) do s = s + select(i, ...)[1] end print(#maps, s)"}
      for _, f in ipairs(files) do words[#words + 1] = f end
      local out, code, err = mb(words)
      assert.equal(0, code, err)
      assert.equal("300\t" .. sum .. "\n", out)
      -- read-write, patched, then the status of the chunk
      words = {"-w", "-e", "for _, m in ipairs(maps) do m[1] = 33 end return 7"}
      for _, f in ipairs(files) do words[#words + 1] = f end
      _, code, err = mb(words)
      assert.equal(7, code, err)
      for _, f in ipairs(files) do assert.equal("!", H.readfile(f)) end
      -- a script file gets them all as ...
      local script = H.file("print(select('#', ...))", ".lua")
      words = {script}
      for _, f in ipairs(files) do words[#words + 1] = f end
      out, code = mb(words)
      assert.equal(0, code)
      assert.equal("300\n", out)
    end)

    it("says 'mapbuf:' once when the module's message names it already", function()
      local f = H.file("abc")
      local _, code, err = mb {"-w", "-e", "m:write(('x'):rep(10))", f}
      assert.equal(1, code)
      assert.matches("^%(command line%):1: mapbuf: write: out of range\n", err)
      _, code, err = mb {"-e", "error('plain')"}
      assert.equal(1, code)
      assert.matches("^mapbuf: %(command line%):1: plain\n", err)
      _, code, err = mb {"-e", "error('mapbuf: mine', 0)"}
      assert.matches("^mapbuf: mine\n", err)
    end)
  end)
end)
