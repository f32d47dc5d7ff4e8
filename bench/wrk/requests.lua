-- Requests for wrk from a file bench/run.py writes (BENCH_REQUESTS names it), one a line:
--   METHOD <tab> PATH [<tab> COOKIE <tab> BODY]
-- Each thread starts at its own place in the list and goes round it, so the connections ask for
-- many different tiles, reports and places at once. In a POST body "submission_key=..." gets a
-- suffix of the run (BENCH_RUN, new for every wrk), the thread and a count, so no two submissions
-- are the same report (a key sent again is a retry, answered with the report it made).
-- done() prints one line, "BENCH-JSON {...}": requests, seconds, errors, the count of each HTTP
-- status and latency percentiles (ms).

local threads = {}
local counter = 0

function setup(thread)
   counter = counter + 1
   thread:set("id", counter)
   table.insert(threads, thread)
end

function init(args)
   lines = {}
   for line in io.lines(os.getenv("BENCH_REQUESTS")) do
      local method, path, cookie, body = line:match("^([^\t]*)\t([^\t]*)\t?([^\t]*)\t?(.*)$")
      table.insert(lines, {method = method, path = path, cookie = cookie, body = body})
   end
   position = (id * 7919) % #lines
   made = 0
   statuses = {}
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
end

function request()
   position = position % #lines + 1
   local entry = lines[position]
   if entry.method == "POST" then
      made = made + 1
      local key = "submission_key=%1-" .. os.getenv("BENCH_RUN") .. "-" .. id .. "-" .. made
      local body = entry.body:gsub("submission_key=([^&]*)", key)
      local headers = {["Content-Type"] = "application/x-www-form-urlencoded"}
      if entry.cookie ~= "" then headers["Cookie"] = entry.cookie end
      return wrk.format("POST", entry.path, headers, body)
   end
   if entry.cookie ~= "" then
      return wrk.format("GET", entry.path, {["Cookie"] = entry.cookie})
   end
   return wrk.format("GET", entry.path)
end

function done(summary, latency, requests)
   local e = summary.errors
   local counted = {}
   for _, thread in ipairs(threads) do
      for status, n in pairs(thread:get("statuses")) do
         counted[status] = (counted[status] or 0) + n
      end
   end
   local s = {}
   for status, n in pairs(counted) do
      table.insert(s, string.format('"%d": %d', status, n))
   end
   local p = {}
   for _, q in ipairs({50, 95, 99}) do
      table.insert(p, string.format('"p%d": %.3f', q, latency:percentile(q) / 1000))
   end
   io.write(string.format(
      'BENCH-JSON {"requests": %d, "seconds": %.3f, "connect_errors": %d, "read_errors": %d, ' ..
      '"write_errors": %d, "status_errors": %d, "timeouts": %d, "statuses": {%s}, "max": %.3f, %s}\n',
      summary.requests, summary.duration / 1e6, e.connect, e.read, e.write, e.status, e.timeout,
      table.concat(s, ", "), latency.max / 1000, table.concat(p, ", ")))
end
