#!/bin/bash
# check-in-chromium.sh TRACE.json: loads a `kvmsr report --perfetto` file in
# headless Chromium (Debian's chromium) and checks, in the browser, that it
# parses as JSON and is a trace-event file: a traceEvents array whose events
# all have a phase, a pid and, but for metadata, a numeric ts; slices a dur.
# Prints "chromium: ok N events" and exits 0, or says what is wrong.
set -euo pipefail
trace=$1
browser=$(command -v chromium || command -v chromium-browser || true)
[[ -n $browser ]] || { echo "chromium: not installed (make deps)" >&2; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
{
	echo '<!DOCTYPE html><html><head><title>pending</title></head><body><pre id="out">pending</pre>'
	echo '<script id="trace" type="application/json">'
	sed 's|</|<\\/|g' "$trace"
	echo '</script><script>'
	cat <<'JS'
let out;
try {
  const t = JSON.parse(document.getElementById('trace').textContent);
  if (!Array.isArray(t.traceEvents)) throw new Error('no traceEvents array');
  let bad = 0;
  for (const e of t.traceEvents) {
    const ok = typeof e.ph === 'string' && typeof e.pid === 'number' &&
      (e.ph === 'M' || typeof e.ts === 'number') &&
      (e.ph !== 'X' || typeof e.dur === 'number');
    if (!ok) bad++;
  }
  out = bad ? 'chromium: ' + bad + ' malformed events' : 'chromium: ok ' + t.traceEvents.length + ' events';
} catch (err) {
  out = 'chromium: JSON error: ' + err.message;
}
document.getElementById('out').textContent = out;
JS
	echo '</script></body></html>'
} > "$dir/check.html"
res=$(timeout 120 "$browser" --headless --no-sandbox --disable-gpu --user-data-dir="$dir/profile" \
	--dump-dom "file://$dir/check.html" 2>/dev/null | sed -n 's/.*<pre id="out">\([^<]*\)<.*/\1/p')
echo "${res:-chromium: no result (the browser did not run the page)}"
[[ $res == "chromium: ok "* ]]
