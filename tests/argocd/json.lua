-- Minimal JSON decoder for the test harness (Lua 5.1 has none). null decodes to nil, which is
-- what Argo CD's `obj` shows for an absent field. Errors raise with the byte offset.
local M = {}

local function skip(s, i)
  return (s:find("[^ \t\r\n]", i)) or #s + 1
end

local decodeValue

local escapes = { b = "\b", f = "\f", n = "\n", r = "\r", t = "\t", ['"'] = '"', ["\\"] = "\\", ["/"] = "/" }

local function decodeString(s, i)
  local out, j = {}, i + 1
  while true do
    local c = s:sub(j, j)
    if c == "" then error("unterminated string at " .. i) end
    if c == '"' then return table.concat(out), j + 1 end
    if c == "\\" then
      local e = s:sub(j + 1, j + 1)
      if e == "u" then
        local code = tonumber(s:sub(j + 2, j + 5), 16)
        if code == nil or code > 127 then error("only ASCII \\u escapes supported at " .. j) end
        out[#out + 1] = string.char(code)
        j = j + 6
      elseif escapes[e] then
        out[#out + 1] = escapes[e]
        j = j + 2
      else
        error("bad escape at " .. j)
      end
    else
      out[#out + 1] = c
      j = j + 1
    end
  end
end

local function decodeArray(s, i)
  local arr, n = {}, 0
  i = skip(s, i + 1)
  if s:sub(i, i) == "]" then return arr, i + 1 end
  while true do
    local v
    v, i = decodeValue(s, i)
    n = n + 1
    arr[n] = v
    i = skip(s, i)
    local c = s:sub(i, i)
    if c == "]" then return arr, i + 1 end
    if c ~= "," then error("expected , or ] at " .. i) end
    i = skip(s, i + 1)
  end
end

local function decodeObject(s, i)
  local obj = {}
  i = skip(s, i + 1)
  if s:sub(i, i) == "}" then return obj, i + 1 end
  while true do
    if s:sub(i, i) ~= '"' then error("expected key at " .. i) end
    local k, v
    k, i = decodeString(s, i)
    i = skip(s, i)
    if s:sub(i, i) ~= ":" then error("expected : at " .. i) end
    v, i = decodeValue(s, skip(s, i + 1))
    obj[k] = v
    i = skip(s, i)
    local c = s:sub(i, i)
    if c == "}" then return obj, i + 1 end
    if c ~= "," then error("expected , or } at " .. i) end
    i = skip(s, i + 1)
  end
end

decodeValue = function(s, i)
  i = skip(s, i)
  local c = s:sub(i, i)
  if c == "{" then return decodeObject(s, i) end
  if c == "[" then return decodeArray(s, i) end
  if c == '"' then return decodeString(s, i) end
  for lit, val in pairs({ ["true"] = true, ["false"] = false }) do
    if s:sub(i, i + #lit - 1) == lit then return val, i + #lit end
  end
  if s:sub(i, i + 3) == "null" then return nil, i + 4 end
  local num = s:match("^-?%d+%.?%d*[eE]?[-+]?%d*", i)
  if num and num ~= "" then return tonumber(num), i + #num end
  error("unexpected character '" .. c .. "' at " .. i)
end

function M.decode(s)
  local v, i = decodeValue(s, 1)
  if skip(s, i) <= #s then error("trailing data at " .. i) end
  return v
end

return M
