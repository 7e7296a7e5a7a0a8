-- GET /api/v1/incidents/{id} for a random seeded incident.
-- Env: BENCH_TOKEN, BENCH_ROWS (seeded rows; their ids follow
-- 00000000-0000-4000-8000-%012d, see bench/run.sh), BENCH_DIR.
dofile(os.getenv("BENCH_DIR") .. "/report.lua")

local token = os.getenv("BENCH_TOKEN")
local rows = tonumber(os.getenv("BENCH_ROWS"))
local hdr = { ["Authorization"] = "Bearer " .. token }

function request()
	local path = string.format("/api/v1/incidents/00000000-0000-4000-8000-%012d",
				   math.random(1, rows))
	return wrk.format("GET", path, hdr)
end
