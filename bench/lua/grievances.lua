-- Grievance filings through the whole HTTP pipeline: POST /api/v1/grievances, no log-in.
-- Every request is a valid filing with contact details (sealed identity) and a narrative
-- (sealed); the body varies a little per request: one of four corridor/language/recruiter
-- variants, and the narrative carries the thread id and a per-thread counter. Only 201s count
-- ("ok"); anything else is counted by status class and run.py fails the scenario if any occur
-- (a 429 means IRIS_PUBLIC_RATE_LIMIT_PER_MINUTE was not lifted).

ok, s409, s422, s429, s4xx, s5xx, other = 0, 0, 0, 0, 0, 0, 0
n = 0

variants = {
  {role = "worker", lang = "ne", origin = "NP", dest = "QA", recruiter = "Himalaya Manpower",
   allegations = '"recruitment_fees","document_retention"', principles = '"1","2"'},
  {role = "job_seeker", lang = "tl", origin = "PH", dest = "SA", recruiter = "Bayanihan Placement Inc.",
   allegations = '"recruitment_fees","deception"', principles = '"1","3"'},
  {role = "worker", lang = "bn", origin = "BD", dest = "MY", recruiter = "Padma Overseas Ltd.",
   allegations = '"recruitment_fees","contract_substitution"', principles = '"1","4"'},
  {role = "family_member", lang = "sw", origin = "KE", dest = "AE", recruiter = "Savannah Staffing Ltd",
   allegations = '"document_retention","wage_theft"', principles = '"2","5"'},
}

function init(args)
  n = tonumber(os.getenv("BENCH_OFFSET") or "0")
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  n = n + 1
  local v = variants[n % #variants + 1]
  local body = '{"complainant_role":"' .. v.role .. '","language":"' .. v.lang ..
    '","corridor":{"origin":"' .. v.origin .. '","destination":"' .. v.dest ..
    '"},"recruiter":{"name":"' .. v.recruiter .. '"},"allegations":[' .. v.allegations ..
    '],"principles":[' .. v.principles .. '],"fees_paid":{"amount":"1500.00","currency":"USD"},' ..
    '"documents_retained":true,"narrative":"I paid 1500 dollars for the job and they kept my ' ..
    'passport. (bench thread ' .. tid .. ', filing ' .. n .. ')",' ..
    '"contact":{"name":"Sita Gurung","email":"sita' .. n .. '@mail.example",' ..
    '"phone":"+977 9812345678"},"consents":{"refer_to_authority":true,"be_contacted":true}}'
  return wrk.format(nil, "/api/v1/grievances", nil, body)
end

function response(status, headers, body)
  if status == 201 then ok = ok + 1
  elseif status == 409 then s409 = s409 + 1
  elseif status == 422 then s422 = s422 + 1
  elseif status == 429 then s429 = s429 + 1
  elseif status >= 500 then s5xx = s5xx + 1
  elseif status >= 400 then s4xx = s4xx + 1
  else other = other + 1 end
end
