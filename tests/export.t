#!/usr/bin/env bash
# export.t: `ksim export` and the viewer's fallbacks. The SVG is well-formed (xmllint),
# names the lanes and labels the messages, and is the same bytes twice; Mermaid text
# passes a line-by-line grammar check; background traffic is left out unless --all; --text
# is exactly the timeline `ksim run` prints;
# off a terminal `ksim view` and `ksim run --tui` print text; malformed traces and bad
# options give file:line messages and the documented exit codes.
. "$(dirname "$0")/lib/tap.sh"
tap_tmpdir
run() { "$KSIM" "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?; }

demo=scenarios/01-lost-ack-duplicate.lua
"$KSIM" run "$demo" --trace "$tmp/t.jsonl" >"$tmp/run.txt" 2>/dev/null
ok $? "the demo runs and writes its trace"

# ---- SVG ----
run export "$tmp/t.jsonl" --svg "$tmp/a.svg"
[ "$rc" = 0 ] && [ -s "$tmp/a.svg" ]; ok $? "--svg writes an SVG file"
if command -v xmllint >/dev/null 2>&1; then
  xmllint --noout "$tmp/a.svg" 2>"$tmp/xml.err"; r=$?
  ok $r "the SVG is well-formed XML (xmllint)"
  [ $r = 0 ] || diag "$(head -5 "$tmp/xml.err")"
else
  skip "xmllint is not installed (make test installs libxml2-utils when it can)"
fi
for lane in broker-1 p1; do
  grep -q "class=\"name\"[^>]*>$lane</text>" "$tmp/a.svg"; ok $? "the SVG has a lane for $lane"
done
grep -q '>Produce payments-0 \[1\]</text>' "$tmp/a.svg"; ok $? "requests are labelled with their API and partition"
grep -q 'class="x"' "$tmp/a.svg" && grep -q 'Produce resp payments-0 @0' "$tmp/a.svg"
ok $? "the lost answer is crossed out and labelled"
grep -q 'class="band"' "$tmp/a.svg" && grep -q '问题场景' "$tmp/a.svg"; ok $? "notes are bands, Chinese text included"
"$KSIM" export "$tmp/t.jsonl" --svg "$tmp/b.svg" && cmp -s "$tmp/a.svg" "$tmp/b.svg"
ok $? "the same trace gives byte-identical SVG"
LANG=C LC_ALL=C "$KSIM" export "$tmp/t.jsonl" --svg "$tmp/c.svg" && cmp -s "$tmp/a.svg" "$tmp/c.svg"
ok $? "whatever the locale"
run export "$tmp/t.jsonl" --svg - --nodes p1 --from 5000 --to 5092
grep -q '>p1</text>' "$tmp/out" && ! grep -q '>controller</text>' "$tmp/out" &&
  ! grep -q '>     0.000<\|>0.000</text>' "$tmp/out" && grep -q '>5090.558</text>' "$tmp/out"
ok $? "--nodes, --from and --to choose lanes and rows (to stdout with -)"

# ---- Mermaid ----
run export "$tmp/t.jsonl" --mermaid "$tmp/a.mmd"
[ "$rc" = 0 ] && [ "$(head -n 1 "$tmp/a.mmd")" = sequenceDiagram ]; ok $? "--mermaid starts with sequenceDiagram"
# Text: no ';' or '#' but in Mermaid's entity codes (#35; #59; #60; #62;).
text='([^;#]|#[0-9]+;)+'
bad=$(tail -n +2 "$tmp/a.mmd" | grep -vE \
  -e "^    %% $text\$" \
  -e "^    participant n[0-9]+ as $text\$" \
  -e "^    n[0-9]+(->>|-->>|-x|--x)n[0-9]+: $text\$" \
  -e "^    Note over n[0-9]+(,n[0-9]+)?: $text\$")
[ -z "$bad" ]; ok $? "every Mermaid line is a participant, a message, a note or a comment"
[ -z "$bad" ] || diag "$bad"
grep -q '^    participant n0 as broker-1$' "$tmp/a.mmd"; ok $? "brokers are the first participants"
grep -qE '^    n[0-9]+--xn[0-9]+: Produce resp payments-0 @0 \(lost: fault 1\)$' "$tmp/a.mmd"
ok $? "the lost answer is a dotted arrow ending in a cross"
grep -qE '^    n[0-9]+->>n0: Produce payments-0 \[1\]$' "$tmp/a.mmd"; ok $? "requests are solid arrows"
"$KSIM" export "$tmp/t.jsonl" --mermaid - | cmp -s - "$tmp/a.mmd"; ok $? "Mermaid output is the same twice"

# ---- background traffic ----
! grep -q "BrokerHeartbeat\|__cluster_metadata" "$tmp/a.mmd" && ! grep -q "BrokerHeartbeat" "$tmp/a.svg"
ok $? "heartbeats and idle metadata fetches are left out of Mermaid and SVG"
run export "$tmp/t.jsonl" --mermaid - --all
[ "$rc" = 0 ] && grep -q "BrokerHeartbeat" "$tmp/out" && grep -q "Fetch __cluster_metadata-0@" "$tmp/out"
ok $? "--all puts them in"
run export "$tmp/t.jsonl" --svg - --all
[ "$rc" = 0 ] && grep -q 'class="bg"' "$tmp/out" && grep -q '>BrokerHeartbeat' "$tmp/out"
ok $? "--all in SVG: greyed arrows"
run export "$tmp/t.jsonl" --text --all
[ "$rc" = 2 ] && grep -q -- "--all is for --svg and --mermaid" "$tmp/err"
ok $? "--all with --text is a usage error: the text is what ksim run printed"

# ---- text ----
for f in $(find scenarios -name '*.lua' | LC_ALL=C sort); do
  "$KSIM" run "$f" --trace "$tmp/s.jsonl" 2>/dev/null | grep -v '^digest ' >"$tmp/s.run"
  "$KSIM" export "$tmp/s.jsonl" --text >"$tmp/s.text" 2>"$tmp/err"
  cmp -s "$tmp/s.run" "$tmp/s.text"; r=$?
  ok $r "$f: export --text is the timeline ksim run printed"
  [ $r = 0 ] || diag "$(diff "$tmp/s.run" "$tmp/s.text" | head -5)"
done

# ---- off a terminal ----
run view "$tmp/t.jsonl" </dev/null
[ "$rc" = 0 ] && grep -q "not a terminal" "$tmp/err" && "$KSIM" export "$tmp/t.jsonl" --text | cmp -s - "$tmp/out"
ok $? "ksim view off a terminal prints the text timeline, with a note on stderr"
"$KSIM" run "$demo" --tui </dev/null >"$tmp/tui.out" 2>"$tmp/tui.err"
[ $? = 0 ] && grep -q "not a terminal" "$tmp/tui.err" && cmp -s "$tmp/tui.out" "$tmp/run.txt"
ok $? "ksim run --tui off a terminal prints what ksim run prints"

# ---- errors ----
printf '%s\n' '{"format":"ksim-trace","version":1}' '{"t":0,"seq":1,"node":"a","kind":"x"}' 'oops' >"$tmp/bad.jsonl"
run export "$tmp/bad.jsonl" --text
[ "$rc" = 1 ] && grep -qF "$tmp/bad.jsonl:3: not a JSON object" "$tmp/err"; ok $? "a malformed trace: FILE:LINE: what, exit 1"
run view "$tmp/bad.jsonl"
[ "$rc" = 1 ] && grep -qF "$tmp/bad.jsonl:3: not a JSON object" "$tmp/err"; ok $? "the viewer says the same"
printf '%s\n' '{"format":"ksim-trace","version":1}' '{"t":1000,"seq":1,"node":"a","kind":"x"}' \
  '{"t":10,"seq":2,"node":"a","kind":"x"}' >"$tmp/back.jsonl"
run export "$tmp/back.jsonl" --svg -
[ "$rc" = 1 ] && grep -qF "$tmp/back.jsonl:3: time goes backwards" "$tmp/err"; ok $? "a time that goes backwards: FILE:LINE, exit 1"
printf '%s\n' '{"format":"ksim-trace","version":1}' '{"t":0,"seq":1,"node":"a","kind":"x"}{"t":1,"seq":2,"node":"a","kind":"x"}' >"$tmp/two.jsonl"
run export "$tmp/two.jsonl" --mermaid -
[ "$rc" = 1 ] && grep -qF "$tmp/two.jsonl:2: text after the JSON object at column 38" "$tmp/err"
ok $? "two objects on one line are refused, not half read"
printf '%s\n' '{"format":"ksim-trace","version":1}' '{"t":0,"seq":1,"node":"a\u001b[2J","kind":"note\u0007","x":1}' >"$tmp/esc.jsonl"
run export "$tmp/esc.jsonl" --text
[ "$rc" = 0 ] && ! LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')" "$tmp/out" && grep -q 'a.*\[2J' "$tmp/out"
ok $? "control characters in a trace never reach the terminal"
run export "$tmp/none.jsonl" --text
[ "$rc" = 2 ] && grep -q "cannot read" "$tmp/err"; ok $? "a missing trace is a usage error (2)"
run export "$tmp/t.jsonl"
[ "$rc" = 2 ] && grep -q "choose what to write" "$tmp/err"; ok $? "no format chosen: exit 2"
run export "$tmp/t.jsonl" --text --svg x.svg
[ "$rc" = 2 ] && grep -q "choose one of" "$tmp/err"; ok $? "two formats: exit 2"
run export "$tmp/t.jsonl" --text --nodes nobody
[ "$rc" = 2 ] && grep -q "no node is called 'nobody'" "$tmp/err"; ok $? "--nodes with an unknown node: exit 2"
run export "$tmp/t.jsonl" --text --from soon
[ "$rc" = 2 ] && grep -q -- "--from needs a time" "$tmp/err"; ok $? "a bad --from: exit 2"
run export "$tmp/t.jsonl" --svg "$tmp/t.jsonl"
[ "$rc" = 2 ] && [ -s "$tmp/t.jsonl" ]; ok $? "the output cannot be the trace itself"
if [ -w /dev/full ]; then
  run export "$tmp/t.jsonl" --svg /dev/full
  [ "$rc" = 4 ] && grep -q "error writing /dev/full" "$tmp/err"; ok $? "an output that cannot be written: exit 4"
else
  skip "/dev/full is not available"
fi
run view
[ "$rc" = 2 ] && grep -q "view needs a trace file" "$tmp/err"; ok $? "ksim view without a trace: exit 2"
run view "$tmp/t.jsonl" --colour
[ "$rc" = 2 ] && grep -q "unknown option '--colour'" "$tmp/err"; ok $? "an unknown view option: exit 2"
"$KSIM" view --help | grep -q -- "--ascii" && "$KSIM" export --help | grep -q -- "--mermaid"
ok $? "view and export have --help"
"$KSIM" --help | grep -q "view TRACE.jsonl" && "$KSIM" run --help | grep -q -- "--tui"
ok $? "ksim --help lists view and export, run --help lists --tui"

tap_done
