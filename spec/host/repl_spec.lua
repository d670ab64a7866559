-- -i: the prompt, fed through a pipe (and once through a terminal).
local H = require "spec.helper"

local mb = H.mapbuf

describe("mapbuf -i", function()
  teardown(H.cleanup)

  it("maps every name and prints what each line returns, like lua", function()
    local a, b = H.file("hello"), H.file("ab")
    local out, code, err = mb({"-i", a, b}, table.concat({
      "#m", "m:sub(1, 4)", "#maps, #maps[2]", "1, 'x', nil, true",
      "x = 5", "x * 2", "nil", "arg.files[2] == B", "", "m[1]", ""}, "\n"))
    assert.equal(0, code)
    assert.equal("", err)
    assert.equal("5\nhell\n2\t2\n1\tx\tnil\ttrue\n10\nnil\nfalse\n104\n", out)
  end)

  it("reads more lines while a statement is incomplete", function()
    local out, code = mb({"-i"}, "function f(a,\nb)\nreturn a +\nb end\nf(2, 3)\n"
                         .. "for i = 1, 2 do\nprint(i)\nend\n")
    assert.equal(0, code)
    assert.equal("5\n1\n2\n", out)
  end)

  it("an error is reported on stderr and the prompt goes on", function()
    local out, code, err = mb({"-i"}, "error('one')\nx = = 2\n1 + 1\n")
    assert.equal(0, code)
    assert.equal("2\n", out)
    assert.matches("^mapbuf: stdin:1: one\nstack traceback:\n", err)
    assert.matches("\nmapbuf: stdin:1: unexpected symbol near '='\n$", err)
  end)

  it("a statement cut off by the end of input is reported", function()
    local out, code, err = mb({"-i"}, "for i = 1, 2 do\n")
    assert.equal(0, code)
    assert.equal("", out)
    assert.matches("^mapbuf: stdin:%d: 'end' expected", err)
  end)

  it("values with __tostring print through it; a failing one is reported",
     function()
    local out, code, err = mb({"-i"}, table.concat({
      "setmetatable({}, {__tostring = function() return 'T' end})",
      "setmetatable({}, {__tostring = function() error('bad') end})",
      "'after'"}, "\n"))
    assert.equal(0, code)
    assert.equal("T\nafter\n", out)
    assert.matches("bad", err)
  end)

  it("runs after -e, which sees the same state; the maps are globals",
     function()
    local out, code = mb({"-e", "x = #m", "-i", H.file("1234")}, "x\nm[2]\n")
    assert.equal(0, code)
    assert.equal("4\n50\n", out)
  end)

  it("does not start when the chunk fails", function()
    local out, code = mb({"-e", "error('no')", "-i"}, "print('prompt ran')\n")
    assert.equal(1, code)
    assert.equal("", out)
  end)

  it("os.exit at the prompt sets the status; -w maps reach the file",
     function()
    local f = H.file("abc")
    local out, code = mb({"-w", "-i", f}, "m[1] = 66\nos.exit(3)\nprint'not here'\n")
    assert.equal(3, code)
    assert.equal("", out)
    assert.equal("Bbc", H.readfile(f))
  end)

  it("empty input ends at once with status 0", function()
    local out, code, err = mb({"-i"}, "")
    assert.equal(0, code)
    assert.equal("", out)
    assert.equal("", err)
  end)

  it("shows prompts on a terminal", function()
    local out = H.python(([[
import os, pty, subprocess, time
m, s = pty.openpty()
p = subprocess.Popen([%q, "-i"], stdin=s, stdout=s, stderr=s)
os.close(s)
os.write(m, b"1 + 1\nfor i = 1, 1 do\nend\n\x04")
buf = b""
while True:
    try:
        d = os.read(m, 4096)
    except OSError:
        break
    if not d:
        break
    buf += d
p.wait()
print(buf.decode().replace("\r", ""), end="")
]]):format(H.bin))
    -- the terminal echoes the input, interleaved with the output
    assert.truthy(out:find("2\n", 1, true), out)
    assert.equal(1, select(2, out:gsub(">> ", "")), out)
    assert.equal(4, select(2, out:gsub(">>? ", "")), out)  -- 3 "> ", 1 ">> "
  end)
end)
