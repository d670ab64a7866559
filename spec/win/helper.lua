-- helper.lua - the Windows suite's harness: plain Lua (busted is not
-- built for Windows here).  Each spec file calls H.test for each case and
-- H.done at the end; a failed assert fails its case, and any failed case
-- makes lua.exe exit with 1, which ctest reports.
local H = {}
local passed, failed, made = 0, 0, {}

function H.test(name, fn)
  local ok, err = xpcall(fn, debug.traceback)
  if ok then
    passed = passed + 1
    print("ok - " .. name)
  else
    failed = failed + 1
    print("not ok - " .. name .. "\n" .. tostring(err))
  end
end

function H.done()
  for _, f in ipairs(made) do os.remove(f) end
  print(("%d passed, %d failed"):format(passed, failed))
  os.exit(failed == 0 and 0 or 1)
end

-- A file name of our own in the working directory (the build directory),
-- removed by H.done.
local n = 0
function H.tmpname(tag)
  n = n + 1
  local f = ("win-spec-%s-%d-%d.bin"):format(tag or "t", os.time() % 100000, n)
  made[#made + 1] = f
  os.remove(f)
  return f
end

function H.writefile(f, s)
  local h = assert(io.open(f, "wb"))
  h:write(s)
  h:close()
end

function H.readfile(f)
  local h = assert(io.open(f, "rb"))
  local s = h:read("a")
  h:close()
  return s
end

-- err must be raised by fn(...), with text matching pat.
function H.raises(pat, fn, ...)
  local ok, e = pcall(fn, ...)
  assert(not ok, "expected an error matching " .. pat)
  assert(tostring(e):find(pat), "error '" .. tostring(e) .. "' does not match " .. pat)
end

-- A path as cmd.exe takes it: wine runs us on Z:, where / is the Unix root.
local function winpath(p)
  if p:sub(1, 1) == "/" then p = "Z:" .. p end
  return (p:gsub("/", "\\"))
end

-- Another lua.exe (this one) running the chunk src with the arguments,
-- started now; returns the pipe its standard output comes through.
function H.spawn(src, ...)
  local f = H.tmpname("peer"):gsub("%.bin$", ".lua")
  made[#made + 1] = f
  H.writefile(f, "package.path = " .. ("%q"):format(package.path) .. "\n" .. src)
  local args = {}
  for i, a in ipairs({...}) do args[i] = '"' .. tostring(a) .. '"' end
  local cmd = ('"%s" "%s" %s'):format(winpath(arg[-1]), winpath(f), table.concat(args, " "))
  return assert(io.popen('"' .. cmd .. '"', "r"))
end

-- Run a command line through cmd.exe (the words as given: quote them
-- yourself), standard error with standard output; returns the output and
-- the exit code.  A batch file says the code: os.execute cannot, on
-- Windows (its result reads a stale errno when the code is not 0).
function H.run(cmdline, input)
  local out, rc, bat = H.tmpname("out"), H.tmpname("rc"), H.tmpname("run") .. ".bat"
  made[#made + 1] = bat
  local redirect = " > " .. out .. " 2>&1"
  if input then
    local i = H.tmpname("in")
    H.writefile(i, input)
    redirect = " < " .. i .. redirect
  end
  H.writefile(bat, "@" .. cmdline .. redirect .. "\r\n@echo %ERRORLEVEL% > " .. rc .. "\r\n")
  os.execute(bat)
  -- the C runtime writes text mode: \r\n line ends
  return H.readfile(out):gsub("\r\n", "\n"), tonumber(H.readfile(rc):match("%d+"))
end

-- Wait until fn() is true, at most t seconds (the peers start slowly
-- under wine).
function H.within(t, fn)
  local deadline = os.clock() + t
  local t0 = os.time()
  repeat
    if fn() then return true end
  until os.clock() > deadline and os.time() - t0 > t
  return false
end

return H
