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
    -- (LuaJIT has no position: "return error('one')" tail-calls error)
    assert.matches("^mapbuf: " .. (H.jit and "" or "stdin:1: ") .. "one\nstack traceback:\n", err)
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
    -- A dialogue: each line is written once the prompt before it is seen,
    -- so nothing depends on reading the terminal after the child exits
    -- (Linux may then report EIO before the last output is read).
    local out = H.python(([[
import os, pty, select, subprocess, sys, time
m, s = pty.openpty()
p = subprocess.Popen([%q, "-i"], stdin=s, stdout=s, stderr=s)
os.close(s)
buf = b""
def until(want):
    global buf
    end = time.monotonic() + 20
    while want not in buf:
        left = end - time.monotonic()
        if left <= 0 or not select.select([m], [], [], left)[0]:
            print("timeout waiting for %%r in %%r" %% (want, buf)); sys.exit(1)
        try:
            d = os.read(m, 4096)
        except OSError:
            d = b""
        if not d:
            print("end of output waiting for %%r in %%r" %% (want, buf)); sys.exit(1)
        buf += d.replace(b"\r", b"")
    i = buf.index(want) + len(want)
    seen, buf = buf[:i], buf[i:]
    sys.stdout.write(seen.decode())
until(b"> ")
os.write(m, b"1 + 1\n")
until(b"2\n> ")
os.write(m, b"for i = 1, 1 do\n")
until(b">> ")
os.write(m, b"end\n")
until(b"> ")
os.write(m, b"\x04")
print("status", p.wait(timeout=20))
]]):format(H.bin))
    -- the terminal echoes each line before the output it causes
    assert.equal("> 1 + 1\n2\n> for i = 1, 1 do\n>> end\n> status 0\n", out)
  end)
end)
