#!/usr/bin/env bash
# assign.t: `ksim assign`, Kafka's assignors on JSON Lines: answers in input order, one
# error per bad line (with its number and what is wrong) while the other lines go on,
# exit codes, --input and --help.
. "$(dirname "$0")/lib/tap.sh"
tap_tmpdir

# assign [ARGS...] < input: runs `ksim assign`; sets rc, out, err.
assign() {
  "$KSIM" assign "$@" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  out=$(cat "$tmp/out")
  err=$(cat "$tmp/err")
}
has() { grep -qF -- "$2" <<<"$1"; }
# line N TEXT DESCRIPTION: line N of stdout is exactly TEXT.
line() {
  local got
  got=$(sed -n "$1p" <<<"$out")
  [ "$got" = "$2" ]
  local r=$?
  ok $r "$3"
  [ $r = 0 ] || diag "got:  $got" "want: $2"
}
# error TEXT DESCRIPTION: stderr has TEXT.
error() {
  has "$err" "$1"
  local r=$?
  ok $r "$2"
  [ $r = 0 ] || diag "wanted '$1' in stderr:" "$err"
}

# ---- answers ----
cat >"$tmp/good.jsonl" <<'EOF'
{"id":"g1","assignor":"range","topics":{"t0":3,"t1":5},"members":[{"id":"c1","topics":["t0","t1"],"owned":[["t0",0]],"generation":3,"instance":null,"rack":null},{"id":"c2","topics":["t0"]}]}
{"id":"doc","assignor":"roundrobin","topics":{"t0":1,"t1":2,"t2":3},"members":[{"id":"C0","topics":["t0"]},{"id":"C1","topics":["t0","t1"]},{"id":"C2","topics":["t0","t1","t2"]}]}

{"id":3,"assignor":"sticky","topics":{"topic1":3,"topic2":3},"members":[{"id":"consumer1","topics":["topic1","topic2"]},{"id":"consumer2","topics":["topic1","topic2"]}]}
{"id":{"run":4},"assignor":"cooperative-sticky","topics":{"topic":4},"members":[{"id":"consumer1","topics":["topic"],"owned":[["topic",0],["topic",1]],"generation":1},{"id":"consumer2","topics":["topic"],"owned":[["topic",0],["topic",2]],"generation":1},{"id":"consumer3","topics":["topic"],"generation":1}]}
{"assignor":"range","topics":{"t":4},"members":[{"id":"a","topics":["t"]},{"id":"Z","topics":["t"]},{"id":"C2","topics":["t"]},{"id":"C10","topics":["t"]}]}
{"id":"racks","assignor":"range","topics":{"t":2},"members":[{"id":"c1","topics":["t"],"rack":"r2"},{"id":"c2","topics":["t"],"rack":"r1"}],"partition_racks":{"t":[["r1"],["r2"]]}}
{"id":"gone","assignor":"sticky","topics":{"t":2},"members":[{"id":"c1","topics":["t"],"owned":[["t",1],["deleted",0]],"generation":2}]}
EOF
assign <"$tmp/good.jsonl"
ok "$rc" "good groups exit 0"
[ -z "$err" ]; ok $? "good groups print nothing on stderr"
[ "$(wc -l <<<"$out")" = 7 ]; ok $? "one answer per group, blank lines skipped"
line 1 '{"id":"g1","assignment":{"c1":[["t0",0],["t0",1],["t1",0],["t1",1],["t1",2],["t1",3],["t1",4]],"c2":[["t0",2]]}}' \
  "range: each topic divided among its subscribers"
line 2 '{"id":"doc","assignment":{"C0":[["t0",0]],"C1":[["t1",0]],"C2":[["t1",1],["t2",0],["t2",1],["t2",2]]}}' \
  "roundrobin: Kafka's javadoc example"
line 3 '{"id":3,"assignment":{"consumer1":[["topic1",0],["topic1",2],["topic2",1]],"consumer2":[["topic1",1],["topic2",0],["topic2",2]]}}' \
  "sticky: Kafka's answer; a number id is copied as it was"
line 4 '{"id":{"run":4},"assignment":{"consumer1":[["topic",1],["topic",3]],"consumer2":[["topic",2]],"consumer3":[]}}' \
  "cooperative-sticky: a partition still to be revoked is left out; an object id is copied"
line 5 '{"assignment":{"C10":[["t",0]],"C2":[["t",1]],"Z":[["t",2]],"a":[["t",3]]}}' \
  "members are listed and ordered as Java sorts strings; no id, none in the answer"
line 6 '{"id":"racks","assignment":{"c1":[["t",1]],"c2":[["t",0]]}}' \
  "range: partition_racks and member racks make the assignment rack-aware"
line 7 '{"id":"gone","assignment":{"c1":[["t",0],["t",1]]}}' \
  "an owned partition of a topic not in \"topics\" is ignored, as Kafka ignores deleted topics"

# ---- bad lines ----
cat >"$tmp/bad.jsonl" <<'EOF'
{"id":"ok1","assignor":"range","topics":{"t":2},"members":[{"id":"c1","topics":["t"]}]}
{"assignor":"range","topics":{"t":2},"members":[{"id":"c1","topics":["t"]}
{"assignor":"rangee","topics":{"t":2},"members":[{"id":"c1","topics":["t"]}]}
{"assignor":"range","topic":{"t":2},"members":[{"id":"c1","topics":["t"]}]}
{"assignor":"range","topics":{"t":2},"members":[{"id":"c1","topics":["t"],"ownd":[]}]}
{"assignor":"range","topics":{"t":2},"members":[{"id":"c1","topics":["t","u"]}]}
{"assignor":"sticky","topics":{"t":2},"members":[{"id":"c1","topics":["t"]},{"id":"c1","topics":["t"]}]}
{"assignor":"range","topics":{"t":-3},"members":[{"id":"c1","topics":["t"]}]}
{"assignor":"sticky","topics":{"t":2},"members":[{"id":"c1","topics":["t"],"owned":[["t",5]]}]}
{"assignor":"sticky","topics":{"t":2},"members":[{"id":"c1","topics":["t"],"generation":"3"}]}
{"assignor":"range","topics":{"t":2},"members":[{"id":"c1","topics":["t"]}],"partition_racks":{"t":[["r1"]]}}
{"assignor":"range","topics":{"t":2},"members":[]}
[1,2,3]
{"assignor":"sticky","topics":{"t":1.5},"members":[{"id":"c1","topics":["t"]}]}
{"assignor":"range","topics":{"t":2147483647},"members":[{"id":"c1","topics":["t"]}],"partition_racks":{"t":[["r1"]]}}
{"assignor":"range","topics":{"t":2},"members":[{"id":"c1","topics":["t"]}]}{"assignor":"range","topics":{"t":2},"members":[{"id":"c2","topics":["t"]}]}
{"assignor":"range","topics":{"t":2},"members":[{"id":"c\u0000x","topics":["t"]}]}
{"assignor":"range","topics":{"t":2},"members":[{"id":"a\u001b[2J","topics":["t"]},{"id":"a\u001b[2J","topics":["t"]}]}
{"id":"ok2","assignor":"sticky","topics":{"t":2},"members":[{"id":"c1","topics":["t"]}]}
EOF
assign <"$tmp/bad.jsonl"
[ "$rc" = 1 ]; ok $? "a file with bad lines exits 1"
line 1 '{"id":"ok1","assignment":{"c1":[["t",0],["t",1]]}}' "a good line before bad ones is answered"
line 2 '{"id":"ok2","assignment":{"c1":[["t",0],["t",1]]}}' "a good line after bad ones is answered"
[ "$(wc -l <<<"$out")" = 2 ]; ok $? "bad lines give no answer on stdout"
[ "$(wc -l <<<"$err")" = 17 ]; ok $? "each bad line gives one error on stderr"
error 'ksim assign: line 2: not valid JSON (at column' "invalid JSON names its line and column"
error "line 3: unknown assignor 'rangee' (did you mean 'range'? known: range, roundrobin, sticky, cooperative-sticky)" \
  "an unknown assignor suggests the closest name and lists the valid ones"
error "line 4: unknown field 'topic' in the group (did you mean 'topics'? fields: id, assignor, topics, members, partition_racks)" \
  "an unknown group field says which fields exist"
error "line 5: unknown field 'ownd' in member 'c1' (did you mean 'owned'? fields: id, topics, owned, generation, instance, rack)" \
  "an unknown member field says which fields exist"
error "line 6: member 'c1' subscribes to topic 'u', which is not in \"topics\" (topics: t)" \
  "a subscription to a topic not in \"topics\" says so"
error "line 7: member id 'c1' is used twice" "duplicate member ids"
error "line 8: topic 't' has a negative partition count (-3)" "a negative partition count"
error "line 9: member 'c1' owns t-5, but topic 't' has 2 partitions" "an owned partition that does not exist"
error "line 10: member 'c1': \"generation\" must be a whole number or null" "a generation that is not a number"
error "line 11: partition_racks of 't' must list the racks of each of its 2 partitions" \
  "partition_racks must have one entry per partition"
error "line 12: the group has no members" "a group without members"
error "line 13: a group is a JSON object" "a line that is not an object"
error "line 14: topic 't': the partition count must be a whole number" "a partition count that is not whole"
error "line 15: the topics have 2147483647 partitions in all, more than ksim assigns (16777216)" \
  "2^31-1 partitions are refused before anything is allocated for them"
error "line 16: text after the JSON value (at column 77)" "a second group on the same line is refused, not dropped"
error "line 17: a NUL character (a zero byte or \\u0000) is not allowed: no name can hold it (at column 57)" \
  "a NUL in a member id is refused, not cut short"
error "line 18: member id 'a$(printf '\357\277\275')[2J' is used twice" \
  "control characters in an error message are shown as U+FFFD, not sent to the terminal"

# ---- command line ----
assign --input "$tmp/good.jsonl"
[ "$rc" = 0 ] && [ "$(wc -l <<<"$out")" = 7 ]; ok $? "--input FILE reads the groups from FILE"
assign --input="$tmp/good.jsonl"
[ "$rc" = 0 ] && [ "$(wc -l <<<"$out")" = 7 ]; ok $? "--input=FILE works too"
assign --input "$tmp/missing.jsonl"
[ "$rc" = 4 ] && has "$err" "cannot read '$tmp/missing.jsonl'"; ok $? "an unreadable --input file exits 4 (I/O error)"
assign --frobnicate </dev/null
[ "$rc" = 2 ] && has "$err" "unknown option '--frobnicate'" && has "$err" "ksim assign --help"
ok $? "an unknown option exits 2 and points to --help"
assign extra </dev/null
[ "$rc" = 2 ] && has "$err" "unexpected argument 'extra'"; ok $? "a stray argument exits 2"
assign --input
[ "$rc" = 2 ] && has "$err" "needs a file name"; ok $? "--input without a file exits 2"
assign --help
[ "$rc" = 0 ] && has "$out" "usage: ksim assign" && has "$out" "cooperative-sticky" && has "$out" "exit codes"
ok $? "--help describes the input, the answers and the exit codes"
assign </dev/null
[ "$rc" = 0 ] && [ -z "$out" ]; ok $? "no input, no answers, exit 0"
"$KSIM" --help | grep -q '^  assign '; ok $? "ksim --help lists the assign command"

tap_done
