-- GET /api/v1/incidents?<filter>&limit=50[&cursor=...]: a filtered page of
-- 50, newest first. BENCH_LIST=first asks for the first page of a filter
-- (what a person opening the list sees), BENCH_LIST=deep for a page at a
-- random depth (a keyset cursor anywhere in the seeded rows, so mostly
-- pages no cache holds).
-- Env: BENCH_TOKEN, BENCH_ROWS, BENCH_NOW (seed time), BENCH_LIST, BENCH_DIR.
dofile(os.getenv("BENCH_DIR") .. "/report.lua")

local token = os.getenv("BENCH_TOKEN")
local rows = tonumber(os.getenv("BENCH_ROWS"))
local now = tonumber(os.getenv("BENCH_NOW"))
local deep = os.getenv("BENCH_LIST") == "deep"
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
	if deep then
		-- seeded row k has id k and created_at now - (rows - k) * 30; the cursor
		-- is "<sort><direction>.v<time>.<id>" (src/store/incident_search.c)
		local k = math.random(1000, rows)
		q = q .. string.format("&cursor=cd.v%d.%d", now - (rows - k) * 30, k)
	end
	return wrk.format("GET", "/api/v1/incidents?" .. q, hdr)
end
