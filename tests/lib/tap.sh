# tap.sh: what every tests/*.t script shares. Sourced first, it moves to the project root,
# sets $KSIM (the ksim binary, ./ksim unless given), and gives the TAP helpers: ok, skip,
# diag, a scratch directory ($tmp, removed at exit) and the plan at the end (tap_done).
set -u
cd "$(dirname "$0")/.."
KSIM=${KSIM:-./ksim}
n=0
fail=0

# ok STATUS DESCRIPTION: one test line; STATUS 0 passes.
ok() {
  n=$((n + 1))
  if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi
}
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }
diag() { printf '%s\n' "$@" | sed 's/^/#   /'; }

# A scratch directory, $tmp, removed when the script exits.
tap_tmpdir() {
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
}

tap_done() {
  echo "1..$n"
  exit $fail
}
