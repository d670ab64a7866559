-- spec/embed/prefix.lua: install the build under test (MAPBUF_BUILD) into a
-- temporary prefix, once per spec process, and build C programs against it.
local H = require "spec.helper"

local P = {}

-- Run a shell command with its stderr merged; returns output, exit status.
function P.sh(cmd) return H.run("(" .. cmd .. ") 2>&1") end

-- A sanitizer build installs libraries that need the runtime linked in.
local function sanitized()
  local f = io.open(H.build .. "/CMakeCache.txt", "r")
  if not f then return false end
  local s = f:read("*a"); f:close()
  return s:find("MAPBUF_SANITIZE:BOOL=ON", 1, true) ~= nil
end
P.sanflags = sanitized() and "-fsanitize=address,undefined" or ""

-- The prefix, installed on first use; raises with cmake's output on failure.
function P.prefix()
  if P.dir then return P.dir end
  local dir = H.tmpname("-prefix")
  local out, code = P.sh("cmake --install " .. H.q(H.build) .. " --prefix " .. H.q(dir))
  assert(code == 0, "cmake --install failed:\n" .. out)
  P.dir = dir
  return dir
end

-- Environment words for pkg-config against the prefix.
function P.pkgenv()
  return "PKG_CONFIG_PATH=" .. H.q(P.prefix() .. "/lib/pkgconfig") .. " "
end

-- The mapbuf version the sources declare (src/core/mapbuf.h).
function P.version()
  local h = H.readfile(H.src .. "/src/core/mapbuf.h")
  return assert(h:match('#define MAPBUF_VERSION "([^"]+)"'))
end

return P
