-- wrk script for scripts/bench-web: requests paths picked at random from the file named by
-- $BENCH_PATHS (one path a line) and prints one line of results that the script reads.
local counter = 0
local threads = {}

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local paths = {}

function init(args)
  for line in io.lines(os.getenv("BENCH_PATHS")) do
    if #line > 0 then paths[#paths + 1] = line end
  end
  math.randomseed(os.time() + 7919 * (tid or 0))
end

function request()
  return wrk.format("GET", paths[math.random(#paths)])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f requests=%d seconds=%.2f rps=%.1f non2xx=%d connect=%d read=%d write=%d timeout=%d\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, summary.requests, summary.duration / 1e6,
    summary.requests / (summary.duration / 1e6), e.status, e.connect, e.read, e.write, e.timeout))
end
