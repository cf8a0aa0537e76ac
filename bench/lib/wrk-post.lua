-- wrk script: cycles through pre-formatted POST requests (a Lua file written by the harness,
-- passed as the first script argument) and prints the summary as one JSON line.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("offset", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local requests = {}
local n = 0
local i = 0

function init(args)
  local spec = dofile(args[1])
  for _, r in ipairs(spec) do
    n = n + 1
    requests[n] = wrk.format(r.method, r.path, r.headers, r.body)
  end
  -- Threads start at different places in the list, so two never send the same body together.
  i = ((offset or 0) * math.floor(n / 2)) % n
end

function request()
  i = i % n + 1
  return requests[i]
end

function done(summary, latency, _)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"durationUs":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d,"p50Us":%d,"p90Us":%d,"p99Us":%d,"meanUs":%.1f,"maxUs":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.mean, latency.max))
end
