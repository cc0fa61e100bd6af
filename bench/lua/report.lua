-- Shared by every scenario (bench/run.py prepends it to the scenario script).
-- setup() runs in wrk's main Lua state, once per thread, before that thread's init();
-- done() runs in the main state after the run and prints one line that run.py parses.

threads = {}
thread_count = 0

function setup(thread)
  thread:set("tid", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

-- per-thread global counters that scenarios may keep (summed in done())
counter_names = {"ok", "s409", "s422", "s429", "s4xx", "s5xx", "other", "fallback", "unmatched"}

-- wrk's Debian build cannot hand Lua its per-microsecond histogram, so done() prints the
-- latency quantile function on a fine grid instead; run.py merges runs from these points
quantile_grid = {}
for p = 1, 99 do table.insert(quantile_grid, p) end
for p = 99.1, 99.95, 0.1 do table.insert(quantile_grid, p) end
table.insert(quantile_grid, 99.95)
table.insert(quantile_grid, 99.99)

local function quantiles(latency)
  local out = {}
  for _, p in ipairs(quantile_grid) do
    table.insert(out, string.format("[%.2f,%d]", p, latency:percentile(p)))
  end
  table.insert(out, string.format("[100,%d]", latency.max))
  return "[" .. table.concat(out, ",") .. "]"
end

function done(summary, latency, requests)
  local parts = {}
  for _, name in ipairs(counter_names) do
    local total, seen = 0, false
    for _, t in ipairs(threads) do
      local v = t:get(name)
      if type(v) == "number" then total = total + v; seen = true end
    end
    if seen then table.insert(parts, string.format('"%s":%d', name, total)) end
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"mean":%.1f,"stdev":%.1f,"max":%d,"p50":%d,"p90":%d,"p99":%d},' ..
    '"counters":{%s},"quantiles_us":%s}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency.stdev, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    table.concat(parts, ","), quantiles(latency)))
end
