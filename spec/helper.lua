-- spec/helper.lua: small shared tools for the specs (require "spec.helper").
local H = {}

H.bin = os.getenv("MAPBUF_BIN") or "build/mapbuf"
H.build = os.getenv("MAPBUF_BUILD") or "build"
H.src = os.getenv("MAPBUF_SRC") or "."
H.lua = os.getenv("LUA") or "lua5.4"
-- The C compiler of the build (a cross gcc in the i686 run), for specs
-- that build a small C module against the build's libraries.
H.cc = os.getenv("MAPBUF_CC") or "gcc"
-- The target's size_t in bits (32 in the i686 run, where a map is at most
-- 2 GiB - 1); Lua's own size_t is the build's, as both run natively.
H.bits = (string.packsize and string.packsize("T") or 8) * 8

local tmpdir = os.getenv("TMPDIR") or "/tmp"
local counter = 0

-- A fresh path under a per-process temporary directory; removed by H.cleanup.
function H.tmpname(suffix)
  counter = counter + 1
  local dir = H.tmpdir or (function()
    local p = io.popen("mktemp -d " .. tmpdir .. "/mapbuf-spec.XXXXXX")
    H.tmpdir = p:read("l"); p:close()
    return H.tmpdir
  end)()
  return string.format("%s/f%d%s", dir, counter, suffix or "")
end

function H.cleanup()
  if H.tmpdir then os.execute("rm -rf '" .. H.tmpdir .. "'"); H.tmpdir = nil end
end

function H.writefile(path, s)
  local f = assert(io.open(path, "wb")); f:write(s); f:close(); return path
end

function H.readfile(path)
  local f = assert(io.open(path, "rb")); local s = f:read("a"); f:close(); return s
end

-- A temporary file holding s.
function H.file(s, suffix) return H.writefile(H.tmpname(suffix), s) end

-- Anonymous memory holding exactly the bytes s (opts as mapbuf.anon's).
function H.mapof(s, opts)
  local m = assert(require("mapbuf").anon(#s, opts))
  if #s > 0 then m:set(1, s) end
  return m
end

-- Quote a string for the shell.
-- All results of a pcall, errors included, as one comparable string (an
-- integer and a float of the same value differ).
function H.outcome(ok, ...)
  local t = { ok and "ok" or "err" }
  for i = 1, select("#", ...) do
    local v = select(i, ...)
    t[#t + 1] = math.type(v) or type(v)
    t[#t + 1] = tostring(v)
  end
  return table.concat(t, "|")
end

function H.q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

-- Run a shell command; returns stdout, exit status.
function H.run(cmd)
  local p = io.popen(cmd, "r"); local out = p:read("a")
  local _, _, code = p:close()
  return out, code
end

-- Run the mapbuf executable with a list of words (and optional standard
-- input, as a string); returns stdout, exit status, stderr.
function H.mapbuf(words, input)
  local q = {}
  for i, w in ipairs(words) do q[i] = H.q(w) end
  local err = H.tmpname(".err")
  local cmd = H.q(H.bin) .. " " .. table.concat(q, " ") .. " 2>" .. H.q(err)
      .. " <" .. (input and H.q(H.file(input)) or "/dev/null")
  local out, code = H.run(cmd)
  return out, code, H.readfile(err)
end

-- Run Python 3 code (given as a string); returns stdout, exit status.
function H.python(code)
  local f = H.file(code, ".py")
  return H.run("python3 " .. H.q(f))
end

return H
