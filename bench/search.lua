-- GET /api/v1/incidents?q=...&limit=50: full-text search over the seeded
-- log (bench/run.sh with the search scenario: every incident has
-- BENCH_TIMELINE timeline entries and one indicator). Each request is one
-- of the queries below, picked at random, newest first unless it says.
-- Timeline words are drawn from a vocabulary of 200,000 by a log-uniform
-- rank (bench/seed-text.sh), so "user" (rank 1) is in nearly every
-- incident, "w1000" in about 0.7 % of them and "w100000" in a handful.
-- Env: BENCH_TOKEN, BENCH_ROWS, BENCH_DIR.
dofile(os.getenv("BENCH_DIR") .. "/report.lua")

local token = os.getenv("BENCH_TOKEN")
local rows = tonumber(os.getenv("BENCH_ROWS"))
local hdr = { ["Authorization"] = "Bearer " .. token }

local function word(lo, hi) return "w" .. math.random(lo, hi) end
local queries = {
	function() return "q=user" end,                             -- most incidents
	function() return "q=phishing" end,
	function() return "q=" .. word(100, 2000) end,              -- 0.5 to 7 %
	function() return "q=" .. word(20000, 200000) end,          -- a few incidents
	function() return "q=user%20" .. word(100, 2000) end,       -- common and medium
	function() return "q=malware%20ransomware%20" .. word(65, 500) end,
	-- an indicator, as a responder pastes it (one per incident, each in ~3)
	function() return "q=h" .. math.random(0, 300006) .. ".example.net" end,
	function() return "q=phishing&status=triage" end,           -- a word and a filter
	function() return "q=" .. word(2000, 20000) .. "&sort=updated_at" end, -- another order
}

function request()
	local q = queries[math.random(1, #queries)]() .. "&limit=50"
	return wrk.format("GET", "/api/v1/incidents?" .. q, hdr)
end
