# Shared by the benchmark scripts (sourced, not run).
# fresh_dir PATH: PATH if it does not exist yet, else PATH-2, PATH-3, ...: a second run on the same day
# never overwrites the results (and the commands) of the first.
fresh_dir() {
  local d="$1" n=2
  while [ -e "$d" ]; do d="$1-$n"; n=$((n + 1)); done
  echo "$d"
}
