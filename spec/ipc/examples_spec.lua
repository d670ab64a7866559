-- examples/ipc: every command block of examples/ipc/README.md, run as
-- written from the build directory (a directory of ours in place of
-- /dev/shm), each with a time limit, its output checked.
local H = require "spec.helper"
local P = require "spec.ipc.proc"

-- The indented blocks of the README, in order.
local function blocks()
  local t, cur = {}, nil
  for line in (H.readfile(H.src .. "/examples/ipc/README.md") .. "\n"):gmatch("(.-)\n") do
    if line:match("^    ") then
      cur = cur or {}
      cur[#cur + 1] = line:sub(5)
    elseif cur and line:match("%S") then
      t[#t + 1] = table.concat(cur, "\n")
      cur = nil
    end
  end
  if cur then t[#t + 1] = table.concat(cur, "\n") end
  return t
end

-- Run a block from the build directory; its output and status.  The block
-- runs in a session (and process group) of its own under a time limit:
-- whatever it leaves behind (a peer still stopped after a failure) is
-- continued and killed afterwards, so nothing holds this spec's pipe open.
local function run(block)
  local dir = H.tmpname("-shm")
  os.execute("mkdir -p " .. H.q(dir))
  local script = H.file(block:gsub("/dev/shm/", dir .. "/"), ".sh")
  local pidf = dir .. "/group"
  local wrapper = H.file(([[
cd %s || exit 99
setsid sh -c 'echo $$ > %s; exec timeout -k 5 60 sh %s'
st=$?
g=$(cat %s)
kill -CONT -$g 2>/dev/null; kill -9 -$g 2>/dev/null
exit $st
]]):format(H.q(H.build), H.q(pidf), H.q(script), H.q(pidf)), ".sh")
  return H.run("sh " .. H.q(wrapper) .. " 2>&1")
end

local want = {
  -- what each block must print (patterns, in order)
  {"ping: 100000 round trips, one%-way latency median [%d.]+ µs",
   "pong: answered 100000 pings"},
  {"producer: pushed 100000 messages", "consumer: 100000 messages, %d+ bytes, last 100000"},
  {"producer: pushed 1000000 messages", "consumer: %d+ messages, %d+ bytes, last 1000000"},
  {"rpc_client: 10000 calls, 0 timed out, round trip median [%d.]+ µs",
   "rpc_server: served 10000 requests"},
  {"rpc_client: 3 calls, 3 timed out", "rpc_client: 5 calls, 0 timed out",
   "rpc_server: served 8 requests"},
  {"wq_producer: 1000 jobs done, %d workers live; handed out again because " ..
   "their worker died: %d",
   "wq_worker: %d+ jobs"},
}

describe("examples/ipc/README.md", function()
  teardown(H.cleanup)

  local bs = blocks()
  it("has the blocks this spec knows", function()
    assert.equal(#want, #bs)
  end)

  for i, b in ipairs(bs) do
    it(("block %d runs as written: %s"):format(i, b:match("examples/ipc/([%w_]+)")),
       function()
      if not P.host then pending("the host executable is not built") return end
      local out, code = run(b)
      assert.equal(0, code, out)
      assert.not_matches("not found", out)
      assert.not_matches("mapbuf: ", out)        -- no error from the host
      for _, pat in ipairs(want[i] or {}) do
        assert.matches(pat, out, 1)
      end
    end)
  end
end)
