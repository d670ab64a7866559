-- How the executable maps its files: -r, -w, -c, -s SIZE, files that
-- cannot be mapped (all or nothing), and flushing before exit.
local H = require "spec.helper"

local mb = H.mapbuf

local function size(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local n = f:seek("end"); f:close(); return n
end

local function exists(path) return size(path) ~= nil end

describe("mapbuf maps", function()
  teardown(H.cleanup)

  describe("-r (the default)", function()
    it("maps read-only: a write raises and the file is unchanged", function()
      for _, opts in ipairs {{}, {"-r"}, {"--read"}} do
        local f = H.file("abc")
        local words = {table.unpack(opts)}
        for _, w in ipairs {"-e", "m[1] = 65", f} do words[#words + 1] = w end
        local out, code, err = mb(words)
        assert.equal(1, code)
        assert.equal("", out)
        assert.matches("read%-only", err)
        assert.truthy(err:find("stack traceback:", 1, true))
        assert.equal("abc", H.readfile(f))
      end
    end)

    it("reads what is in the file", function()
      local out = mb {"-e", "io.write(m:sub(1), #m)", H.file("x\0y")}
      assert.equal("x\0y3", out)
    end)
  end)

  describe("-w", function()
    it("writes reach the file", function()
      for _, w in ipairs {"-w", "--write"} do
        local f = H.file("abcdef")
        local _, code = mb {w, "-e", "m[1] = 65; m:set(5, 'EF')", f}
        assert.equal(0, code)
        assert.equal("AbcdEF", H.readfile(f))
      end
    end)

    it("writes reach the file also when the chunk fails after them",
       function()
      local f = H.file("abcdef")
      local _, code, err = mb {"-w", "-e", "m:set(1, 'XY'); error('late')", f}
      assert.equal(1, code)
      assert.matches("late", err)
      assert.equal("XYcdef", H.readfile(f))
    end)

    it("writes reach the file when the chunk calls os.exit", function()
      local f = H.file("abcdef")
      local _, code = mb {"-w", "-e", "m:set(2, 'ZZ'); os.exit(7)", f}
      assert.equal(7, code)
      assert.equal("aZZdef", H.readfile(f))
      _, code = mb {"-w", "-e", "m:set(2, 'QQ'); os.exit(8, true)", f}
      assert.equal(8, code)
      assert.equal("aQQdef", H.readfile(f))
    end)

    it("every file is writable, and a map the chunk closed is skipped",
       function()
      local a, b = H.file("aaa"), H.file("bbb")
      local _, code = mb {"-w", "-e",
        "maps[1][1] = 49; maps[2][3] = 50; maps[1]:close()", a, b}
      assert.equal(0, code)
      assert.equal("1aa", H.readfile(a))
      assert.equal("bb2", H.readfile(b))
    end)

    it("a map the chunk resized is flushed at its new length", function()
      local f = H.file("abcde")
      local _, code, err = mb {"-w", "-e", "m:resize(10); m:set(8, 'xyz')", f}
      assert.equal(0, code, err)
      assert.equal("abcde\0\0xyz", H.readfile(f))
    end)

    it("a map the chunk finalized by hand is skipped, without a crash",
       function()
      local f = H.file("abc")
      local _, code, err = mb {"-w", "-e",
        "m[1] = 65; local gc = debug.getmetatable(m).__gc; gc(m); gc(m); print(m:closed())", f}
      assert.equal(0, code, err)
      assert.equal("Abc", H.readfile(f))
    end)

    it("a file that cannot be opened for writing: status 1, named",
       function()
      local f = H.file("abc")
      os.execute("chmod 444 " .. H.q(f))
      if io.open(f, "r+b") then return end  -- running as root: no test
      local _, code, err = mb {"-w", "-e", "print(1)", f}
      assert.equal(1, code)
      assert.equal("mapbuf: cannot map '" .. f .. "': Permission denied\n", err)
    end)
  end)

  describe("-c", function()
    it("writes are seen by the chunk and never reach the file", function()
      for _, c in ipairs {"-c", "--copy"} do
        local f = H.file("abcdef")
        local out, code = mb {c, "-e", "m:set(1, 'XYZ'); io.write(m:sub(1))", f}
        assert.equal(0, code)
        assert.equal("XYZdef", out)
        assert.equal("abcdef", H.readfile(f))
      end
    end)

    it("the last of -r, -w, -c wins", function()
      local f = H.file("abc")
      mb {"-c", "-w", "-e", "m[1] = 90", f}
      assert.equal("Zbc", H.readfile(f))
      mb {"-w", "-c", "-e", "m[1] = 89", f}
      assert.equal("Zbc", H.readfile(f))
      local _, code = mb {"-w", "-r", "-e", "m[1] = 89", f}
      assert.equal(1, code)
    end)
  end)

  describe("-s SIZE", function()
    local sizes = {
      {"0", 0}, {"100", 100}, {"4K", 4096}, {"4k", 4096}, {"1M", 1048576},
      {"2KiB", 2048}, {"3KB", 3072}, {"10B", 10}, {"1G", 1073741824},
    }
    for _, s in ipairs(sizes) do
      it(("creates a file of %s bytes"):format(s[1]), function()
        local f = H.tmpname()
        local out, code, err = mb {"-s", s[1], "-e", "print(#m)", f}
        assert.equal(0, code, err)
        assert.equal(s[2] .. "\n", out)
        assert.equal(s[2], size(f))
      end)
    end

    it("2G: a sparse file of 2 GiB (32-bit: a clear error, no file)", function()
      local f = H.tmpname()
      if H.bits == 32 then   -- runs in the i686 run of .ci/cross
        local out, code, err = mb {"--size", "2G", "-e", "print(#m)", f}
        assert.equal(1, code)
        assert.equal("", out)
        assert.equal("mapbuf: cannot map '" .. f .. "': size is too large to map\n", err)
        assert.is_nil(size(f))
        return
      end
      local out, code = mb {"--size", "2G", "-e", "m[-1] = 7; print(#m)", f}
      assert.equal(0, code)
      assert.equal("2147483648\n", out)
      assert.equal(2147483648, size(f))
      local h = io.open(f, "rb"); h:seek("set", 2147483647)
      assert.equal("\7", h:read(1)); h:close()
      os.remove(f)
    end)

    it("extends a smaller file, keeping its bytes, and implies -w",
       function()
      local f = H.file("hello")
      local _, code = mb {"-s", "1K", "-e", "m[1024] = 33", f}
      assert.equal(0, code)
      local s = H.readfile(f)
      assert.equal(1024, #s)
      assert.equal("hello" .. ("\0"):rep(1018) .. "!", s)
    end)

    it("never shrinks a larger file", function()
      local f = H.file(("x"):rep(5000))
      local out, code = mb {"-s", "4K", "-e", "print(#m)", f}
      assert.equal(0, code)
      assert.equal("5000\n", out)
      assert.equal(5000, size(f))
    end)

    it("with -c: the file gets the size, the chunk's writes do not reach it",
       function()
      local f = H.file("ab")
      local out, code = mb {"-c", "-s", "8", "-e",
                            "m:set(1, 'ZZZZZZZZ'); print(#m, m:sub(1))", f}
      assert.equal(0, code)
      assert.equal("8\tZZZZZZZZ\n", out)
      assert.equal("ab" .. ("\0"):rep(6), H.readfile(f))
    end)

    it("creates every file named", function()
      local a, b = H.tmpname(), H.tmpname()
      local _, code = mb {"-s", "16", "-e", "m[1] = 1; maps[2][16] = 2", a, b}
      assert.equal(0, code)
      assert.equal("\1" .. ("\0"):rep(15), H.readfile(a))
      assert.equal(("\0"):rep(15) .. "\2", H.readfile(b))
    end)
  end)

  describe("a file that cannot be mapped", function()
    it("missing: its name on stderr, status 1, the chunk does not run",
       function()
      local a = H.file("abc")
      local missing = H.tmpname(".none")
      local out, code, err = mb {"-w", "-e", "m[1] = 65; print'ran'", a, missing}
      assert.equal(1, code)
      assert.equal("", out)
      assert.equal("mapbuf: cannot map '" .. missing
                   .. "': No such file or directory\n", err)
      assert.equal("abc", H.readfile(a))
    end)

    it("a directory: named, status 1", function()
      local dir = H.tmpname(".d")
      os.execute("mkdir " .. H.q(dir))
      local _, code, err = mb {"-e", "print'ran'", dir}
      assert.equal(1, code)
      assert.matches("^mapbuf: cannot map '" .. dir:gsub("%p", "%%%0") .. "': ",
                     err)
    end)

    it("a FIFO or a pipe: 'not a regular file', without blocking", function()
      local fifo = H.tmpname(".fifo")
      os.execute("mkfifo " .. H.q(fifo))
      local out, code = H.run("timeout 10 " .. H.q(H.bin) .. " -e 'print(#m)' "
                              .. H.q(fifo) .. " 2>&1; echo $?")
      assert.equal("mapbuf: cannot map '" .. fifo .. "': not a regular file\n1\n", out)
      out = H.run("echo hi | " .. H.q(H.bin) .. " -e 'print(#m)' /dev/stdin 2>&1; echo $?")
      assert.equal("mapbuf: cannot map '/dev/stdin': not a regular file\n1\n", out)
    end)

    it("with -s: files made or extended before it are put back", function()
      local small = H.file("tiny")
      local fresh = H.tmpname(".new")
      local dir = H.tmpname(".d")
      os.execute("mkdir " .. H.q(dir))
      local out, code, err = mb {"-s", "1M", "-e", "print'ran'",
                                 small, fresh, dir}
      assert.equal(1, code)
      assert.equal("", out)
      assert.matches("cannot map '" .. dir:gsub("%p", "%%%0") .. "'", err)
      assert.equal("tiny", H.readfile(small))
      assert.is_false(exists(fresh))
    end)

    it("with -s in a directory that does not exist: named, nothing made",
       function()
      local a = H.tmpname()
      local bad = H.tmpname(".d") .. "/sub/file"
      local _, code, err = mb {"-s", "4K", "-e", "", a, bad}
      assert.equal(1, code)
      assert.equal("mapbuf: cannot map '" .. bad
                   .. "': No such file or directory\n", err)
      assert.is_false(exists(a))
    end)

    it("-s larger than the file system or memory allows: named, nothing left",
       function()
      local a = H.tmpname()
      local out, code, err = mb {"-s", "9000T", "-e", "print'ran'", a}
      assert.equal(1, code)
      assert.equal("", out)
      assert.matches("^mapbuf: cannot map '" .. a:gsub("%p", "%%%0") .. "': ", err)
      assert.is_false(exists(a))
    end)

    it("the chunk is compiled first: a syntax error creates nothing",
       function()
      local a = H.tmpname()
      local _, code = mb {"-s", "4K", "-e", "x = = 1", a}
      assert.equal(1, code)
      assert.is_false(exists(a))
    end)
  end)
end)
