-- wrk script for `make bench-server`: each request POSTs a new claim to
-- /v1/settlements, for a person drawn from the registry, with a mix of
-- visit types and amounts shaped like the generator's (mostly outpatient,
-- some inpatient stays, a few chronic visits).  Claim ids are unique per
-- run, thread and request, so every request is a real, durable settlement.
--
-- Environment: SB_TOKEN (a hospital token), SB_PERSONS (persons.csv),
-- SB_RUN (a tag making this run's claim ids new).

local token = os.getenv("SB_TOKEN")
local run = os.getenv("SB_RUN") or tostring(os.time())
local persons_file = os.getenv("SB_PERSONS")

local counter = 1

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end

local persons = {}
local n = 0
-- The request's line and headers, the same for every request but for
-- Content-Length: made once (init), not by wrk.format per request, whose
-- table of headers and string.format per header cost the client CPU that
-- the server, sharing the machine's two cores with it, then lacks.
local head

function init(args)
  local f = assert(io.open(persons_file, "r"))
  f:read("*l") -- header
  local last = nil
  for line in f:lines() do
    local id = line:match("^([^,]*),")
    if id ~= last then
      table.insert(persons, id)
      last = id
    end
  end
  f:close()
  math.randomseed(tid * 7919)
  local host = wrk.port and (wrk.host .. ":" .. wrk.port) or wrk.host
  head = "POST /v1/settlements HTTP/1.1\r\nHost: " .. host ..
    "\r\nAuthorization: Bearer " .. token ..
    "\r\nContent-Type: application/json\r\nContent-Length: "
end

local levels = {"primary", "grade1", "grade2", "grade3"}

function request()
  n = n + 1
  local p = persons[math.random(#persons)]
  local r = math.random(100)
  local visit, level, fee
  if r <= 80 then
    visit, level, fee = "outpatient", "primary", math.random(2000, 30000)
  elseif r <= 95 then
    visit, level, fee = "inpatient", levels[math.random(2, 4)], math.random(300000, 3000000)
  else
    visit, level, fee = "chronic", "grade1", math.random(5000, 80000)
  end
  local month = math.random(12)
  local body = string.format(
    '{"claim_id":"B%s-%d-%d","person_id":"%s","date":"2022-%02d-%02d",' ..
    '"visit_type":"%s","level":"%s","medfee_sumamt":"%d.%02d"}',
    run, tid, n, p, month, math.random(28), visit, level, math.floor(fee / 100), fee % 100)
  return head .. #body .. "\r\n\r\n" .. body
end

-- No response() callback: with one, wrk copies every answer's headers
-- and body into Lua, a few microseconds of client CPU an answer.  What
-- the answers were is counted by wrk (complete answers, and those not
-- 2xx/3xx) and, by status, by the server (GET /metrics), which is what
-- the scripts' durability check reads.
function done(summary, latency, requests)
  io.write(string.format("answers: %d complete, %d not 2xx/3xx\n",
    summary.requests, summary.errors.status))
  io.write(string.format("latency p50=%.2fms p90=%.2fms p99=%.2fms p99.9=%.2fms max=%.2fms\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency:percentile(99.9) / 1000, latency.max / 1000))
end
