-- Shared by the wrk scenarios: a per-thread id and random seed, and one
-- machine-readable RESULT line at the end (parsed by bench/run.sh).
-- Latencies are wrk's own per-request figures (microseconds).
local threads = {}
local next_id = 0

function setup(thread)
	next_id = next_id + 1
	thread:set("tid", next_id)
	table.insert(threads, thread)
end

function init(args)
	math.randomseed(tid * 7919 + os.time())
	if bench_init then bench_init(args) end
end

function done(summary, latency, requests)
	local e = summary.errors
	local secs = summary.duration / 1e6
	io.write(string.format(
		"RESULT requests=%d seconds=%.2f rps=%.0f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f" ..
		" max_ms=%.2f mean_ms=%.2f non2xx=%d connect_err=%d read_err=%d write_err=%d" ..
		" timeouts=%d\n",
		summary.requests, secs, summary.requests / secs,
		latency:percentile(50) / 1000, latency:percentile(90) / 1000,
		latency:percentile(99) / 1000, latency.max / 1000, latency.mean / 1000,
		e.status, e.connect, e.read, e.write, e.timeout))
end
