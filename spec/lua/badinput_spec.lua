-- badinput_spec.lua: bad arguments, closed maps and dead views.  This spec
-- runs every call of spec/lua/badinput_cases.lua in a child process (so
-- that a crash is a failure that names its call, not the end of busted)
-- and checks each outcome against the rules that follow from what the
-- argument takes (the rules are written out in docs/bad-input.md, which
-- shows every outcome; regenerate it after an intended change with
--   lua5.4 spec/lua/badinput_cases.lua doc > docs/bad-input.md).
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

  it("never crashes the process", function()
    if running then
      error("the child died during " .. running:gsub(SEP, " [") .. "]\n" .. junk, 0)
    end
    assert.are.equal(0, status, junk)
    assert.is_true(#results > 1000, "only " .. #results .. " calls ran")
  end)

  -- the call and the slot of a result
  local calls = {}
  for _, c in ipairs(C.calls) do calls[c.sig] = c end
  local function slotof(r)
    local c = calls[r.sig]
    local slot, kind = r.col:match("^(.-)\t(.*)$")
    if not slot then return nil end
    for i, s in ipairs(c.slots) do
      if s == slot then return c, i, c.types[i], kind end
    end
  end

  -- What Lua calls the type of each kind of value in its messages.
  local typename = {["nil"] = "nil", ["true"] = "boolean", ["false"] = "boolean",
    ['"x"'] = "string", ["{}"] = "table", ["function"] = "function",
    ["io.stdout"] = "FILE*"}
  local fraction = {NaN = true, inf = true, ["-inf"] = true, ["1.5"] = true}

  -- The error the rules demand for this kind in a slot of this type, as a
  -- plain message fragment; false when the kind must not meet a type error;
  -- nil when the rules say nothing (the function's own limits decide).
  local function demanded(t, kind)
    local tn = typename[kind]
    if t == C.INT or t == C.OPTINT then
      if kind == "nil" then return t == C.INT and "number expected, got nil" or false end
      if fraction[kind] then return "number has no integer representation" end
      if tn then return "number expected, got " .. tn end
      return false
    elseif t == C.STR or t == C.OPTSTR then
      if kind == "nil" then return t == C.STR and "string expected, got nil" or false end
      if tn and tn ~= "string" then return "string expected, got " .. tn end
      return false
    elseif t == C.NUM then
      if kind == "nil" then return false end
      if tn and tn ~= "string" then return "number expected, got " .. tn end
      return nil
    elseif t == C.OPTS then
      if kind == "nil" or kind == "{}" then return false end
      return "table expected, got " .. (tn or (kind:match('^"') and "string") or "number")
    elseif t == C.OPTION then
      if kind == "nil" then return false end
      if tn and tn ~= "string" then return "string expected, got " .. tn end
      return "invalid option"
    end
    return nil
  end

  it("gives the errors the argument types demand, naming function and argument", function()
    local wrong, checked = {}, 0
    for _, r in ipairs(results) do
      local c, si, t, kind = slotof(r)
      if c and r.out ~= "(not checked: depends on the environment)" then
        local want = demanded(t, kind)
        local num = si + (c.shift or 0)
        local head = ("bad argument #%d to '%s' ("):format(num, c.name)
        local err = r.out:match("^error: (.*)$")
        local ok = true
        local n, f = (err or ""):match("^bad argument #(%d+) to '([^']*)'")
        if want == false and n and tonumber(n) ~= num then
          want = nil   -- an error about another argument, which this one made
        end
        if want then
          ok = err ~= nil and err:sub(1, #head) == head and err:find(want, 1, true) ~= nil
        elseif want == false and err then
          -- no type error: whatever it raises is about the value's range
          ok = not err:find("expected, got", 1, true)
               and not err:find("no integer representation", 1, true)
        end
        -- any argument error names this function (a value may make
        -- another argument wrong: -1 puts "ab" past the end of set's map)
        if n and (f ~= c.name or tonumber(n) < 1) then ok = false end
        if not ok then
          wrong[#wrong + 1] = ("%s: wanted %s, got %s"):format(where(r),
            want and ("'" .. head .. want .. "...'") or "no type error", r.out)
        end
        checked = checked + 1
      end
    end
    if #wrong > 0 then
      error(("%d of %d calls break the rules:\n  %s"):format(#wrong, checked,
            table.concat(wrong, "\n  ", 1, math.min(#wrong, 30))), 0)
    end
    assert.is_true(checked > 1000, "only " .. checked .. " calls checked")
  end)

  it("never names '?' nor leaves a Lua runtime error through", function()
    for _, r in ipairs(results) do
      assert.is_falsy(r.out:find("to '?'", 1, true), where(r))
      assert.is_falsy(r.out:find("attempt to", 1, true), where(r))
    end
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
