-- Runs argocd/health.lua the way Argo CD does (a fresh chunk per object, the object in the
-- global `obj`, only Argo's safe libraries visible) over every testdata file and compares
-- {status, message} with the expectations below.
-- Usage: lua5.1 health_test.lua <repo-root>
local root = arg[1] or "../.."
package.path = root .. "/tests/argocd/?.lua;" .. package.path
local json = require("json")

local expected = {
  ["healthy.json"] = { "Healthy", "stable revision 6d4f8b7c9 serves 100%" },
  ["healthy-no-message.json"] = { "Healthy", "Healthy" },
  ["progressing.json"] = { "Progressing", "step 2/3: canary at 10%, analysis Pass (errorRate 0.0002 <= 0.001)" },
  ["promoting.json"] = { "Progressing", "all steps passed; stable is taking revision 7f9c2d1aa" },
  ["paused.json"] = { "Suspended", "paused: 10 consecutive inconclusive checks (sample size 120 < 500)" },
  ["rolledback.json"] = { "Degraded", "rolled back revision 7f9c2d1aa: errorRate 0.031 > 0.001 (n=5400)" },
  ["degraded.json"] = { "Degraded", "stable Deployment fraud-scorer-stable has 0/4 available" },
  ["no-status.json"] = { "Progressing", "Waiting for the controller to report status" },
  ["generation-not-observed.json"] = { "Progressing", "Waiting for the controller to observe generation 4" },
  ["observed-generation-missing.json"] = { "Progressing", "Waiting for the controller to observe generation 1" },
  ["empty-phase.json"] = { "Progressing", "Waiting for the controller to set a phase" },
  ["unknown-phase.json"] = { "Unknown", "Unknown phase Exploding" },
}

-- Argo CD opens base, table, string, math and coroutine only (no io, os, require, load*).
local function sandbox(object)
  return {
    obj = object, pairs = pairs, ipairs = ipairs, next = next, type = type, tostring = tostring,
    tonumber = tonumber, select = select, unpack = unpack, error = error, pcall = pcall,
    string = string, table = table, math = math, coroutine = coroutine,
  }
end

local function readFile(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

local chunkText = readFile(root .. "/argocd/health.lua")
local failures, count = 0, 0
local phasesSeen = {}
local names = {}
for name in pairs(expected) do names[#names + 1] = name end
table.sort(names)

for _, name in ipairs(names) do
  count = count + 1
  local want = expected[name]
  local object = json.decode(readFile(root .. "/tests/argocd/testdata/" .. name))
  if object.status and object.status.phase then phasesSeen[object.status.phase] = true end
  local chunk = assert(loadstring(chunkText, "health.lua"))
  setfenv(chunk, sandbox(object))
  local ok, hs = pcall(chunk)
  if not ok then
    failures = failures + 1
    print("FAIL " .. name .. ": script error: " .. tostring(hs))
  elseif type(hs) ~= "table" or hs.status ~= want[1] or hs.message ~= want[2] then
    failures = failures + 1
    print(string.format("FAIL %s: got {%s, %q}, want {%s, %q}", name, tostring(hs and hs.status),
      tostring(hs and hs.message), want[1], want[2]))
  else
    print("ok   " .. name .. " -> " .. hs.status)
  end
end

-- Every phase of the contract must be covered by some testdata file.
for _, phase in ipairs({ "Healthy", "Progressing", "Paused", "Promoting", "RolledBack", "Degraded" }) do
  if not phasesSeen[phase] then
    failures = failures + 1
    print("FAIL no testdata for phase " .. phase)
  end
end

-- Every testdata file must have an expectation (a new file cannot be silently ignored).
local listing = io.popen('ls "' .. root .. '/tests/argocd/testdata"')
for file in listing:lines() do
  if expected[file] == nil then
    failures = failures + 1
    print("FAIL testdata/" .. file .. " has no expectation")
  end
end
listing:close()

print(string.format("%d cases, %d failures", count, failures))
os.exit(failures == 0 and 0 or 1)
