-- GET /api/v1/roster rotating through a fixed list of query strings (one per line in the
-- file named by BENCH_PATHS). Each thread starts at a different place; BENCH_OFFSET moves
-- every start on, so consecutive runs continue through the list instead of repeating it.
-- BENCH_ACCEPT_ENCODING, when set, is sent as Accept-Encoding (as a browser sends it);
-- BENCH_COOKIE, when set, as Cookie (the staff workspace's session).

paths = {}
position = 0

function init(args)
  for line in io.lines(os.getenv("BENCH_PATHS")) do
    if #line > 0 then table.insert(paths, line) end
  end
  position = (tid * 7919 + tonumber(os.getenv("BENCH_OFFSET") or "0")) % #paths
end

local accept = os.getenv("BENCH_ACCEPT_ENCODING")
local cookie = os.getenv("BENCH_COOKIE")
local headers = nil
if accept or cookie then
  headers = {}
  if accept then headers["Accept-Encoding"] = accept end
  if cookie then headers["Cookie"] = cookie end
end

function request()
  position = position % #paths + 1
  return wrk.format("GET", paths[position], headers)
end
