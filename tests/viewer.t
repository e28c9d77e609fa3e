#!/usr/bin/env bash
# viewer.t: the real viewer in a real terminal. tmux runs `ksim view` on the lost-ACK
# scenario's trace; keys are sent, and the screen is read back with capture-pane to check
# what a student sees: the lane headers, the dropped ACK, the duplicate record in the
# inspector after the retry and one record again after moving back, background traffic
# hidden until `b`, the help, resizes down to a tiny window, colours off with NO_COLOR,
# --ascii, and a terminal restored after q and after SIGTERM. On a replication story
# (tests/tui/divergent-tail.lua): the new leader and its epoch, and the old leader's
# divergent tail gone at its truncation and back when moving up. On a transaction story
# (scenarios/transactions/02-zombie-fencing.lua): a WriteTxnMarkers arrow's COMMIT/ABORT and
# the coordinator's transactional id after a fencing. Skipped only where tmux
# is not installed.
. "$(dirname "$0")/lib/tap.sh"
case $KSIM in /*) ;; *) KSIM=$PWD/$KSIM ;; esac
if ! command -v tmux >/dev/null 2>&1; then
  echo "1..0 # SKIP tmux is not installed (make test installs it when it can)"
  exit 0
fi
tmp=$(mktemp -d)
sock=ksim-test-$$
T() { tmux -L "$sock" -f /dev/null "$@"; }
cleanup() {
  local path
  path=$(T display-message -p '#{socket_path}' 2>/dev/null)
  T kill-server >/dev/null 2>&1
  [ -n "$path" ] && rm -f "$path" # tmux leaves its socket behind
  rm -rf "$tmp"
}
trap cleanup EXIT

screen() { T capture-pane -p -t "$1" 2>/dev/null; }
# wait_for SESSION TEXT [absent]: polls the screen (up to 10 s) until TEXT shows (or is gone).
wait_for() {
  local i
  for i in $(seq 1 100); do
    if [ "${3:-}" = absent ]; then
      screen "$1" | grep -qF -- "$2" || return 0
    else
      screen "$1" | grep -qF -- "$2" && return 0
    fi
    sleep 0.1
  done
  diag "waited for '$2'${3:+ to go}; the screen was:"
  screen "$1" | sed 's/^/#   | /'
  return 1
}
wait_file() { local i; for i in $(seq 1 100); do [ -s "$1" ] && return 0; sleep 0.1; done; return 1; }
keys() { T send-keys -t "$1" "${@:2}"; }

"$KSIM" run --quiet --trace "$tmp/t.jsonl" scenarios/01-lost-ack-duplicate.lua >/dev/null 2>&1
[ -s "$tmp/t.jsonl" ]; ok $? "the demo scenario writes a trace"

# start NAME ARGS...: the viewer in its own session, 120x40 (or $HEIGHT rows) on the
# trace $TRACE (the demo's by default), recording the terminal's settings before and
# after, its exit code and its process id.
start() {
  local name=$1; shift
  cat >"$tmp/$name.sh" <<EOF
stty -g >"$tmp/$name.before"
"$KSIM" view "${TRACE:-$tmp/t.jsonl}" $* </dev/tty &
echo \$! >"$tmp/$name.pid"
wait \$!
echo \$? >"$tmp/$name.rc"
stty -g >"$tmp/$name.after"
sleep 600
EOF
  T new-session -d -x 120 -y "${HEIGHT:-40}" -s "$name" "env LANG=C.UTF-8 LC_ALL=C.UTF-8 ${VIEW_ENV:-} sh $tmp/$name.sh"
}

# ---- what a student sees ----
start v
wait_for v "broker-1"; ok $? "the viewer opens on the trace"
head_line=$(screen v | sed -n 2p)
grep -q "broker-1" <<<"$head_line" && grep -q "p1" <<<"$head_line"
ok $? "the lane headers name broker-1 and p1"
wait_for v "✗ Produce resp payments-0 @0"; ok $? "the dropped ACK ends in ✗ half-way"
screen v | grep -qF "问题场景"; ok $? "the Chinese note is on screen"

keys v / ; keys v -l "offsets 1..1"; keys v Enter
wait_for v "     1  k1"; ok $? "after the retry the inspector lists offset 1: k1"
screen v | grep -qF "     0  k1"; ok $? "and offset 0: the same payment twice"
screen v | grep -qF "offsets 1..1"; ok $? "the retry's append is the selected event"
keys v k k
wait_for v "     1  k1" absent; ok $? "moving back before the retry rewinds the log"
screen v | grep -qF "     0  k1"; ok $? "to the one record written before it"

keys v g
wait_for v "row 1/" >/dev/null
! screen v | grep -qF "Fetch __clust"
ok $? "the demo opens without background traffic (the brokers' idle fetches from the controller)"
keys v b
wait_for v "+background"; ok $? "b shows background traffic, and the title says so"
screen v | grep -qF "Fetch __clust"; ok $? "the idle metadata fetches appear"
keys v b
wait_for v "+background" absent; ok $? "b again hides them"

keys v '?'
wait_for v "next / previous note"; ok $? "? shows the keys"
screen v | grep -qF "background traffic"; ok $? "the help lists b"
keys v Escape
wait_for v "next / previous note" absent; ok $? "any key closes the help"

T resize-window -t v -x 80 -y 24
wait_for v "State at" absent # at 80 columns the inspector leaves the timeline alone
[ "$(screen v | LC_ALL=C.UTF-8 wc -L)" -le 80 ] && screen v | sed -n 2p | grep -q "broker-1" &&
  screen v | sed -n 1p | grep -q "? help"
ok $? "resized to 80x24 it redraws to fit, lanes still labelled"
T resize-window -t v -x 12 -y 4
wait_for v "too small"; ok $? "a tiny window gets a message"
T resize-window -t v -x 120 -y 40
wait_for v "State at"; ok $? "back at 120x40 the inspector returns"

keys v q
wait_file "$tmp/v.rc"; ok $? "q quits"
[ "$(cat "$tmp/v.rc" 2>/dev/null)" = 0 ]; ok $? "with exit code 0"
cmp -s "$tmp/v.before" "$tmp/v.after"; ok $? "the terminal settings are restored after q"

# ---- replication: a divergent tail truncated ----
"$KSIM" run --quiet --trace "$tmp/d.jsonl" tests/tui/divergent-tail.lua >/dev/null 2>&1
TRACE=$tmp/d.jsonl HEIGHT=50 start d
wait_for d "broker-3" >/dev/null
keys d / ; keys d -l "truncate"; keys d Enter
wait_for d "truncate 5→3 payments-0"; ok $? "the truncation is marked on broker-1's lane"
screen d | grep -qF "payments-0  leader broker-2 · epoch 1"
ok $? "the inspector: broker-2 leads payments-0 in leader epoch 1"
screen d | grep -qF "ISR broker-2,broker-3" && screen d | grep -qF "was broker-1,broker-2,broker-3 (shrink)"
ok $? "the ISR without broker-1, and what it was"
screen d | grep -qE "broker-1 +follower +log end 3 " && ! screen d | grep -qF "  lost4 "
ok $? "broker-1 follows with log end 3: its divergent tail is gone"
keys d k k
wait_for d "     3  lost4"; ok $? "moving up before the truncation shows the tail again"
screen d | grep -qE "broker-1 +follower +log end 5 "; ok $? "with log end 5"
keys d q

# ---- transactions: markers, fencing, the coordinator's state ----
"$KSIM" run --quiet --trace "$tmp/x.jsonl" scenarios/transactions/02-zombie-fencing.lua >/dev/null 2>&1
TRACE=$tmp/x.jsonl HEIGHT=50 start x
wait_for x "broker-3" >/dev/null
keys x / ; keys x -l "WriteTxnMarkers ABORT"; keys x Enter
wait_for x "WriteTxnMarkers ABORT producer 0 epoch 1"
ok $? "a WriteTxnMarkers request says ABORT, whose, and which epoch"
keys x / ; keys x -l "fenced, epoch 0 -> 1"; keys x Enter
wait_for x "fenced, epoch 0 -> 1" >/dev/null
keys x Tab G
wait_for x "Transaction coordinators"; ok $? "the inspector lists the transaction coordinators"
screen x | grep -qE "broker-1 +payments-tx +Ongoing" && screen x | grep -qF "partitions payments-0" &&
  screen x | grep -qF "fenced: epoch 0 -> 1"
ok $? "payments-tx on broker-1: Ongoing on payments-0, fenced from epoch 0 to 1"
keys x q

# ---- SIGTERM ----
start s
wait_for s "broker-1" >/dev/null
kill -TERM "$(cat "$tmp/s.pid")"
wait_file "$tmp/s.rc"; ok $? "SIGTERM ends the viewer"
[ "$(cat "$tmp/s.rc" 2>/dev/null)" = 143 ]; ok $? "with exit code 128+15 ($(cat "$tmp/s.rc" 2>/dev/null))"
cmp -s "$tmp/s.before" "$tmp/s.after"; ok $? "the terminal settings are restored after SIGTERM"

# ---- fallbacks ----
VIEW_ENV="NO_COLOR=1" start c
wait_for c "broker-1" >/dev/null
! T capture-pane -e -p -t c | grep -q $'\e\\[3[0-7]m\|\e\\[4[0-7]m\|38;5;'
ok $? "NO_COLOR: no colours, only attributes"
keys c q
start a --ascii
wait_for a "x Produce resp payments-0 @0"; ok $? "--ascii: the drop is an x"
! screen a | grep -q "[│─✗┄]"; ok $? "--ascii: no box drawing"
keys a q

# ---- ksim run --tui ----
cat >"$tmp/run.sh" <<EOF
"$KSIM" run scenarios/01-lost-ack-duplicate.lua --tui
echo \$? >"$tmp/run.rc"
sleep 600
EOF
T new-session -d -x 120 -y 40 -s r -c "$PWD" "env LANG=C.UTF-8 LC_ALL=C.UTF-8 sh $tmp/run.sh"
wait_for r "State at 0.000 ms"; ok $? "ksim run --tui opens the viewer on the run"
keys r q
wait_file "$tmp/run.rc"
[ "$(cat "$tmp/run.rc")" = 0 ] && wait_for r "digest " && screen r | grep -qE '^digest [0-9a-f]{16}$' &&
  screen r | grep -q "^ok 3 - the partition holds two records"
ok $? "after q the terminal shows the run's checks and digest"

tap_done
