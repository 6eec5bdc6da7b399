-- wrk script: POST /api/v1/customers with a unique email per request.
--   wrk ... -s bench/post_customers.lua http://HOST:PORT/api/v1/customers -- TOKEN [RUN_ID]
-- TOKEN falls back to the environment variable BENCH_TOKEN. Emails are
-- bench-<run>-<thread>-<counter>-<random>@example.com, so they never collide across wrk
-- threads, across runs against the same database, or with seeded customers.
-- Counts non-2xx responses (see common.lua): a 409 or 422 here means the run is invalid.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua")

local token, run_id
local counter = 0

function init(args)
  token = args[1]
  if token == nil or token == "" then token = os.getenv("BENCH_TOKEN") end
  run_id = args[2]
  if run_id == nil or run_id == "" then run_id = tostring(os.time()) end
  -- thread_id is set by setup() in common.lua before init runs.
  math.randomseed(os.time() * 1000 + (thread_id or 0) * 7919 + math.floor(os.clock() * 1e6))
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  if token ~= nil and token ~= "" then
    wrk.headers["Authorization"] = "Bearer " .. token
  end
end

function request()
  counter = counter + 1
  local n = string.format("%s-%d-%d-%d", run_id, thread_id or 0, counter, math.random(0, 999999))
  local body = string.format(
    '{"name": "Bench Customer %s", "email": "bench-%s@example.com", "status": "lead"}', n, n)
  return wrk.format(nil, nil, nil, body)
end
