-- wrk script for bench/load_bench.py: the traffic of widgets in use, mixed per request.
--   50 %  POST /api/v1/ask      (7 in 10 one of 20 common questions, 3 in 10 never asked before)
--   20 %  GET  /api/v1/prompts  (the page's proactive prompts)
--   27 %  POST /api/v1/events   (a batch of 10 events, every id new)
--    3 %  POST /api/v1/tickets  (a handoff, every id new)
-- Visitors rotate every 20 requests, so per-visitor rate limits are checked but not hit.
local counter = 0
local prefix = ""
local threads = 0
local common = {
  "How do I change my credit card?", "How do I reset my password?", "Where are my invoices?",
  "How do I export my data?", "How do I connect Slack?", "How do I cancel my plan?",
  "How do I add a seat?", "How do I turn on two-factor authentication?", "How do I import a CSV?",
  "How do I get a refund?", "How do I create an API token?", "How do I set up a webhook?",
  "How do I start a timer?", "How do I approve a timesheet?", "How do I invite my team?",
  "How do I change the project owner?", "How do I archive a board?", "Why was my card declined?",
  "How do I change my email address?", "How do I delete my account?",
}
local words = {"change","card","invoice","download","password","reset","export","timesheet","slack","connect","plan","seat","refund","import","csv","token","webhook","project","board","timer"}
local pages = {"/settings/billing", "/settings/security/2fa", "/import", "/time/timesheets"}
setup = function(thread)
  threads = threads + 1
  thread:set("tid", tostring(threads) .. tostring(os.time()))
end
init = function(args)
  prefix = tid or "x"
end
local function visitor()
  return "v-" .. prefix .. "-" .. math.floor(counter / 20)
end
request = function()
  counter = counter + 1
  local slot = counter % 100
  local page = pages[(counter % 4) + 1]
  if slot < 50 then
    local q
    if slot % 10 < 7 then
      q = common[(counter % 20) + 1]
    else
      q = "how do I " .. words[(counter % 20) + 1] .. " the " .. words[((counter * 7) % 20) + 1] .. " " .. prefix .. "n" .. counter
    end
    local body = '{"question": "' .. q .. '", "page_url": "' .. page .. '", "site": "bench", "visitor_id": "' .. visitor() .. '"}'
    return wrk.format("POST", "/api/v1/ask", {["Content-Type"] = "application/json"}, body)
  elseif slot < 70 then
    return wrk.format("GET", "/api/v1/prompts?url=" .. page)
  elseif slot < 97 then
    local events = {}
    for i = 1, 10 do
      events[i] = string.format(
        '{"type": "widget_opened", "source": "launcher", "id": "ev-%s-%d-%d", "session_id": "s-%s", "visitor_id": "%s", "page_url": "%s", "ts": %d}',
        prefix, counter, i, visitor(), visitor(), page, 1763900000000 + counter)
    end
    local body = '{"site": "bench", "events": [' .. table.concat(events, ",") .. ']}'
    return wrk.format("POST", "/api/v1/events", {["Content-Type"] = "text/plain;charset=UTF-8"}, body)
  else
    local body = string.format(
      '{"id": "tk-%s-%d", "site": "bench", "email": "dana@example.com", "message": "My card was declined twice.", "session_id": "s-%s", "visitor_id": "%s", "page_url": "%s"}',
      prefix, counter, visitor(), visitor(), page)
    return wrk.format("POST", "/api/v1/tickets", {["Content-Type"] = "application/json"}, body)
  end
end

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "wrk_report.lua")  -- done
