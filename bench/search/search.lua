-- wrk script for searches that miss every cache of scifind (run it with
-- cache.enabled=false): requests cycle over 40 query texts with varying
-- page sizes. The provider simulator sees only those 40 provider requests
-- and answers them from its own response cache, so it keeps up; scifind
-- still does the whole fan-out, parsing, merge, ranking and serialisation
-- every time. Each answer's timing is read back: the gateway's overhead is
-- the Server-Timing "app" duration (request parsed to answer ready) minus
-- the slowest provider's latency_ms.
local words = {"graph", "neural", "quantum", "learning", "network", "deep",
  "model", "data", "theory", "algorithm", "optimization", "energy", "random",
  "field", "system", "image", "language", "robust", "sparse", "dynamic"}
local counter = 0
overheads = {}
overheads_text = ""
seen = 0
bad = 0
MAX = 10000

-- wrk ... -s search.lua URL -- DELAY_MS: each connection waits DELAY_MS
-- between an answer and its next request (a paced load: the half-saturation
-- run sets it so the rate is what it asks, whatever the latency)
delay_ms = 0

function init(args)
  counter = math.random(1, 1000000)
  delay_ms = tonumber(args[1]) or 0
end

function delay()
  return delay_ms
end

function request()
  counter = counter + 1
  local a = words[counter % #words + 1]
  local b = words[math.floor(counter / #words) % 2 + 1]
  -- the page size varies too, so that no two consecutive queries share a key
  local path = "/v1/search?query=" .. a .. "+" .. b .. "&limit=" .. (counter % 50 + 1)
  return wrk.format("GET", path)
end

function response(status, headers, body)
  if status ~= 200 then bad = bad + 1 return end
  local timing = headers["Server-Timing"] or headers["server-timing"] or ""
  local took = tonumber(string.match(timing, "app;dur=([0-9.]+)"))
  local slowest = 0
  for lat in string.gmatch(body, '"latency_ms":([0-9.]+)') do
    local v = tonumber(lat)
    if v > slowest then slowest = v end
  end
  if not took then return end
  seen = seen + 1
  -- a reservoir of at most MAX samples keeps memory and the copy below small
  if #overheads < MAX then
    overheads[#overheads + 1] = took - slowest
  else
    local i = math.random(1, seen)
    if i <= MAX then overheads[i] = took - slowest end
  end
  if seen % 50 == 0 then overheads_text = table.concat(overheads, ",") end
end

local threads = {}
function setup(thread)
  threads[#threads + 1] = thread
end

function done(summary, latency, requests)
  local all = {}
  local nbad = 0
  for _, t in ipairs(threads) do
    local s = t:get("overheads_text")
    nbad = nbad + (t:get("bad") or 0)
    if s then
      for v in string.gmatch(s, "[^,]+") do all[#all + 1] = tonumber(v) end
    end
  end
  table.sort(all)
  local function pct(p)
    if #all == 0 then return -1 end
    return all[math.max(1, math.ceil(#all * p / 100))]
  end
  io.write(string.format("OVERHEAD n=%d p50=%.3f p90=%.3f p99=%.3f max=%.3f non200=%d\n",
    #all, pct(50), pct(90), pct(99), pct(100), nbad))
end

