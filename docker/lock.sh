# Sourced by the image scripts right after they cd to the checkout: `run_locked <name> "$@"`
# re-runs docker/<name>.sh under a lock of its own, so that runs started at once (test suites in
# parallel, each making sure its images exist) take turns instead of building over each other.
# Inside the locked run it returns at once.
run_locked() {
  local name=$1 lock status
  shift
  local var=FOPFLOW_LOCKED_${name//-/_}
  [ "${!var:-}" = 1 ] && return 0
  lock=.data/docker/$name.lock
  mkdir -p "$(dirname "$lock")"
  # -o: the lock stays with flock itself, never with what the script starts (dockerd outlives it).
  # -E 75: a wait that times out is told apart from the script's own failure.
  set +e
  env "$var=1" flock -o -w 600 -E 75 "$lock" bash "docker/$name.sh" "$@"
  status=$?
  if [ "$status" = 75 ]; then
    printf '[%s] another run has held %s for 10 minutes: is it stuck?\n' "$name" "$lock" >&2
  fi
  exit "$status"
}
