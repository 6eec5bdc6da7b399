-- wrk script: GET the URL given to wrk, with `Authorization: Bearer <token>` when a token is
-- given as the first script argument (wrk ... -s bench/get.lua URL -- TOKEN) or in the
-- environment variable BENCH_TOKEN. Without a token no Authorization header is sent (used
-- for /healthz, the framework ceiling). Counts non-2xx responses (see common.lua).
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua")

local token

function init(args)
  token = args[1]
  if token == nil or token == "" then token = os.getenv("BENCH_TOKEN") end
  if token ~= nil and token ~= "" then
    wrk.headers["Authorization"] = "Bearer " .. token
  end
end
-- No request() function: wrk then formats one static request after init() (with the header
-- above) and reuses it, so there is no per-request Lua work on the wrk side.
