-- Public self-enrolments through the whole HTTP pipeline: POST
-- /api/v1/training/sessions/{id}/enrolments, no log-in. Every request is a new learner (a new
-- e-mail: the learner is created, name and e-mail sealed, a confirmation token e-mailed through
-- the outbox, an enrolment case opened with its audit event and its lapse timer), into one of
-- the sessions open for registration listed in BENCH_SESSIONS. Only 202s count ("ok");
-- anything else is counted by status class and run.py fails the scenario if any occur (a 429
-- means IRIS_PUBLIC_RATE_LIMIT_PER_MINUTE was not lifted).

ok, s409, s422, s429, s4xx, s5xx, other = 0, 0, 0, 0, 0, 0, 0
n = 0
sessions = {}

sectors = {"social_care", "housing", "police", "faith", "health", "home_office", "recruitment"}

function init(args)
  n = tonumber(os.getenv("BENCH_OFFSET") or "0")
  for id in string.gmatch(os.getenv("BENCH_SESSIONS") or "", "%d+") do
    sessions[#sessions + 1] = id
  end
  assert(#sessions > 0, "BENCH_SESSIONS names no session")
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  n = n + 1
  local session = sessions[n % #sessions + 1]
  local body = '{"name":"Bench Learner ' .. n .. '","email":"learner-' .. tid .. '-' .. n ..
    '-' .. math.random(1, 1000000000) .. '@bench.example","sector":"' ..
    sectors[n % #sectors + 1] .. '","organisation":"Bench County Council"}'
  return wrk.format(nil, "/api/v1/training/sessions/" .. session .. "/enrolments", nil, body)
end

function response(status, headers, body)
  if status == 202 then ok = ok + 1
  elseif status == 409 then s409 = s409 + 1
  elseif status == 422 then s422 = s422 + 1
  elseif status == 429 then s429 = s429 + 1
  elseif status >= 500 then s5xx = s5xx + 1
  elseif status >= 400 then s4xx = s4xx + 1
  else other = other + 1 end
end
