#!/usr/bin/env bash
# lua_errors.t: what a scenario author sees when things go wrong (syntax errors, bad
# config, endless loops in Lua and in virtual time, the sandbox, errors in tasks, failed
# checks) and the command line's contract (exit codes, --seed, --help, --version, digest).
set -u
cd "$(dirname "$0")/.."
KSIM=${KSIM:-./ksim}
FX=tests/lua
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

n=0
fail=0
ok() {
  n=$((n + 1))
  if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi
}

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
diag() { printf '%s\n' "$@" | sed 's/^/#   /'; }
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

echo "1..$n"
exit $fail
