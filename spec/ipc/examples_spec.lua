-- examples/ipc: each pair run as two separate mapbuf processes.
local H = require "spec.helper"
local P = require "spec.ipc.proc"

-- Run an example script through the host (or lua5.4 with the file opened
-- by a small shim when the host is not built) in the background.
local function start(script, file, size, args)
  local words = {}
  for _, a in ipairs(args or {}) do words[#words + 1] = H.q(a) end
  local cmd
  if P.host then
    cmd = string.format("%s -s %s %s %s -- %s", H.q(H.bin), size,
                        H.q(H.src .. "/examples/ipc/" .. script), H.q(file),
                        table.concat(words, " "))
  else
    local shim = H.file(([[
      local mapbuf = require "mapbuf"
      local f = io.open(%q, "a+b"); f:close()
      local m = assert(mapbuf.open(%q, "r+", {size = %d}))
      assert(loadfile(%q))(m)
      m:close()]]):format(file, file, size, H.src .. "/examples/ipc/" .. script),
      ".lua")
    cmd = string.format("%s %s %s", H.q(H.lua), H.q(shim), table.concat(words, " "))
  end
  local p = io.popen(cmd .. " 2>&1", "r")
  return function()
    local out = p:read("a")
    local _, _, code = p:close()
    return out, code
  end
end

describe("examples/ipc", function()
  teardown(H.cleanup)

  it("ping-pong", function()
    local f = H.tmpname(".bin")
    local pong = start("pong.lua", f, 4096)
    local ping = start("ping.lua", f, 4096, {2000})
    local out, code = ping()
    if code ~= 0 then
      -- tell pong to stop as ping would have, so a failure cannot hang here
      local m = require("mapbuf").open(f, "r+")
      if m then m:atomic_store(1, 0xFFFFFFFF, 32); m:wake(1); m:close() end
      pong()
    end
    assert.equal(0, code, out)
    assert.matches("2000 round trips, one%-way latency median [%d.]+ µs", out)
    local pout, pcode = pong()
    assert.equal(0, pcode, pout)
    assert.equal("pong: answered 2000 pings\n", pout)
  end)

  it("producer and consumer", function()
    local f = H.tmpname(".bin")
    local cons = start("consumer.lua", f, 65536)
    local prod = start("producer.lua", f, 65536, {20000})
    local out, code = prod()
    assert.equal(0, code, out)
    assert.equal("producer: pushed 20000 messages\n", out)
    local cout, ccode = cons()
    assert.equal(0, ccode, cout)
    assert.matches("consumer: 20000 messages, %d+ bytes, last 20000", cout)
    assert.not_matches("after", cout)
  end)
end)
