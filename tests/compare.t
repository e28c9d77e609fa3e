#!/usr/bin/env bash
# compare.t: `ksim compare-assignors`, every assignor over one history of group changes:
# the tables (numbers worked out by hand for eager and cooperative protocols), --json,
# --assignments, --strategies, the SVG chart (well-formed, the same bytes twice), bad
# histories reported as FILE:LINE with exit 1, usage errors, --help; and the Lua API
# (ksim.assign, ksim.compare_assignors) with its errors.
. "$(dirname "$0")/lib/tap.sh"
tap_tmpdir

# cmp_run ARGS...: runs `ksim compare-assignors`; sets rc, out, err.
cmp_run() {
  "$KSIM" compare-assignors "$@" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  out=$(cat "$tmp/out")
  err=$(cat "$tmp/err")
}
has() { grep -qF -- "$2" <<<"$1"; }
# row TEXT DESCRIPTION: stdout has the line TEXT exactly.
row() {
  grep -qxF -- "$1" <<<"$out"
  local r=$?
  ok $r "$2"
  [ $r = 0 ] || diag "wanted the line: $1" "stdout:" "$out"
}
# error RC TEXT DESCRIPTION: exit code RC and TEXT on stderr.
error() {
  [ "$rc" = "$1" ] && has "$err" "$2"
  local r=$?
  ok $r "$3"
  [ $r = 0 ] || diag "exit $rc (want $1); wanted '$2' in stderr:" "$err"
}

# ---- the tables ----
cat >"$tmp/join.json" <<'EOF'
{"topics": {"t": 4},
 "members": [{"id": "C1", "topics": ["t"]}, {"id": "C2", "topics": ["t"]}],
 "steps": [{"join": "C3", "topics": ["t"]},
           {"leave": "C3", "label": "C3 goes again"}]}
EOF
cmp_run "$tmp/join.json"
ok "$rc" "a good history exits 0"
[ -z "$err" ]; ok $? "and prints nothing on stderr"
row "step 0: C1, C2 join (2 members, 4 partitions)" "step 0 is the group that forms"
row "step 1: C3 joins (3 members, 4 partitions)" "each step says what happened and the group's size"
row "step 2: C3 goes again (2 members, 4 partitions)" "a step's label replaces its description"
row "  strategy            protocol     min  max  spread  moved  revoked  rounds" \
  "the table's columns"
row "  range               eager          1    2       1      1        4       1" \
  "range (eager), C3 joins: both members revoke all 4 partitions, one moves"
row "  roundrobin          eager          1    2       1      2        4       1" \
  "roundrobin deals again: two partitions change hands"
row "  cooperative-sticky  cooperative    1    2       1      1        1       2" \
  "cooperative-sticky revokes only the partition that moves, in two rounds"
row "total over 3 steps (min and max: the extremes; spread: the worst step)" "a total at the end"
row "  cooperative-sticky  cooperative    1    2       1      2        1       4" \
  "totals sum moved, revoked and rounds (C3 leaving needs one round and no revocation)"

cmp_run "$tmp/join.json" --assignments
row "    range               C1 [t-0 t-1]  C2 [t-2]  C3 [t-3]" "--assignments prints who owns what"
row "    cooperative-sticky  C1 [t-0 t-2]  C2 [t-1]  C3 [t-3]" \
  "cooperative-sticky's assignment once the second round is done"

cmp_run - --strategies cooperative-sticky/eager,sticky <"$tmp/join.json"
[ "$rc" = 0 ] && [ "$(grep -c '^  cooperative-sticky/eager  eager ' <<<"$out")" = 4 ] &&
  ! grep -q '^  range ' <<<"$out"
ok $? "--strategies chooses the columns, and - reads standard input"
row "  cooperative-sticky/eager  eager          1    2       1      2        4       1" \
  "cooperative-sticky in an eager group reports nothing owned: it moves two, sticky one"

# The sample of docs/assignors.md is what the tool prints.
cmp_run scenarios/assignors/history.json
[ "$rc" = 0 ] && sed -n '/^total over/,$p' <<<"$out" >"$tmp/total.txt" && [ -s "$tmp/total.txt" ] &&
  while IFS= read -r line; do grep -qxF -- "$line" docs/assignors.md || exit 1; done <"$tmp/total.txt"
ok $? "docs/assignors.md shows the totals the tool prints for scenarios/assignors/history.json"

# ---- JSON ----
cmp_run "$tmp/join.json" --json
[ "$rc" = 0 ] && has "$out" '"name":	"cooperative-sticky"' && has "$out" '"protocol":	"cooperative"'
ok $? "--json lists the strategies"
if command -v python3 >/dev/null 2>&1; then
  python3 - "$tmp/out" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
s = d["steps"][1]
c = s["results"]["cooperative-sticky"]
assert s["step"] == 1 and s["label"] == "C3 joins" and s["members"] == 3 and s["rebalance"]
assert (c["moved"], c["revoked"], c["rounds"]) == (1, 1, 2)
assert [r["generation"] for r in c["round"]] == [2, 3]
assert c["round"][0]["assigned"]["C3"] == [] and c["round"][0]["revoked"]["C2"] == [["t", 3]]
assert c["assignment"] == {"C1": [["t", 0], ["t", 2]], "C2": [["t", 1]], "C3": [["t", 3]]}
assert d["total"]["range"]["revoked"] == 7
EOF
  ok $? "--json: metrics, each round's assignment and revocations, totals"
else
  skip "python3 is not installed to read the JSON"
fi

# ---- the chart ----
cmp_run "$tmp/join.json" --svg "$tmp/a.svg"
[ "$rc" = 0 ] && [ -s "$tmp/a.svg" ] && has "$out" "total over 3 steps"
ok $? "--svg writes the chart and still prints the tables"
if command -v xmllint >/dev/null 2>&1; then
  xmllint --noout "$tmp/a.svg" 2>"$tmp/xml.err"
  r=$?
  ok $r "the SVG is well-formed XML (xmllint)"
  [ $r = 0 ] || diag "$(head -5 "$tmp/xml.err")"
else
  skip "xmllint is not installed (make test installs libxml2-utils when it can)"
fi
grep -q '>Partitions moved<' "$tmp/a.svg" && grep -q '>Rebalance rounds<' "$tmp/a.svg" &&
  grep -q 'cooperative-sticky, step 1: 2 rounds' "$tmp/a.svg" && grep -q 'step 2: C3 goes again' "$tmp/a.svg"
ok $? "the chart has a panel per metric, a bar per strategy and step, and the list of steps"
"$KSIM" compare-assignors "$tmp/join.json" --svg - >"$tmp/b.svg" && cmp -s "$tmp/a.svg" "$tmp/b.svg"
ok $? "--svg - writes the same bytes to standard output, and nothing else"
printf '{"topics": {"t<&>": 1}, "members": [{"id": "C\\"1", "topics": ["t<&>"]}]}' >"$tmp/esc.json"
cmp_run "$tmp/esc.json" --svg "$tmp/esc.svg"
if command -v xmllint >/dev/null 2>&1; then
  xmllint --noout "$tmp/esc.svg" 2>/dev/null; ok $? "names with markup characters are escaped"
else
  skip "xmllint is not installed"
fi

# ---- bad histories ----
bad() { # bad NAME CONTENT: writes $tmp/NAME.json
  printf '%s\n' "$2" >"$tmp/$1.json"
  cmp_run "$tmp/$1.json"
}
bad leave '{"topics": {"t": 2},
 "steps": [
  {"join": "C1", "topics": ["t"]},
  {"leave": "C2"}]}'
error 1 "$tmp/leave.json:4: step 2 (C2 leaves): no member 'C2' in the group (members: C1)" \
  "a member that leaves without having joined: FILE:LINE of the step"
bad json '{"topics": {"t": 2},
 "steps": [{"join": "C1", "topics": ["t"],}]}'
error 1 "$tmp/json.json:2:44: not valid JSON" "invalid JSON: FILE:LINE:COLUMN"
bad field '{"topics": {"t": 2},
 "members": [{"id": "C1", "topics": ["t"]}],
 "steps": [{"join": "C2", "topics": ["t"], "rak": "r1"}]}'
error 1 "field.json:3: unknown field 'rak' in the change (did you mean 'rack'?" \
  "an unknown field suggests the right one"
bad topic '{"topics": {"t": 2},
 "members": [
   {"id": "C1", "topics": ["t"]},
   {"id": "C2", "topics": ["u"]}]}'
error 1 "topic.json:4: member 'C2' subscribes to topic 'u', which is not in \"topics\" (topics: t)" \
  "a subscription to an unknown topic names the member's line"
bad together '{"topics": {"t": 2},
 "members": [{"id": "C1", "topics": ["t"]}],
 "steps": [
  {"together": [
    {"join": "C2", "topics": ["t"]},
    {"join": "C1", "topics": ["t"]}]}]}'
error 1 "together.json:6: step 1 (C2, C1 join): member 'C1' is already in the group" \
  "a bad change inside together names its own line"
bad shrink '{"topics": {"t": 3}, "members": [{"id": "C1", "topics": ["t"]}],
 "steps": [{"add_partitions": "t", "total": 2}]}'
error 1 "shrink.json:2: step 1 (t grows to 2 partitions): topic 't' has 3 partitions already" \
  "partitions can only be added"
bad two '{"topics": {"t": 2}, "steps": [{"join": "C1", "leave": "C2"}]}'
error 1 'a change has one action, this one has "join" and "leave"' "a change with two actions"
bad strat '{"topics": {"t": 2}, "members": [{"id": "C1", "topics": ["t"]}],
 "strategies": ["range", "stiky"]}'
error 1 "strat.json:2: unknown assignor 'stiky' (did you mean 'sticky'?" "a misspelt strategy in the file"
bad empty '{"topics": {"t": 2}}'
error 1 'the history has no "members" and no "steps": nothing happens' "a history where nothing happens"
bad notobj '[1, 2]'
error 1 "notobj.json:1: a history is an object" "a history that is not an object"
bad huge '{"topics": {"t": 2}, "members": [{"id": "C1", "topics": ["t"]}],
 "steps": [{"add_partitions": "t", "total": 2147483647, "racks": [["r1"]]}]}'
error 1 "huge.json:1: the topics reach 2147483647 partitions in all, more than ksim assigns (16777216)" \
  "a topic grown to 2^31-1 partitions is refused before room is made for its racks"
bad trailing '{"topics": {"t": 2}, "members": [{"id": "C1", "topics": ["t"]}]}
{"steps": []}'
error 1 "trailing.json:2:1: text after the JSON value" "text after the history is refused, not ignored"
bad nul '{"topics": {"t": 2}, "members": [{"id": "C\u00001", "topics": ["t"]}]}'
error 1 "nul.json:1:43: a NUL character (a zero byte or \\u0000) is not allowed" "a NUL in a member id is refused"
members=$(for i in $(seq 0 10000); do printf '{"id": "C%d", "topics": ["t"]},' "$i"; done)
bad crowd "{\"topics\": {\"t\": 2}, \"members\": [${members%,}]}"
error 1 "member 'C10000' would be member 10001, more than ksim compares (10000)" \
  "a group of more than 10000 members is refused (each join is checked against every member)"
bad esc '{"topics": {"t": 2}, "members": [{"id": "C1", "topics": ["t"]}],
 "steps": [{"leave": "C1", "label": "\u001b[2J gone"}]}'
[ "$rc" = 0 ] && has "$out" "step 1: $(printf '\357\277\275')[2J gone" && ! grep -q "$(printf '\033')" <<<"$out"
ok $? "a label's control characters are shown as U+FFFD, not sent to the terminal"

# ---- the command line ----
cmp_run "$tmp/missing.json"
error 4 "cannot read $tmp/missing.json" "an unreadable history exits 4 (I/O error)"
cmp_run
error 2 "which history?" "no history: usage error"
cmp_run "$tmp/join.json" --frobnicate
error 2 "unknown option '--frobnicate'" "an unknown option: usage error"
cmp_run "$tmp/join.json" "$tmp/join.json"
error 2 "one history at a time" "two histories: usage error"
cmp_run "$tmp/join.json" --strategies range/cooperative
error 2 "range supports only the eager protocol" "range cannot run cooperative (Kafka 3.9)"
cmp_run "$tmp/join.json" --json --svg -
error 2 "would both write to standard output" "--json with --svg -: usage error"
cmp_run "$tmp/join.json" --svg="$tmp/join.json"
error 2 "is the history itself" "--svg cannot overwrite the history"
cmp_run "$tmp/join.json" --svg "$tmp/no/such/dir.svg"
error 4 "cannot write $tmp/no/such/dir.svg" "an SVG that cannot be written exits 4"
cmp_run --help
[ "$rc" = 0 ] && has "$out" "usage: ksim compare-assignors HISTORY.json" && has "$out" '"add_partitions"' &&
  has "$out" "exit codes" && has "$out" "cooperative-sticky/eager"
ok $? "--help shows the history format, the strategies and the exit codes"
"$KSIM" --help | grep -q '^  compare-assignors '; ok $? "ksim --help lists compare-assignors"

# ---- the Lua API ----
lua_run() { # lua_run NAME CODE: runs a scenario; sets rc, out, err
  printf '%s\n' "$2" >"$tmp/$1.lua"
  "$KSIM" run --quiet "$tmp/$1.lua" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  out=$(cat "$tmp/out")
  err=$(cat "$tmp/err")
}
lua_run good 'local a = ksim.assign{ assignor = "range", topics = { A = 3 },
  members = { { id = "Consumer 1", topics = { "A" } }, { id = "Consumer 2", topics = { "A" } } } }
ksim.check(table.concat(a["Consumer 1"], ",") == "A-0,A-1" and a["Consumer 2"][1] == "A-2", "range")
local b = ksim.assign{ assignor = "cooperative-sticky", topics = { t = 3 }, members = {
  { id = "c1", topics = { "t" }, owned = { "t-0", { "t", 1 }, "t-2" }, generation = 1 },
  { id = "c2", topics = { "t" } } } }
ksim.check(#b.c1 == 2 and #b.c2 == 0, "cooperative-sticky withholds the partition c1 must revoke")
local r = ksim.compare_assignors{ topics = { t = 4 },
  members = { { id = "C1", topics = { "t" } }, { id = "C2", topics = { "t" } } },
  steps = { { join = "C3", topics = { "t" } } } }
local c = r.steps[2]["cooperative-sticky"]
ksim.check(c.moved == 1 and c.revoked == 1 and c.rounds == 2 and #c.round == 2, "two rounds")
ksim.check(#c.round[1].assigned.C3 == 0 and c.round[1].revoked.C2[1] == "t-3", "round 1")
ksim.check(c.assignment.C3[1] == "t-3" and r.total.range.revoked == 4, "settled, totals")'
[ "$rc" = 0 ] && ! grep -q "^not ok" <<<"$out"
ok $? "ksim.assign and ksim.compare_assignors answer as the command does"
[ "$rc" = 0 ] || diag "$out" "$err"

lua_run e1 'local w = ksim.world{}
ksim.assign{ assignor = "rangee", topics = { t = 1 }, members = { { id = "c", topics = { "t" } } } }'
error 3 "e1.lua:2: ksim.assign: unknown assignor 'rangee'" "ksim.assign: an unknown assignor, with file:line"
lua_run e2 'ksim.assign{ assignor = "range", topics = { t = 1 },
  members = { { id = "c", topic = { "t" } } } }'
error 3 "e2.lua:1: ksim.assign: members[1]: unknown key 'topic' (did you mean 'topics'?)" \
  "ksim.assign: a misspelt member key"
lua_run e3 'ksim.assign{ assignor = "range", topics = { t = 1 },
  members = { { id = "c", topics = { "t" }, owned = { "u-0" } } } }'
error 3 "ksim.assign: member 'c': owned[1]: topic 'u' is not in topics (topics: t)" \
  "ksim.assign: an owned partition of an unknown topic"
lua_run e4 'ksim.compare_assignors{ topics = { t = 2 },
  steps = { { join = "C1", topics = { "t" } }, { leave = "C2" } } }'
error 3 "ksim.compare_assignors: step 2 (C2 leaves): no member 'C2' in the group (members: C1)" \
  "ksim.compare_assignors: a bad history says which step"
lua_run e5 'ksim.compare_assignors{ topics = { t = 2 }, steps = { { join = "C1", topics = { "t" }, total = 3 } } }'
error 3 "ksim.compare_assignors: steps[1]: unknown key 'total'" \
  "ksim.compare_assignors: a key that does not belong to the change"
lua_run e6 'ksim.compare_assignors{ topics = { t = 2 }, members = { { id = "C1", topics = { "t" } } },
  strategies = { "range/cooperative" } }'
error 3 "strategies[1]: range supports only the eager protocol" \
  "ksim.compare_assignors: a strategy Kafka does not allow"
lua_run e7 'ksim.assign{ assignor = "range", topics = { t = 2^31 - 1 },
  members = { { id = "c", topics = { "t" } } } }'
error 3 "ksim.assign: the topics have 2147483647 partitions in all, more than ksim assigns (16777216)" \
  "ksim.assign: 2^31-1 partitions are refused before anything is allocated for them"
lua_run e8 'ksim.compare_assignors{ topics = { t = 2 }, members = { { id = "C1", topics = { "t" } } },
  steps = { { add_partitions = "t", total = 2^31 - 1 } } }'
error 3 "ksim.compare_assignors: the topics reach 2147483647 partitions in all" \
  "ksim.compare_assignors: so is a topic grown to 2^31-1 partitions"
lua_run e9 'ksim.assign{ assignor = "range", topics = { t = 2 },
  members = { { id = "c\0x", topics = { "t" } }, { id = "c\0y", topics = { "t" } } } }'
error 3 "ksim.assign: members[1]: 'c\\0...' holds a NUL byte, which no name can" \
  "ksim.assign: a NUL in a member id is refused, not cut short"

tap_done
