# Shared helpers for the lab scripts: root check, assertions, JSON field access, cleanup.
# Sourced, not run. Every assertion prints what it checked, so a CI log reads as a report.
set -euo pipefail
LAB_FAILURES=0
LAB_PASSES=0
LAB_NAME=$(basename "$0" .sh)

lab_need_root() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "$LAB_NAME: SKIPPED: needs root (namespaces, chroot and mounts); run: sudo scripts/test.sh" >&2
    exit 77
  fi
}

lab_pass() { LAB_PASSES=$((LAB_PASSES + 1)); echo "  ok: $*"; }
lab_fail() { LAB_FAILURES=$((LAB_FAILURES + 1)); echo "  FAIL: $*"; }

# lab_expect "what" actual expected
lab_expect() {
  if [ "$2" = "$3" ]; then lab_pass "$1 ($2)"; else lab_fail "$1: got '$2', expected '$3'"; fi
}

# lab_expect_contains "what" haystack needle
lab_expect_contains() {
  case "$2" in
    *"$3"*) lab_pass "$1" ;;
    *) lab_fail "$1: '$3' not found in: $2" ;;
  esac
}

# lab_json FILE ID FIELD: a field of one check in an `assess --json` report.
lab_json() {
  python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
m=[c for c in d["checks"] if c["id"]==sys.argv[2]]
print(m[0][sys.argv[3]] if m else "<missing>")' "$1" "$2" "$3"
}

lab_finish() {
  echo "$LAB_NAME: $LAB_PASSES passed, $LAB_FAILURES failed"
  [ "$LAB_FAILURES" -eq 0 ]
}

# lab_overlay TREE DIR: a writable overlay of TREE at DIR/merged (changes land in DIR/upper).
lab_overlay() {
  mkdir -p "$2/upper" "$2/work" "$2/merged"
  mount -t overlay overlay -o "lowerdir=$1,upperdir=$2/upper,workdir=$2/work" "$2/merged"
}
