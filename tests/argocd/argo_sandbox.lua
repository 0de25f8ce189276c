-- Runs Argo CD Lua scripts (health, action discovery, actions) the way Argo CD runs scripts
-- configured in argocd-cm (util/lua/lua.go: a gopher-lua state with SkipOpenLibs, then only
-- package, base, table and a "safe" os with time and date; `require("os")` preloaded with
-- the same safe os; the live object in the global `obj`; 1 s budget).
--
-- Lua 5.1 differs from gopher-lua in one way that matters: its string metatable makes
-- ("x"):upper() work even without the string library in scope. The runner removes that
-- metatable's __index while a script runs, so method calls on strings fail as in Argo CD.
--
-- Usage: lua5.1 argo_sandbox.lua CASES.json
--   CASES.json: [{"script": "<lua source>", "name": "...", "obj": {...}}, ...]
-- Prints one JSON array: per case {"ok": true, "value": <returned value>} or
-- {"ok": false, "error": "..."}.
local here = arg[0]:match("^(.*)/[^/]*$") or "."
package.path = here .. "/?.lua;" .. package.path
local json = require("json")

-- ---- JSON encoding of returned values (Argo CD encodes with gopher-json the same way: a
-- table whose keys are 1..n is an array, an empty table is []).
local encode

local function encodeString(s)
  s = s:gsub('[%c"\\]', function(c)
    local map = { ['"'] = '\\"', ["\\"] = "\\\\", ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }
    return map[c] or string.format("\\u%04x", c:byte())
  end)
  return '"' .. s .. '"'
end

local function isArray(t)
  local n = 0
  for k in pairs(t) do
    if type(k) ~= "number" or k < 1 or k % 1 ~= 0 then return false end
    n = n + 1
  end
  for i = 1, n do
    if t[i] == nil then return false end
  end
  return true
end

encode = function(v)
  local t = type(v)
  if v == nil then return "null" end
  if t == "boolean" then return tostring(v) end
  if t == "number" then
    if v % 1 == 0 and v > -1e15 and v < 1e15 then return string.format("%d", v) end
    return string.format("%.17g", v)
  end
  if t == "string" then return encodeString(v) end
  if t == "table" then
    local parts = {}
    if isArray(v) then
      for i = 1, #v do parts[#parts + 1] = encode(v[i]) end
      return "[" .. table.concat(parts, ",") .. "]"
    end
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = tostring(k) end
    table.sort(keys)
    for _, k in ipairs(keys) do
      local value = v[k]
      if value == nil then value = v[tonumber(k)] end
      parts[#parts + 1] = encodeString(k) .. ":" .. encode(value)
    end
    return "{" .. table.concat(parts, ",") .. "}"
  end
  error("cannot encode a " .. t)
end

-- ---- The environment Argo CD gives a script.
local realString, realTable, realOs = string, table, os

local function copy(t)
  local c = {}
  for k, v in pairs(t) do c[k] = v end
  return c
end

local function safeOs()
  return { time = realOs.time, date = realOs.date }
end

-- gopher-lua's OpenBase registers these globals (baselib.go); OpenPackage adds `package`,
-- `require` and `module`.
local baseNames = {
  "assert", "collectgarbage", "error", "getmetatable", "ipairs", "next", "pairs", "pcall", "print",
  "rawequal", "rawget", "rawset", "select", "setmetatable", "tonumber", "tostring", "type",
  "unpack", "xpcall", "newproxy",
}

local function newEnv(object)
  local env = {}
  for _, name in ipairs(baseNames) do env[name] = _G[name] end
  env._G = env
  env._VERSION = _VERSION
  env.table = copy(realTable)
  env.os = safeOs()
  -- Chunks compiled inside the script must see the sandbox, not this runner's globals.
  local function bind(f)
    if f then setfenv(f, env) end
    return f
  end
  env.loadstring = function(s, name)
    local f, err = loadstring(s, name)
    return bind(f), err
  end
  env.load = function(fn, name)
    local f, err = load(fn, name)
    return bind(f), err
  end
  env.loadfile = function(path)
    local f, err = loadfile(path)
    return bind(f), err
  end
  env.dofile = function(path) return bind(assert(loadfile(path)))() end
  env.getfenv = function(f)
    if f == nil or f == 0 then return env end
    return getfenv(f)
  end
  env.setfenv = setfenv
  local loaded = { _G = env, table = env.table, os = env.os }
  env.package = {
    loaded = loaded,
    preload = { os = function() return safeOs() end },
    path = "",
    cpath = "",
  }
  loaded.package = env.package
  env.require = function(name)
    if loaded[name] ~= nil then return loaded[name] end
    local loader = env.package.preload[name]
    if loader == nil then error("module " .. tostring(name) .. " not found", 2) end
    loaded[name] = loader(name)
    return loaded[name]
  end
  env.module = function() error("module() is not supported in this sandbox", 2) end
  env.obj = object
  return env
end

-- Argo CD cancels a script after 1 s; an instruction budget stands in for the clock here.
local kInstructionBudget = 50000000

local function run(case)
  local chunk, err = loadstring(case.script, case.name or "script")
  if not chunk then return { ok = false, error = "compile: " .. tostring(err) } end
  setfenv(chunk, newEnv(case.obj))
  local stringMeta = getmetatable("")
  local savedIndex = stringMeta.__index
  stringMeta.__index = nil
  debug.sethook(function() error("script exceeded its time budget") end, "", kInstructionBudget)
  local ok, value = pcall(chunk)
  debug.sethook()
  stringMeta.__index = savedIndex
  if not ok then return { ok = false, error = tostring(value) } end
  local encodedOk, encoded = pcall(encode, value)
  if not encodedOk then return { ok = false, error = "result: " .. tostring(encoded) } end
  return { ok = true, value = encoded }
end

local f = assert(io.open(arg[1], "rb"))
local cases = json.decode(f:read("*a"))
f:close()
local out = {}
for i, case in ipairs(cases) do
  local r = run(case)
  if r.ok then
    out[i] = '{"ok":true,"value":' .. r.value .. "}"
  else
    out[i] = '{"ok":false,"error":' .. encodeString(r.error) .. "}"
  end
end
io.write("[" .. table.concat(out, ",") .. "]\n")
