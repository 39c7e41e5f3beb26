-- Prints one machine-readable line after a wrk run: request count, duration, p50 and p95
-- latency (microseconds) and errors (HTTP status >= 400, connect, read, write, timeout).
-- When BENCH_REQUESTS names a Lua file, requests come from its table (POSTs of the write paths).
local list = nil
local counter = 0
local threads = {}
local file = os.getenv("BENCH_REQUESTS")
if file then
  list = dofile(file)
end

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  nthreads = tonumber(os.getenv("BENCH_THREADS") or "2")
end

function request()
  if not list then
    return wrk.request()
  end
  local i = (id or 0) + counter * nthreads
  counter = counter + 1
  local item = list[(i % #list) + 1]
  return wrk.format("POST", item[1], nil, item[2])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, "errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    e.status + e.connect + e.read + e.write + e.timeout))
end
