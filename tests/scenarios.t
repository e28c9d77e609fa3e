#!/usr/bin/env bash
# Every scenario passes its checks and runs twice to the same digest; the teaching
# scenarios of scenarios/ also match their golden digests (tests/golden/digests.txt;
# regenerate with `make golden` after an intended change).
. "$(dirname "$0")/lib/tap.sh"

digest_of() { "$KSIM" run --quiet "$@" 2>/dev/null | tail -n 1 | sed -n 's/^digest //p'; }

# check_scenario FILE [golden]
check_scenario() {
  local f=$1 out rc d1 d2 want
  out=$("$KSIM" run --quiet "$f" 2>&1); rc=$?
  ok "$rc" "$f runs and every check passes"
  [ "$rc" = 0 ] || printf '%s\n' "$out" | sed 's/^/# /'
  d1=$(printf '%s\n' "$out" | tail -n 1 | sed -n 's/^digest //p')
  d2=$(digest_of "$f")
  [ -n "$d1" ] && [ "$d1" = "$d2" ]; ok $? "$f gives the same digest twice ($d1)"
  [ "${2:-}" = golden ] || return 0
  want=$(awk -v f="$f" '$1 == f { print $2 }' tests/golden/digests.txt 2>/dev/null)
  [ -n "$want" ] && [ "$want" = "$d1" ]; ok $? "$f matches its golden digest (${want:-none recorded})"
}

while IFS= read -r f; do check_scenario "$f" golden; done < <(find scenarios -name '*.lua' | LC_ALL=C sort)
while IFS= read -r f; do check_scenario "$f"; done < <(find tests/scenarios -name '*.lua' | LC_ALL=C sort)

# A run with random faults depends on the seed, and only on the seed.
r1=$(digest_of --seed 1 tests/lua/random_faults.lua)
r1b=$(digest_of --seed 1 tests/lua/random_faults.lua)
r2=$(digest_of --seed 2 tests/lua/random_faults.lua)
[ -n "$r1" ] && [ "$r1" = "$r1b" ]; ok $? "a random-fault run repeats exactly with the same seed"
[ -n "$r2" ] && [ "$r1" != "$r2" ]; ok $? "a different seed changes the random-fault run"

# ksim test runs the scenarios as TAP and agrees that they pass.
"$KSIM" test scenarios >/dev/null 2>&1; ok $? "ksim test scenarios exits 0"

tap_done
