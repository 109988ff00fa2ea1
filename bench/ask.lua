-- wrk script for bench/ask_bench.py: every request asks a question no request asked before
-- (a per-thread prefix and a counter), so the server embeds each one: no cache hits.
local counter = 0
local prefix = ""
local words = {"change","card","invoice","download","password","reset","export","timesheet","slack","connect","plan","seat","refund","import","csv","token","webhook","project","board","timer"}
local threads = 0
local pages = {"/settings/billing", "/settings/security/2fa", "/import", "/time/timesheets"}
setup = function(thread)
  threads = threads + 1
  thread:set("tid", tostring(threads) .. tostring(os.time()))
end
init = function(args)
  prefix = tid or "x"
end
request = function()
  counter = counter + 1
  local q = "how do I " .. words[(counter % 20) + 1] .. " the " .. words[((counter * 7) % 20) + 1] .. " " .. words[((counter * 13) % 20) + 1] .. " " .. prefix .. "n" .. counter
  local body = '{"question": "' .. q .. '", "page_url": "' .. pages[(counter % 4) + 1] .. '"}'
  return wrk.format("POST", "/api/v1/ask", {["Content-Type"] = "application/json"}, body)
end

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "wrk_report.lua")  -- done
