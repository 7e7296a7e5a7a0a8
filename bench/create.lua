-- POST /api/v1/incidents with a unique body per request.
-- Detected "now", as an incident opened from an alert is (the time of the
-- request, to the second).
-- Env: BENCH_TOKEN (an API token with the write scope), BENCH_DIR.
dofile(os.getenv("BENCH_DIR") .. "/report.lua")

local token = os.getenv("BENCH_TOKEN")
local sev = { "critical", "high", "medium", "low" }
local n = 0

function request()
	n = n + 1
	local body = string.format(
		'{"title":"bench incident %d-%d","description":"Created by bench/create.lua,' ..
		' request %d of thread %d.","severity":"%s","detected_at":"%s"}',
		tid, n, n, tid, sev[(n % 4) + 1], os.date("!%Y-%m-%dT%H:%M:%SZ"))
	return wrk.format("POST", "/api/v1/incidents", {
		["Authorization"] = "Bearer " .. token,
		["Content-Type"] = "application/json",
	}, body)
end
