-- GET /api/v1/incidents?<filter>&limit=50[&cursor=...]: a filtered page of
-- 50, newest first. Half the requests ask for the first page, half for a
-- page at a random depth (a keyset cursor into the seeded rows).
-- Env: BENCH_TOKEN, BENCH_ROWS, BENCH_NOW (seed time), BENCH_DIR.
dofile(os.getenv("BENCH_DIR") .. "/report.lua")

local token = os.getenv("BENCH_TOKEN")
local rows = tonumber(os.getenv("BENCH_ROWS"))
local now = tonumber(os.getenv("BENCH_NOW"))
local hdr = { ["Authorization"] = "Bearer " .. token }
-- Seeded distribution (bench/run.sh): status closed 55%, resolved 15%,
-- rejected/recovery/eradication/containment/triage/new 5% each; severity
-- critical 5%, high 15%, medium 40%, low 40%.
local filters = {
	"status=triage",
	"severity=high",
	"status=containment&severity=critical",
	"status=closed&severity=low",
	"status=new",
	"severity=critical",
}

function request()
	local q = filters[math.random(1, #filters)] .. "&limit=50"
	if math.random(2) == 2 then
		-- seeded row k has id k and created_at now - (rows - k) * 30
		local k = math.random(1000, rows)
		q = q .. string.format("&cursor=%d.%d", now - (rows - k) * 30, k)
	end
	return wrk.format("GET", "/api/v1/incidents?" .. q, hdr)
end
