-- -P/--progress: a bar on stderr only when stderr is a terminal.
local H = require "spec.helper"

local mb = H.mapbuf

-- Run mapbuf with stderr on a pseudo-terminal; returns stdout, what the
-- terminal got, and the exit status (as "out\0tty\0status").
local function ontty(words)
  local list = {}
  for i, w in ipairs(words) do list[i] = ("%q"):format(w) end
  local res = H.python(([[
import os, pty, subprocess, sys
m, s = pty.openpty()
p = subprocess.Popen([%q, %s], stdin=subprocess.DEVNULL,
                     stdout=subprocess.PIPE, stderr=s)
os.close(s)
out = p.stdout.read()
tty = b""
while True:
    try:
        d = os.read(m, 65536)
    except OSError:
        break
    if not d:
        break
    tty += d
p.wait()
sys.stdout.buffer.write(out + b"\0" + tty + b"\0" + str(p.returncode).encode())
]]):format(H.bin, table.concat(list, ", ")))
  local out, tty, status = res:match("^(.-)%z(.-)%z(%d+)$")
  return out, tty, tonumber(status)
end

-- A chunk that moves the first map's cursor from 0 to the end in d seconds
-- of CPU time (0.5 by default; a bar needs more than one 0.2 s tick).
local function sweeping(d)
  return ([[
  local t0 = os.clock()
  repeat
    local f = (os.clock() - t0) / %g
    m:seek("set", math.min(#m, math.floor(#m * f)))
  until f >= 1
  print("done", m:tell())
]]):format(d)
end
local sweep = sweeping(0.5)

describe("mapbuf --progress", function()
  teardown(H.cleanup)

  it("draws nothing when stderr is not a terminal", function()
    local f = H.file(("x"):rep(100000))
    for _, p in ipairs {"-P", "--progress"} do
      local out, code, err = mb {p, "-e", sweeping(0.05), f}
      assert.equal(0, code)
      assert.equal("done\t100000\n", out)
      assert.equal("", err)
    end
  end)

  it("follows the first map's cursor on a terminal: percent, rate, time left",
     function()
    local f = H.file(("x"):rep(1048576))
    local out, tty, status = ontty {"-P", "-e", sweep, f}
    assert.equal(0, status)
    assert.equal("done\t1048576\n", out)
    assert.matches("\r%[[#%-]+%] +%d+%%  [%d.]+ %a+ / 1%.0 MiB  [%d.]+ %a+/s  ETA %d+:%d%d",
                   tty)
    -- the last drawing shows the end, and the bar ends with a newline
    assert.matches("%[" .. ("#"):rep(24) .. "%] 100%%  1%.0 MiB / 1%.0 MiB[^\r]*\r?\n$",
                   tty)
    assert.is_nil(tty:find("done", 1, true))  -- stdout stays clean
  end)

  it("shows the chunk's own figures given with progress(done, total)",
     function()
    local out, tty, status = ontty {"-P", "-e", [[
      progress(512, 2048)
      local t0 = os.clock()
      while os.clock() - t0 < 0.3 do end
      progress(1024)
      t0 = os.clock()
      while os.clock() - t0 < 0.3 do end
    ]]}
    assert.equal(0, status)
    assert.equal("", out)
    assert.matches("%] +25%%  512 B / 2%.0 KiB", tty)
    assert.matches("%] +50%%  1%.0 KiB / 2%.0 KiB[^\r]*\r?\n$", tty)
  end)

  it("leaves a hook the chunk set with debug.sethook in place", function()
    local out, tty, status = ontty {"-P", "-e", [[
      progress(1, 2)
      local n = 0
      debug.sethook(function() n = n + 1 end, "", 100)
      local t0 = os.clock()
      while os.clock() - t0 < 0.3 do end
      local before = n
      t0 = os.clock()
      while os.clock() - t0 < 0.1 do end
      print(debug.gethook() ~= nil, n > before)
    ]]}
    assert.equal(0, status)
    assert.equal("true\ttrue\n", out)
    assert.matches("50%%", tty)  -- the bar was drawn meanwhile
  end)

  it("draws nothing on a terminal without -P", function()
    local f = H.file(("x"):rep(1000))
    local out, tty, status = ontty {"-e", sweeping(0.3) .. " progress(1, 2)", f}
    assert.equal(0, status)
    assert.equal("done\t1000\n", out)
    assert.equal("", tty)
  end)

  it("progress() is there without -P and checks its arguments", function()
    local out, code = mb {"-e", "progress(1, 10); progress(3); print'ok'"}
    assert.equal(0, code)
    assert.equal("ok\n", out)
    local _, code2, err = mb {"-P", "-e", "progress(-1, 10)"}
    assert.equal(1, code2)
    assert.matches("bad argument #1 to 'progress'", err)
    _, code2, err = mb {"-e", "progress('x')"}
    assert.equal(1, code2)
    assert.matches("bad argument #1 to 'progress' %(number expected", err)
    _, code2, err = mb {"-e", "progress(1, 0/0)"}
    assert.equal(1, code2)
    assert.matches("bad argument #2 to 'progress'", err)
    -- infinities cannot be drawn (the time left became a wrapped long)
    for _, call in ipairs {"progress(1, math.huge)", "progress(math.huge, 10)",
                           "progress(-math.huge)"} do
      _, code2, err = mb {"-P", "-e", call}
      assert.equal(1, code2, call)
      assert.matches("bad argument #%d to 'progress' %(must be a finite number", err)
    end
  end)

  it("draws a sane time left for a rate that would take forever", function()
    local f = H.file(("x"):rep(4096))
    local _, tty, status = ontty {"-P", "-e", [[
      progress(1, 1e300)
      local t0 = os.clock() repeat until os.clock() - t0 > 0.5]], f}
    assert.equal(0, status)
    assert.matches("ETA %-%-:%-%-", tty)
    assert.is_nil(tty:match("ETA %-%d"))
  end)

  it("an error ends the bar's line before the message", function()
    local f = H.file(("x"):rep(4096))
    local _, tty, status = ontty {"-P", "-e", sweeping(0.3) .. " error('stop')", f}
    assert.equal(1, status)
    assert.matches("\n\rmapbuf: %(command line%):%d+: stop", tty:gsub("\r\n", "\n\r"))
  end)
end)
