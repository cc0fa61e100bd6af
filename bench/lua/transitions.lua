-- Accreditation transitions through the whole HTTP pipeline, as the scheme manager:
-- each case cycles accredited -suspend-> suspended -reinstate-> accredited.
--
-- BENCH_CASES names a file of "id revision state" lines; thread t owns the cases whose line
-- index i has i % BENCH_THREADS == t, and a case is never in flight twice, so revisions never
-- clash by construction. The response tells which case it answers: a 200 carries the
-- application ("id", "state", "revision" come first), a problem+json carries
-- "instance": "/api/v1/applications/<id>/transitions" and, for 409 stale revision, the current
-- revision and state in "extra" (used to resynchronise). Only 200s count as transitions ("ok").

ids, revision, state, busy = {}, {}, {}, {}
idle, idle_head, idle_tail = {}, 1, 0
ok, s409, s422, s4xx, s5xx, other, fallback, unmatched = 0, 0, 0, 0, 0, 0, 0, 0
rr = 0

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
    local id, rev, st = line:match("^(%d+) (%d+) ([%w_]+)")
    if id then
      if i % nthreads == tid then
        id = tonumber(id)
        table.insert(ids, id)
        revision[id] = tonumber(rev)
        state[id] = st
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
    -- every case of this thread is in flight (or lost to a timeout): reuse one anyway
    fallback = fallback + 1
    rr = rr % #ids + 1
    id = ids[rr]
  end
  busy[id] = busy[id] + 1
  local body
  if state[id] == "suspended" then
    body = '{"event":"reinstate","expected_revision":' .. revision[id] ..
           ',"reason_code":null,"note":"bench"}'
  else
    body = '{"event":"suspend","expected_revision":' .. revision[id] ..
           ',"reason_code":"other","note":"bench"}'
  end
  return wrk.format(nil, "/api/v1/applications/" .. id .. "/transitions", nil, body)
end

function response(status, headers, body)
  local id, rev, st
  if status == 200 then
    ok = ok + 1
    id = tonumber(body:match('"id":(%d+)'))
    st = body:match('"state":"([%w_]+)"')
    rev = tonumber(body:match('"revision":(%d+)'))
  else
    if status == 409 then s409 = s409 + 1
    elseif status == 422 then s422 = s422 + 1
    elseif status >= 500 then s5xx = s5xx + 1
    elseif status >= 400 then s4xx = s4xx + 1
    else other = other + 1 end
    id = tonumber(body:match('"instance":"/api/v1/applications/(%d+)/'))
    rev = tonumber(body:match('"current_revision":(%d+)'))
    st = body:match('"state":"([%w_]+)"')
  end
  if id == nil or busy[id] == nil then
    unmatched = unmatched + 1
    return
  end
  if rev then revision[id] = rev end
  if st then state[id] = st end
  busy[id] = busy[id] - 1
  if busy[id] == 0 then push(id) end
end
