-- wrk script for the benchmark harness.
-- BENCH_PATHS: comma-separated paths; each connection thread sends them round-robin.
-- done() prints one line starting with BENCH_JSON that the harness parses.

local paths = {}
for p in string.gmatch(os.getenv("BENCH_PATHS") or "/", "([^,]+)") do
  paths[#paths + 1] = p
end
local threads = 0
local index = 0

function setup(thread)
  thread:set("thread_id", threads)
  threads = threads + 1
end

function init(args)
  index = thread_id or 0
end

function request()
  index = index + 1
  return wrk.format("GET", paths[(index % #paths) + 1])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"mean": %.1f, "max": %d, "p50": %d, "p90": %d, "p99": %d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(99)))
end
