#!/usr/bin/env bash
# lua_errors.t: what a scenario author sees when things go wrong (syntax errors, bad
# config, endless loops in Lua and in virtual time, the sandbox, errors in tasks, failed
# checks) and the command line's contract (exit codes, --seed, --help, --version, digest).
. "$(dirname "$0")/lib/tap.sh"
FX=tests/lua
tap_tmpdir

# run ARGS...: runs ksim (never longer than a minute); sets rc, out, err.
run() {
  if command -v timeout >/dev/null 2>&1; then
    timeout 60 "$KSIM" "$@" >"$tmp/out" 2>"$tmp/err"
  else
    "$KSIM" "$@" >"$tmp/out" 2>"$tmp/err"
  fi
  rc=$?
  out=$(cat "$tmp/out")
  err=$(cat "$tmp/err")
}
has() { grep -qF -- "$2" <<<"$1"; }
# expect RC TEXT WHERE DESCRIPTION: exit code RC and TEXT in WHERE (out or err)
expect() {
  local want_rc=$1 text=$2 where=$3 desc=$4 got
  if [ "$where" = out ]; then got=$out; else got=$err; fi
  [ "$rc" = "$want_rc" ] && has "$got" "$text"
  local r=$?
  ok $r "$desc"
  [ $r = 0 ] || diag "exit $rc (want $want_rc); wanted '$text' in std$where" "stdout: $out" "stderr: $err"
}
last_line_is_digest() { tail -n 1 <<<"$out" | grep -qE '^digest [0-9a-f]{16}$'; }
# passed MSG: `ksim run` printed "ok N - MSG" (a check of the fixture passed).
passed() {
  local line
  line=$(grep -F -- "- $1" <<<"$out" | head -n 1)
  grep -q '^ok ' <<<"$line"
  local r=$?
  ok $r "$1"
  [ $r = 0 ] || diag "${line:-no check line '$1'}" "stderr: $err"
}

# ---- scenario errors ----
run run --quiet $FX/err_syntax.lua
expect 3 "ksim: $FX/err_syntax.lua:3:" err "a syntax error exits 3 and names file:line"
has "$err" "near '='"; ok $? "a syntax error shows Lua's message"
last_line_is_digest; ok $? "the digest is still the last line after an error"

run run --quiet $FX/err_unknown_config.lua
expect 3 "did you mean 'enable.idempotence'?" err "an unknown config key suggests the right one"
has "$err" "err_unknown_config.lua:4: producer 'p1': unknown producer config 'enable.idempotency'"
ok $? "the config error names the line and the producer"

start=$SECONDS
run run --quiet --max-instructions 20000000 $FX/err_endless_loop.lua
expect 3 "instruction budget of 20000000 exceeded (an endless loop?)" err \
  "an endless Lua loop ends with the instruction-budget message"
has "$err" "err_endless_loop.lua:"; ok $? "the budget message says where the loop is"
[ $((SECONDS - start)) -lt 30 ]; ok $? "the endless loop ends quickly"

run run --quiet --trace "$tmp/bad.jsonl" $FX/bad_text.lua
[ "$rc" = 0 ] && ! LC_ALL=C grep -q "$(printf '[\xfe\xff]')" "$tmp/bad.jsonl" && ! LC_ALL=C grep -qP '\x00' "$tmp/bad.jsonl"
ok $? "bytes that are not text never reach the trace raw (notes, checks, task names, keys)"
grep -q '"key":{"hex":"fffe"}' "$tmp/bad.jsonl"; ok $? "keys that are not text are traced as hex"

run run --quiet $FX/err_nul_name.lua
expect 3 "err_nul_name.lua:4: c:producer(name, config): the name must not contain NUL bytes" err \
  "a client name with a NUL byte is refused with file:line"

run run --quiet $FX/err_stalled.lua
expect 3 "the clock stopped at 0 ms" err \
  "an endless exchange at one instant (zero latency, zero waits) ends as a stalled clock"
has "$err" "err_stalled.lua:8:"; ok $? "the stall message names the line that ran the world"

run run --quiet --max-time 1 $FX/err_endless_sleep.lua
expect 3 "virtual time limit of 1000 ms reached (raise it with --max-time)" err \
  "a task sleeping forever ends at the virtual-time limit"
has "$err" "task 'ticker'"; ok $? "the time-limit message names the task still waiting"

run run --quiet $FX/err_os_execute.lua
expect 3 "err_os_execute.lua:3: 'os' is not available in ksim scenarios (scenarios are sandboxed" err \
  "os.execute is refused with the sandbox message"

run run --quiet $FX/err_io_open.lua
expect 3 "'io' is not available in ksim scenarios" err "io.open is refused with the sandbox message"

run run --quiet $FX/err_dofile.lua
expect 3 "dofile('/etc/passwd') is refused" err "dofile of a file outside the folder is refused"
has "$out$err" "root:"; [ $? != 0 ]; ok $? "nothing of /etc/passwd is shown"

run run --quiet $FX/err_require_outside.lua
expect 3 "require('..secret')" err "require of a path climbing out of the folder is refused"

run run --quiet $FX/err_task.lua
expect 3 "err_task.lua:6: attempt to index a nil value" err "an error in a task names file:line"
has "$err" "(in task 'app')"; ok $? "an error in a task names the task"

run run --quiet $FX/err_callback_blocks.lua
expect 3 "p:flush() cannot wait inside a callback" err "waiting inside a send callback is an error"

run run --quiet $FX/err_gc.lua
expect 3 "__gc metamethods are not available" err "finalizers are refused"

run run --quiet $FX/sandbox_ok.lua
ok $([ "$rc" = 0 ] && echo 0 || echo 1) "the sandbox keeps the pure libraries working"
[ "$rc" = 0 ] || diag "$out" "$err"

# ---- checks ----
run run $FX/checks.lua
expect 1 "not ok 2 - the clock reads 2 ms ($FX/checks.lua:9)" out "a failing check exits 1 with a not ok line"
has "$out" "ok 1 - the clock reads 1.25 ms"; ok $? "a passing check prints an ok line"
has "$out" "     1.250 ms  ** the app woke up"; ok $? "the timeline shows notes at their time"
last_line_is_digest; ok $? "the last line is the digest"

run run --quiet $FX/checks.lua
has "$out" "ok 1 -"; [ $? != 0 ] && has "$out" "not ok 2 -"; ok $? "--quiet prints only failed checks"
[ "$(wc -l <<<"$out")" = 2 ]; ok $? "--quiet prints nothing else but the digest"

# ---- the timeline ----
run run $FX/timeline.lua
e40=$(printf 'é%.0s' $(seq 40))
has "$out" "k=$e40…"; ok $? "a long value is cut after 40 UTF-8 characters with …"
has "$out" "k=${e40}é"; [ $? != 0 ]; ok $? "nothing past the 40th character is shown"
has "$out" 'null=line1\nline2'; ok $? "a null key shows as null and a newline is escaped"
has "$out" "printed from the script"; ok $? "print() output is shown"
grep -q ' ms  p1 -> broker-1  Produce t-0 \[2 records\]' <<<"$out"; ok $? "a Produce request shows its partition and record count"

# ---- seeds, traces, determinism ----
run run --quiet --trace "$tmp/a.jsonl" $FX/seeded.lua
d42=$out
head -n 1 "$tmp/a.jsonl" | grep -q '"seed":"42"'; ok $? "the trace header has the script's seed"
run run --quiet --seed 7 --trace "$tmp/b.jsonl" $FX/seeded.lua
head -n 1 "$tmp/b.jsonl" | grep -q '"seed":"7"'; ok $? "--seed overrides the script's seed in the header"
grep -q '"text":"seed 7"' "$tmp/b.jsonl"; ok $? "--seed is the seed the world runs with"
[ "$out" != "$d42" ]; ok $? "a different seed gives a different digest"
run run --quiet $FX/seeded.lua
[ "$out" = "$d42" ]; ok $? "the same scenario and seed give the same digest"
tail -n 1 "$tmp/a.jsonl" | grep -q '"kind":"run_end"'; ok $? "the trace ends with run_end"

run run --quiet --trace /nonexistent-dir/x.jsonl $FX/seeded.lua
expect 4 "cannot write /nonexistent-dir/x.jsonl" err "an unwritable trace file exits 4"

# ---- ksim test ----
run test $FX/checks.lua $FX/seeded.lua $FX/err_task.lua
[ "$rc" = 1 ]; ok $? "ksim test exits 1 when something fails"
has "$out" "not ok 2 - $FX/checks.lua: the clock reads 2 ms"; ok $? "ksim test prints each check as TAP"
has "$out" "a second run gives the same trace"; ok $? "ksim test runs each scenario twice"
has "$out" "not ok 6 - $FX/err_task.lua:6: attempt to index a nil value"
ok $? "ksim test reports a scenario error as not ok"
tail -n 1 <<<"$out" | grep -qx '1\.\.6'; ok $? "ksim test ends with the plan"

# ---- the command line ----
run --help
expect 0 "usage: ksim COMMAND" out "ksim --help exits 0"
run --version
[ "$rc" = 0 ] && [ "$out" = "ksim 0.1.0" ]; ok $? "ksim --version prints the version"
run run --help
expect 0 "--max-instructions" out "ksim run --help lists the options"
run test --help
expect 0 "usage: ksim test" out "ksim test --help exits 0"
run frobnicate
expect 2 "unknown command 'frobnicate'" err "an unknown command exits 2"
run run --bogus $FX/seeded.lua
expect 2 "unknown option '--bogus'" err "an unknown option exits 2"
run run $FX/no-such-file.lua
expect 2 "cannot read" err "a missing scenario file exits 2"
run run --seed banana $FX/seeded.lua
expect 2 "--seed needs a whole number" err "a bad --seed exits 2"

# ---- loops inside C library functions ----
run run --max-instructions 20000000 $FX/library_loops.lua
for m in "string.rep of an empty string with an empty separator is empty at once" \
         "string.rep over the memory cap is an error naming the line" \
         "string.rep still repeats" \
         "table.move of more than 10,000,000 elements is an error naming the limit" \
         "table.move still moves" \
         "s:find with a costly pattern is refused" \
         "string.match counts greedy repetitions" \
         "s:gmatch counts repetitions after a set" \
         "s:gsub counts repetitions" \
         "a plain find is never refused" \
         "one repetition over 20 KB is allowed" \
         "escaped quantifiers and ranges in a set are not repetitions" \
         "cheap patterns still match"; do
  passed "$m"
done
start=$SECONDS
run run --quiet $FX/err_pattern_costly.lua
expect 3 "ksim: $FX/err_pattern_costly.lua:4: pattern too costly: 3 repetition items over a subject of 100000 bytes could run for ever (the instruction budget cannot stop it); use fewer, anchor it with ^, or search plain text" err \
  "a pattern that could backtrack for ever is refused with file:line"
[ $((SECONDS - start)) -lt 10 ]; ok $? "the costly pattern is refused at once"

# ---- errors carry the function's name and the script's line ----
run run $FX/base_errors.lua
for m in "setmetatable(5, {}) names the line and setmetatable" \
         "coroutine.resume(5) names the line and resume" \
         "coroutine.close(5) names the line and close" \
         "math.randomseed('x') names the line and randomseed" \
         "load({}) names the line and load"; do
  passed "$m"
done
run run --quiet $FX/err_error_object.lua
expect 3 "ksim: $FX/err_error_object.lua:3: (error object is a table value)" err \
  "error({}) in the main chunk names the line"
run run --quiet $FX/err_until_error_object.lua
expect 3 "ksim: $FX/err_until_error_object.lua:5: (error object is a nil value) (in the w:run_until condition)" err \
  "error(nil) in a run_until condition names the line"
run run --quiet $FX/err_dofile_recursion.lua
expect 3 "ksim: $FX/err_dofile_recursion.lua:2: C stack overflow" err \
  "a dofile recursion's C stack overflow names the line"
run run --quiet --max-time 1 $FX/err_endless_sleep.lua
expect 3 "ksim: $FX/err_endless_sleep.lua: virtual time limit" err \
  "the time limit of the implicit run names the scenario's path once"
run run --quiet $FX/err_at_far.lua
expect 3 "ksim: $FX/err_at_far.lua: virtual time limit of 3600000 ms reached" err \
  "a task planned past the time limit names the scenario's path once"
run run --quiet $FX/err_load_chunk.lua
expect 3 "ksim: $FX/err_load_chunk.lua: [string \"local x = 1...\"]:2: inside the chunk" err \
  "an error in a load chunk names the chunk without the scenario's folder"
has "$err" "tests/lua/[string"; [ $? != 0 ]; ok $? "the folder is not put before a load chunk's name"

# ---- a run that ends with tasks still waiting ----
run run --trace "$tmp/idle.jsonl" $FX/idle_waiting.lua
expect 0 "run ended (idle) at 12 ms; still waiting: t in future:get()" out \
  "a run ending idle with a task blocked exits 0 and the timeline names the task and its call"
tail -n 1 "$tmp/idle.jsonl" | grep -qF '"waiting":[{"task":"t","call":"future:get()"}]'
ok $? "run_end lists the waiting tasks with their calls"
run run --trace "$tmp/nowait.jsonl" $FX/seeded.lua
tail -n 1 "$tmp/nowait.jsonl" | grep -q '"waiting"'; [ $? != 0 ]
ok $? "run_end has no waiting field when no task waits"

# ---- seeds, whole numbers ----
run run $FX/seed_big.lua
passed "w:seed() of a seed above 2^63 is its digits"
passed "tostring of the world shows the seed"
run run $FX/whole_floats.lua
for m in "ksim.world{seed = 1e3} seeds with 1000" \
         "w:clear_fault(1.0) clears fault 1" \
         "p:send with partition = 1.0 sends to partition 1" \
         "c:log and c:leader take 1.0" \
         "the consumer takes whole floats" \
         "a partition of 1.5 is still refused"; do
  passed "$m"
done

# ---- consumers and producers ----
run run $FX/consumer_closed.lua
for m in "position of a partition not assigned is Kafka's IllegalStateException" \
         "position of an assigned partition is nil until known" \
         "poll after close raises Kafka's message" \
         "assign after close raises" \
         "seek after close raises" \
         "seek_to_beginning after close raises" \
         "seek_to_end after close raises" \
         "position after close raises" \
         "polling a crashed consumer from the main chunk says its process crashed" \
         "a crashed producer's error names the producer once"; do
  passed "$m"
done
run run --quiet $FX/err_poll_crashed.lua
expect 3 "err_poll_crashed.lua:9: consumer 'c1': its process crashed (in task 'reader')" err \
  "polling a crashed consumer from a task says its process crashed"

# ---- notes, checks and pauses in the trace ----
run run --trace "$tmp/checks.jsonl" $FX/checks.lua
grep '"kind":"note"' "$tmp/checks.jsonl" | grep -q '"node":"world","kind":"note","task":"app"'
ok $? "a note from a task is on the world's node with the task's name"
grep '"kind":"check"' "$tmp/checks.jsonl" | head -n 1 | grep -q '"node":"world"'
ok $? "a check is on the world's node"
grep '"kind":"check"' "$tmp/checks.jsonl" | grep -q '"task"'; [ $? != 0 ]
ok $? "a check from the main chunk has no task field"
run run --trace "$tmp/pause.jsonl" $FX/pause_twice.lua
grep '"kind":"resume"' "$tmp/pause.jsonl" | grep -q '^{"t":10000,'
ok $? "pausing a paused node has no effect: its pause ends as first planned"

# ---- TAP output that scenario text cannot break ----
run test $FX/tap_injection.lua
printf '%s\n' "$out" >"$tmp/tap.t"
has "$out" 'not ok 1 - tests/lua/tap_injection.lua: the failure stays a failure \# TODO hidden'
ok $? "ksim test escapes the hash sign in check messages"
grep -q '^ok 99' "$tmp/tap.t"; [ $? != 0 ]; ok $? "a newline in a check message cannot start a TAP line"
has "$out" 'a backslash before \\\# TODO still escaped'; ok $? "ksim test escapes a backslash before a hash sign"
{ grep '^not ok 1 ' <<<"$out"; echo "1..1"; } >"$tmp/todo.t"
prove --exec cat "$tmp/todo.t" >/dev/null 2>&1; [ $? != 0 ]
ok $? "prove sees a failed check whose message holds a TODO directive as a failure"
run run $FX/tap_injection.lua
has "$out" 'not ok 1 - the failure stays a failure \# TODO hidden'; ok $? "ksim run escapes the hash sign in check lines"

# ---- the command line: values, traces, output, directories ----
run run --quiet=yes $FX/seeded.lua
expect 2 "option '--quiet' takes no value" err "--quiet=yes is a usage error"
run run --help=x
expect 2 "option '--help' takes no value" err "--help=x is a usage error"
run run --trace= $FX/seeded.lua
expect 2 "option '--trace' needs a file name" err "an empty --trace= is a usage error"
run run --quiet --max-time 1e-9 $FX/seeded.lua
expect 2 "--max-time needs a number of seconds from 0.000001" err "--max-time below 1 µs is a usage error"
cp $FX/seeded.lua "$tmp/self.lua"
run run --trace "$tmp/self.lua" "$tmp/self.lua"
expect 2 "is the scenario file itself" err "a trace path that is the scenario file is refused"
cmp -s $FX/seeded.lua "$tmp/self.lua"; ok $? "the scenario refused as a trace is left as it was"
ln "$tmp/self.lua" "$tmp/hardlink.lua" 2>/dev/null && {
  run run --trace "$tmp/hardlink.lua" "$tmp/self.lua"
  expect 2 "is the scenario file itself" err "a trace path linked to the scenario file is refused"
}
if [ -w /dev/full ]; then
  "$KSIM" run $FX/seeded.lua >/dev/full 2>"$tmp/err"; rc=$?; err=$(cat "$tmp/err"); out=
  expect 4 "error writing to standard output" err "a write error on stdout exits 4 with a message"
  "$KSIM" test $FX/seeded.lua >/dev/full 2>"$tmp/err"; rc=$?; err=$(cat "$tmp/err")
  expect 4 "error writing to standard output" err "ksim test exits 4 when stdout cannot be written"
fi
mkdir -p "$tmp/none/sub"
run test "$tmp/none"
expect 2 "ksim: no scenarios (*.lua) under $tmp/none" err "ksim test of a directory without scenarios exits 2"
mkdir -p "$tmp/tree/a"
cp $FX/seeded.lua "$tmp/tree/a/s.lua"
ln -s .. "$tmp/tree/a/loop"
ln -s a/s.lua "$tmp/tree/link.lua"
run test "$tmp/tree"
[ "$rc" = 0 ] && [ "$(grep -c 'a second run' <<<"$out")" = 2 ]
ok $? "ksim test runs a symlinked file but does not follow a symlinked directory"
[ "$rc" = 0 ] || diag "$out" "$err"

tap_done
