-- wrk script: Alertmanager webhook (version 4) batches with varying
-- fingerprints. Environment:
--   SECRET   the intake source's secret (required)
--   BATCH    alerts per request (default 50; 1 = single-alert requests)
--   POOL     distinct fingerprints to draw from (default 1000000): repeats
--            exercise de-duplication
--   RESOLVED percentage of alerts sent as resolved (default 5)
-- Every body is unique (a per-thread counter in groupKey), so none is
-- refused as a replay.
local secret = os.getenv("SECRET")
local batch = tonumber(os.getenv("BATCH") or "50")
local pool = tonumber(os.getenv("POOL") or "1000000")
local resolved_pct = tonumber(os.getenv("RESOLVED") or "5")
local counter = 0
local nthreads = 0

function setup(thread)
	nthreads = nthreads + 1
	thread:set("tid", nthreads) -- a global in the thread's own Lua state
end

function init(args)
	math.randomseed(os.time() * 1000 + tid * 7919)
	wrk.method = "POST"
	wrk.headers["Content-Type"] = "application/json"
	wrk.headers["Authorization"] = "Bearer " .. secret
end

local names = {"HostDown", "DiskFull", "HighLatency", "CPUHot", "MemoryPressure",
	"CertExpiry", "ErrorBudgetBurn", "QueueBacklog"}
local sevs = {"critical", "warning", "warning", "info", "page", "error"}

local function alert(fp)
	local n = fp % 8 + 1
	local status = math.random(100) <= resolved_pct and "resolved" or "firing"
	-- the start time follows the fingerprint: a repeat is the same occurrence
	local starts = string.format("2024-05-%02dT%02d:%02d:%02dZ", fp % 28 + 1, fp % 24,
		fp % 60, (fp * 7) % 60)
	local ends = status == "resolved" and "2024-05-29T00:00:00Z" or "0001-01-01T00:00:00Z"
	return string.format(
		'{"status":"%s","labels":{"alertname":"%s","severity":"%s",' ..
		'"instance":"node-%d.example.net:9100","job":"node","team":"t%d"},' ..
		'"annotations":{"summary":"%s on node-%d","description":"%s has fired on ' ..
		'node-%d.example.net for 5 minutes"},"startsAt":"%s","endsAt":"%s",' ..
		'"generatorURL":"http://prometheus.example.net:9090/graph?g0.expr=up%%3D%%3D0",' ..
		'"fingerprint":"%016x"}',
		status, names[n], sevs[fp % 6 + 1], fp % 5000, fp % 12, names[n], fp % 5000,
		names[n], fp % 5000, starts, ends, fp)
end

function request()
	counter = counter + 1
	local parts = {}
	for i = 1, batch do
		parts[i] = alert(math.random(pool))
	end
	local body = string.format(
		'{"version":"4","groupKey":"{}:{bench=\\"%d-%d\\"}","truncatedAlerts":0,' ..
		'"status":"firing","receiver":"sirt","groupLabels":{"bench":"x"},' ..
		'"commonLabels":{"job":"node"},"commonAnnotations":{},' ..
		'"externalURL":"http://alertmanager.example.net:9093","alerts":[%s]}',
		tid, counter, table.concat(parts, ","))
	return wrk.format(nil, nil, nil, body)
end

function done(summary, latency, requests)
	local non2xx = summary.errors.status
	io.write(string.format(
		"RESULT requests=%d duration_s=%.2f req_per_s=%.1f alerts_per_s=%.0f " ..
		"p50_ms=%.2f p99_ms=%.2f max_ms=%.2f non2xx=%d socket_errors=%d\n",
		summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
		summary.requests * batch / (summary.duration / 1e6),
		latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
		non2xx, summary.errors.connect + summary.errors.read + summary.errors.write +
		summary.errors.timeout))
end
