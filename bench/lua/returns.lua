-- Return transitions through the whole HTTP pipeline, as a return officer: each case, in
-- `eligible` (consent recorded, assigned to the officer), records its NRM status again and
-- again (record_nrm_status stays in its state, so it can repeat), cycling through the statuses.
--
-- BENCH_CASES names a file of "id revision state" lines; thread t owns the cases whose line
-- index i has i % BENCH_THREADS == t, and a case is never in flight twice, so revisions never
-- clash by construction. A 200 carries the return case ("id", "state", "revision" come
-- first); a problem+json carries "instance": "/api/v1/returns/<id>/transitions" and, for a 409
-- stale revision, the current revision (used to resynchronise). Only 200s count ("ok").

ids, revision, busy = {}, {}, {}
idle, idle_head, idle_tail = {}, 1, 0
ok, s409, s422, s4xx, s5xx, other, fallback, unmatched = 0, 0, 0, 0, 0, 0, 0, 0
rr, n = 0, 0

statuses = {"referred", "positive_reasonable_grounds", "positive_conclusive_grounds",
            "duty_to_notify_only", "withdrawn", "none"}

local function push(id)
  idle_tail = idle_tail + 1
  idle[idle_tail] = id
end

local function pop()
  if idle_head > idle_tail then return nil end
  local id = idle[idle_head]
  idle[idle_head] = nil
  idle_head = idle_head + 1
  return id
end

function init(args)
  local nthreads = tonumber(os.getenv("BENCH_THREADS"))
  local i = 0
  for line in io.lines(os.getenv("BENCH_CASES")) do
    local id, rev = line:match("^(%d+) (%d+) ")
    if id then
      if i % nthreads == tid then
        id = tonumber(id)
        table.insert(ids, id)
        revision[id] = tonumber(rev)
        busy[id] = 0
        push(id)
      end
      i = i + 1
    end
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
end

function request()
  local id = pop()
  if id == nil then
    fallback = fallback + 1
    rr = rr % #ids + 1
    id = ids[rr]
  end
  busy[id] = busy[id] + 1
  n = n + 1
  local body = '{"event":"record_nrm_status","expected_revision":' .. revision[id] ..
    ',"data":{"status":"' .. statuses[n % #statuses + 1] .. '","decided_on":"2026-11-2' ..
    (n % 9 + 1) .. '"}}'
  return wrk.format(nil, "/api/v1/returns/" .. id .. "/transitions", nil, body)
end

function response(status, headers, body)
  local id, rev
  if status == 200 then
    ok = ok + 1
    id = tonumber(body:match('"id":(%d+)'))
    rev = tonumber(body:match('"revision":(%d+)'))
  else
    if status == 409 then s409 = s409 + 1
    elseif status == 422 then s422 = s422 + 1
    elseif status >= 500 then s5xx = s5xx + 1
    elseif status >= 400 then s4xx = s4xx + 1
    else other = other + 1 end
    id = tonumber(body:match('"instance":"/api/v1/returns/(%d+)/'))
    rev = tonumber(body:match('"current_revision":(%d+)'))
  end
  if id == nil or busy[id] == nil then
    unmatched = unmatched + 1
    return
  end
  if rev then revision[id] = rev end
  busy[id] = busy[id] - 1
  if busy[id] == 0 then push(id) end
end
