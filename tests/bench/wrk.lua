-- wrk.lua: the request mix of one wrk run for tests/bench/bench.py.
--
--   wrk -t T -c C -d D -s wrk.lua URL -- mode=MODE token=TOKEN threads=T [ids=FILE]
--                                       [prefix=+1NNN] [agent=UUID] [nonce=STR]
--
--   get          GET   /v1/phone-numbers/{id}, ids drawn at random          (token: API key)
--   patch        PATCH /v1/phone-numbers/{id} changing inbound_routing.voicemail_message
--   resolve      GET   /v1/routing/resolve?to=&from=, numbers at random     (token: internal)
--   warm         resolve, each number in turn (fills the routing cache)
--   warm-form    the same in the SIP edge's form (format=form: its own cache)
--   register     POST  /v1/phone-numbers, a new number each request: prefix .. thread digit ..
--                six-digit counter (so at most 10 threads), provider twilio with its own
--                provider_config, inbound routing to `agent`
--   register-idem  the same with an Idempotency-Key unique to the request (nonce-thread-counter)
--
-- ids FILE holds id<TAB>+E164 lines. The register modes count the answers per status in
-- response() (201 expected); the other modes leave response() undefined, so wrk parses no
-- headers for Lua and counts as errors only statuses >= 400 (its "non-2xx or 3xx").
--
-- done() prints one line, tab-separated:
--   RESULT rps p50_ms p99_ms p999_ms requests unexpected socket_errors expected seconds

-- setup() and done() run in wrk's main Lua state, init()/request()/response() in each
-- thread's own; done() reads the threads' counters through the handles kept here.
local threads = {}

function setup(thread)
   thread:set("tid", #threads)
   table.insert(threads, thread)
end

local opts, ids, numbers, n, headers, seq, step, counter, expected_status
ok_count, bad_count, counting = 0, 0, false

local function urlencode(s)
   return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

local function count_response(status, _, _)
   if status == expected_status then
      ok_count = ok_count + 1
   else
      bad_count = bad_count + 1
   end
end

function init(args)
   opts = {}
   for _, a in ipairs(args) do
      local k, v = a:match("^([%w_]+)=(.*)$")
      if k then opts[k] = v end
   end
   local mode = opts.mode or error("mode= is required")
   headers = { ["Authorization"] = "Bearer " .. (opts.token or "") }
   if mode == "patch" or mode:sub(1, 8) == "register" then
      headers["Content-Type"] = "application/json"
   end
   step = tonumber(opts.threads or "1")
   seq, counter = tid, 0
   math.randomseed(os.time() * 7919 + tid)
   if mode:sub(1, 8) == "register" then
      if tid > 9 then error("register modes take at most 10 threads") end
      expected_status = 201
      counting = true
      response = count_response
      return
   end
   ids, numbers = {}, {}
   for line in io.lines(opts.ids or error("ids= is required for mode " .. mode)) do
      local id, number = line:match("^([^\t]+)\t([^\t\r]+)")
      if id then
         ids[#ids + 1] = id
         numbers[#numbers + 1] = number
      end
   end
   n = #ids
   if n == 0 then error("no id<TAB>number lines in " .. opts.ids) end
end

local function pick()
   if opts.mode == "warm" or opts.mode == "warm-form" then
      seq = seq + step
      return seq % n + 1
   end
   return math.random(n)
end

function request()
   local mode = opts.mode
   if mode == "get" then
      return wrk.format("GET", "/v1/phone-numbers/" .. ids[pick()], headers)
   elseif mode == "resolve" or mode == "warm" then
      return wrk.format("GET", "/v1/routing/resolve?to=" .. urlencode(numbers[pick()]) .. "&from=%2B14155550100",
                        headers)
   elseif mode == "warm-form" then
      return wrk.format("GET", "/v1/routing/resolve?format=form&to=" .. urlencode(numbers[pick()]) ..
                        "&from=%2B14155550100", headers)
   elseif mode == "patch" then
      counter = counter + 1
      local body = '{"inbound_routing":{"voicemail_message":"bench voicemail ' .. tid .. "-" .. counter .. '"}}'
      return wrk.format("PATCH", "/v1/phone-numbers/" .. ids[pick()], headers, body)
   elseif mode == "register" or mode == "register-idem" then
      counter = counter + 1
      local phone = opts.prefix .. tid .. string.format("%06d", counter % 1000000)
      local body = '{"phone_number":"' .. phone .. '","provider":"twilio","agent_id":"' .. opts.agent ..
         '","provider_config":{"trunk_address":"bench.pstn.twilio.com","auth_username":"bench",' ..
         '"auth_password":"Bench-password-1"},"inbound_routing":{"agent_id":"' .. opts.agent ..
         '","voicemail_message":"bench"}}'
      if mode == "register-idem" then
         headers["Idempotency-Key"] = opts.nonce .. "-" .. tid .. "-" .. counter
      end
      return wrk.format("POST", "/v1/phone-numbers", headers, body)
   end
   error("unknown mode " .. tostring(mode))
end

function done(summary, latency, requests)
   local seconds = summary.duration / 1e6
   local e = summary.errors
   local ok, bad = 0, 0
   if threads[1] and threads[1]:get("counting") then
      for _, t in ipairs(threads) do
         ok = ok + (t:get("ok_count") or 0)
         bad = bad + (t:get("bad_count") or 0)
      end
   else
      bad = e.status
      ok = summary.requests - e.status
   end
   io.write(string.format("RESULT\t%.1f\t%.3f\t%.3f\t%.3f\t%d\t%d\t%d\t%d\t%.3f\n",
      summary.requests / seconds, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
      latency:percentile(99.9) / 1000, summary.requests, bad, e.connect + e.read + e.write + e.timeout, ok,
      seconds))
end
