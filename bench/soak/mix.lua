-- bench/soak/mix.lua: the soak's mixed load for wrk.
--
--   wrk -t1 -c8 -d30s --latency -s bench/soak/mix.lua http://127.0.0.1:PORT -- DELAY_MS SEED
--
-- Each request is one of (by weight):
--   60  a cache hit: GET /v1/search for one of 20 popular queries
--    8  a cache miss: a query never asked before (a counter in it)
--   16  a bad request: GET /v1/search with limit=0, no query, or a bad date (400)
--   16  a health check: GET /health
-- DELAY_MS (default 0) is wrk's delay() before each request on a
-- connection: with -c C connections the rate is at most C * 1000 / DELAY_MS.
-- done() prints one line `SOAK {"kinds":{...},"statuses":{...}}` with the
-- requests sent per kind and the answers received per status, summed over
-- wrk's threads.

local popular = {
  "graph neural networks", "quantum error correction", "dark matter",
  "deep learning", "neural network", "reinforcement learning",
  "black hole", "topological insulator", "language model", "image segmentation",
  "gravitational waves", "galaxy clusters", "graph theory", "random matrices",
  "superconductivity", "cosmic microwave background", "convex optimization",
  "spin glass", "neutron stars", "machine translation",
}
local bad = {
  "/v1/search?query=graph&limit=0",
  "/v1/search?limit=5",
  "/v1/search?query=x&date_from=2020-13-45",
}

local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

local function enc(s)
  return (s:gsub(" ", "+"))
end

function init(args)
  delay_ms = tonumber(args[1] or "0") or 0
  local seed = tonumber(args[2] or "1") or 1
  math.randomseed(seed * 1000 + (tid or 1))
  kinds = {hit = 0, miss = 0, bad = 0, health = 0}
  statuses = {}
end

function delay()
  return delay_ms
end

function request()
  local r = math.random(100)
  local path
  if r <= 60 then
    kinds.hit = kinds.hit + 1
    path = "/v1/search?limit=10&query=" .. enc(popular[math.random(#popular)])
  elseif r <= 68 then
    kinds.miss = kinds.miss + 1
    counter = counter + 1
    path = "/v1/search?limit=10&query=" .. enc(popular[math.random(#popular)]) ..
           "+s" .. tostring(tid or 1) .. "x" .. tostring(os.time()) .. "x" .. tostring(counter)
  elseif r <= 84 then
    kinds.bad = kinds.bad + 1
    path = bad[math.random(#bad)]
  else
    kinds.health = kinds.health + 1
    path = "/health"
  end
  return wrk.format("GET", path)
end

function response(status, headers, body)
  local k = tostring(status)
  statuses[k] = (statuses[k] or 0) + 1
end

local function json_of(t)
  local parts = {}
  for k, v in pairs(t) do
    table.insert(parts, string.format('"%s":%d', k, v))
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

function done(summary, latency, requests)
  local k, s = {}, {}
  for _, t in ipairs(threads) do
    for name, v in pairs(t:get("kinds")) do k[name] = (k[name] or 0) + v end
    for name, v in pairs(t:get("statuses")) do s[name] = (s[name] or 0) + v end
  end
  io.write(string.format('SOAK {"kinds":%s,"statuses":%s}\n', json_of(k), json_of(s)))
end
