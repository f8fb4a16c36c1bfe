-- SPDX-License-Identifier: BSD-2-Clause
-- wrk script for `make bench`: a 10%-failing mix. Every 10th request a wrk thread sends is
-- GET /api/fail (the view raises; Flask answers 500 and logs the traceback to stderr); the
-- others are GET /api/activities. Counting is per wrk thread, so the mix is exact per thread.
local n = 0
local ok = wrk.format("GET", "/api/activities")
local fail = wrk.format("GET", "/api/fail")

request = function()
  n = n + 1
  if n % 10 == 0 then
    return fail
  end
  return ok
end
