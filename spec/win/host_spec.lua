-- host_spec.lua - mapbuf.exe, the host, on Windows: the files it maps are
-- the chunk's arguments; -w and -s write and create, -o grows an output,
-- -i reads a prompt's lines (no getline there), errors exit 1 and usage
-- errors 2.  Run from the build directory, beside mapbuf.exe and
-- lua54.dll.
local H = require "helper"

local exe = "mapbuf.exe"

H.test("-v names mapbuf and its Lua", function()
  local out, code = H.run(exe .. " -v")
  assert(code == 0 and out:match("^mapbuf %d+%.%d+%.%d+ %(Lua 5%.4"), out)
end)

H.test("each file is a map passed to the chunk", function()
  local f = H.tmpname("h")
  H.writefile(f, "hello")
  local out, code = H.run(exe .. [[ -e "local m = ...; print(#m, m:sub(1), m:find('l'))" ]] .. f)
  assert(code == 0 and out == "5\thello\t3\t3\n", out)
end)

H.test("-w -s creates the file at the size and writes reach it", function()
  local f = H.tmpname("s")
  local out, code = H.run(exe .. [[ -w -s 100000 -e "local m = ...; m[100000] = 65; m:set(1, 'top')" ]] .. f)
  assert(code == 0, out)
  local s = H.readfile(f)
  assert(#s == 100000 and s:sub(1, 3) == "top" and s:byte(-1) == 65)
end)

H.test("-o: an output that grows as it is written, exactly as long at exit", function()
  local f = H.tmpname("o")
  local out, code = H.run(exe .. [[ -e "local o = ...; for i = 1, 1000 do o:write('line ', i, '\n') end" -o ]] .. f)
  assert(code == 0, out)
  local s = H.readfile(f)
  assert(s:sub(1, 7) == "line 1\n" and s:sub(-10) == "line 1000\n", s:sub(-20))
  local n = 0
  for _ in s:gmatch("\n") do n = n + 1 end
  assert(n == 1000)
end)

H.test("-i: lines from standard input, results printed", function()
  local f = H.tmpname("i")
  H.writefile(f, "abc")
  local out, code = H.run(exe .. " -i " .. f, "x = 20 + 1\nreturn x * 2\n")
  assert(code == 0 and out:find("42\n", 1, true), out)
end)

H.test("an error exits 1 with a traceback; a usage error 2", function()
  local out, code = H.run(exe .. [[ -e "error('boom')"]])
  assert(code == 1 and out:find("boom") and out:find("traceback"), tostring(code) .. out)
  out, code = H.run(exe .. " --no-such-option")
  assert(code == 2 and out:find("usage"), out)
  out, code = H.run(exe .. " -e x=1 no-such-file.bin")
  assert(code == 1 and out:find("no%-such%-file"), out)
end)

H.done()
