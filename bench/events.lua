-- wrk script for bench/events_bench.py: batches of 20 widget events, every event id new,
-- sent as the widget sends them (text/plain JSON).
local counter = 0
local prefix = ""
local threads = 0
local kinds = {
  '"type": "widget_opened", "source": "launcher"',
  '"type": "question_asked", "question": "How do I change my plan?", "request_id": "r1", "status": "answered"',
  '"type": "answer_shown", "request_id": "r1", "article_id": "billing-change-plan", "section": "Steps"',
  '"type": "feedback", "request_id": "r1", "article_id": "billing-change-plan", "helpful": true',
  '"type": "page_changed", "from_url": "/dashboard"',
}
setup = function(thread)
  threads = threads + 1
  thread:set("tid", string.format("%d%d", threads, os.time()))
end
init = function(args)
  prefix = tid or "x"
end
request = function()
  local events = {}
  for i = 1, 20 do
    counter = counter + 1
    events[i] = string.format(
      '{"id": "ev-%s-%d", "session_id": "s-%s-%d", "visitor_id": "v-%s-%d", "page_url": "https://app.example.com/settings/billing", "ts": %d, %s}',
      prefix, counter, prefix, math.floor(counter / 100), prefix, math.floor(counter / 400), 1763900000000 + counter, kinds[(counter % 5) + 1])
  end
  local body = '{"site": "bench", "events": [' .. table.concat(events, ",") .. ']}'
  return wrk.format("POST", "/api/v1/events", {["Content-Type"] = "text/plain;charset=UTF-8"}, body)
end

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "wrk_report.lua")  -- done
