-- wrk script: POST /mcp tools/call search, the same query every time (an
-- L1 hit once warm). The session comes from $MCP_SESSION, the arguments
-- from $MCP_ARGS (JSON). Answers that are not a search result are counted.
local session = os.getenv("MCP_SESSION")
local args = os.getenv("MCP_ARGS")
local body = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search",' ..
  '"arguments":' .. args .. '}}'
local req
bad = 0

function init(a)
  req = wrk.format("POST", "/mcp", {
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/json, text/event-stream",
    ["Mcp-Session-Id"] = session,
    ["MCP-Protocol-Version"] = "2025-06-18",
  }, body)
end

function request()
  return req
end

function response(status, headers, b)
  if status ~= 200 or not string.find(b, '"structuredContent"', 1, true) then bad = bad + 1 end
end

local threads = {}
function setup(thread)
  threads[#threads + 1] = thread
end

function done(summary, latency, requests)
  local n = 0
  for _, t in ipairs(threads) do n = n + (t:get("bad") or 0) end
  io.write(string.format("BAD %d\n", n))
end
