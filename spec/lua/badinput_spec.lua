-- badinput_spec.lua: docs/bad-input.md is the contract for bad arguments,
-- closed maps and dead views; this spec runs every call of
-- spec/lua/badinput_cases.lua in a child process (so that a crash is a
-- failure that names its call, not the end of busted) and checks each
-- outcome against its cell in the doc.  After an intended change:
--   lua5.4 spec/lua/badinput_cases.lua doc > docs/bad-input.md
local H = require "spec.helper"
local C = require "spec.lua.badinput_cases"

local SEP = "\30"

-- Run the calls in a child; returns the list of {sig, col, out} and the
-- call that was running when the child died (or nil).
local function runchild()
  local cmd = ("cd %s && %s spec/lua/badinput_cases.lua run 2>&1; echo \"exit:$?\"")
    :format(H.q(H.src), H.q(H.lua))
  local p = assert(io.popen(cmd))
  local results, running, status, junk = {}, nil, nil, {}
  for line in p:lines() do
    local kind, rest = line:sub(1, 1), line:sub(2)
    if kind == "?" then
      running = rest
    elseif kind == "=" then
      local sig, col, out = rest:match("^(.-)" .. SEP .. "(.*)" .. SEP .. "(.*)$")
      results[#results + 1] = {sig = sig, col = col, out = out}
      running = nil
    elseif line:match("^exit:%d+$") then
      status = tonumber(line:match("%d+"))
    else
      junk[#junk + 1] = line
    end
  end
  p:close()
  return results, running, status, table.concat(junk, "\n")
end

local function where(r) return r.sig .. " [" .. r.col:gsub("\t", " = ") .. "]" end

describe("bad input (docs/bad-input.md)", function()
  local results, running, status, junk = runchild()
  local doc = C.parse(H.readfile(H.src .. "/docs/bad-input.md"))

  it("never crashes the process", function()
    if running then
      error("the child died during " .. running:gsub(SEP, " [") .. "]\n" .. junk, 0)
    end
    assert.are.equal(0, status, junk)
    assert.is_true(#results > 1000, "only " .. #results .. " calls ran")
  end)

  it("gives what the doc says, call by call", function()
    local wrong, n = {}, 0
    for _, r in ipairs(results) do
      local want = doc[r.sig] and doc[r.sig][r.col]
      if want ~= r.out then
        wrong[#wrong + 1] = ("%s:\n    doc:  %s\n    got:  %s"):format(
          where(r), tostring(want), r.out)
      end
      n = n + 1
    end
    -- and the doc has no cell that no call produced
    local cells = 0
    for _, t in pairs(doc) do for _ in pairs(t) do cells = cells + 1 end end
    if #wrong > 0 then
      error(("%d of %d calls differ from docs/bad-input.md (regenerate it with "
             .. "`lua5.4 spec/lua/badinput_cases.lua doc > docs/bad-input.md` "
             .. "if the change is meant):\n  %s"):format(#wrong, n,
             table.concat(wrong, "\n  ", 1, math.min(#wrong, 30))), 0)
    end
    assert.are.equal(n, cells, "the doc has cells that no call produced")
  end)

  it("raises exactly 'mapbuf: map is closed' on closed maps and their views", function()
    local free = {["m:close()"] = true, ["m:closed()"] = true, ["tostring(m)"] = true}
    local checked = 0
    for _, r in ipairs(results) do
      if (r.col == "closed map" or r.col == "view of a closed map") and not free[r.sig] then
        assert.are.equal("error: mapbuf: map is closed", r.out, where(r))
        checked = checked + 1
      end
    end
    assert.is_true(checked > 60)
  end)

  it("raises on views that no longer fit their map", function()
    for _, r in ipairs(results) do
      if r.col == "view past a shrunk end" and not r.sig:match("^m:close")
         and r.sig ~= "tostring(m)" then
        assert.is_truthy(r.out:match("^error: "), where(r))
      end
    end
  end)

  it("names the function in argument errors", function()
    for _, r in ipairs(results) do
      local name = r.out:match("^error: bad argument #%d+ to '([^']*)'")
      if name and name ~= "?" then
        local want = (r.sig:match("^m:([%w_]+)") or r.sig:match("^mapbuf%.([%w_]+)")
                      or (r.sig:match("=") and "__newindex") or "__index")
        assert.are.equal(want, name, where(r))
      end
    end
  end)

  it("refuses NaN, infinities and fractions where an integer is needed", function()
    for _, r in ipairs(results) do
      local kind = r.col:match("\t(.*)$")
      if (kind == "NaN" or kind == "inf" or kind == "-inf" or kind == "1.5")
         and r.out:match("^error: ") then
        assert.is_falsy(r.out:match("attempt to"), where(r))
      end
    end
  end)
end)
