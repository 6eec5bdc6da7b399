-- Shared by the wrk scripts of bench/: counts responses by status per thread, and at the end
-- prints one machine-readable line that bench/run parses:
--   @@RESULT {"requests":N,"duration_us":N,"rps":X,"p50_us":X,"p90_us":X,"p99_us":X,
--             "max_us":X,"non2xx":N,"statuses":{"200":N,...},"errors":{...}}
-- A benchmark that silently measures 4xx is worthless: non-2xx responses are counted here
-- (wrk's own "Non-2xx or 3xx" line misses 3xx) and the runner fails the row on any of them.

local threads = {}

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

statuses = {}
non2xx = 0

function count_response(status)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function response(status, headers, body)
  count_response(status)
end

local function json_number(x)
  if x ~= x or x == math.huge or x == -math.huge then return "null" end
  if x == math.floor(x) and math.abs(x) < 1e15 then return string.format("%d", x) end
  return string.format("%.3f", x)
end

function done(summary, latency, requests)
  local total_non2xx = 0
  local merged = {}
  for _, thread in ipairs(threads) do
    total_non2xx = total_non2xx + (thread:get("non2xx") or 0)
    local s = thread:get("statuses") or {}
    for k, v in pairs(s) do merged[k] = (merged[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(merged) do
    table.insert(parts, string.format('"%s":%s', k, json_number(v)))
  end
  table.sort(parts)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    '@@RESULT {"requests":%s,"duration_us":%s,"rps":%s,"p50_us":%s,"p90_us":%s,' ..
    '"p99_us":%s,"max_us":%s,"non2xx":%s,"statuses":{%s},' ..
    '"errors":{"connect":%s,"read":%s,"write":%s,"status":%s,"timeout":%s}}\n',
    json_number(summary.requests), json_number(summary.duration),
    json_number(seconds > 0 and summary.requests / seconds or 0),
    json_number(latency:percentile(50)), json_number(latency:percentile(90)),
    json_number(latency:percentile(99)), json_number(latency.max),
    json_number(total_non2xx), table.concat(parts, ","),
    json_number(e.connect), json_number(e.read), json_number(e.write),
    json_number(e.status), json_number(e.timeout)))
end
