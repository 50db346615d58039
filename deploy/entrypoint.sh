#!/usr/bin/env bash
# Container entrypoint: wait for the services the role needs, then exec review-bot.
#
#   serve | worker | review | replay | audit | eval | ...   run `review-bot <args>`
#   healthcheck                                            probe /health of the local server
#
# Secrets come as files (compose secrets, Kubernetes secret volumes): for each NAME below,
# NAME_FILE=/run/secrets/x sets NAME to the file's content (setting both is an error).
# REVIEW_BOT_WAIT_FOR="redis:6379 postgres:5432" makes it wait (up to
# REVIEW_BOT_WAIT_TIMEOUT_S, default 60) until each host:port accepts TCP connections.
set -euo pipefail

wait_for() {  # wait_for HOST:PORT TIMEOUT_S
  local target=$1 timeout=$2 host port waited=0
  host=${target%:*}
  port=${target##*:}
  if [[ -z "$host" || ! "$port" =~ ^[0-9]+$ ]]; then
    echo "entrypoint: REVIEW_BOT_WAIT_FOR entry '$target' is not host:port" >&2
    exit 2
  fi
  until (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; do
    if (( waited >= timeout )); then
      echo "entrypoint: $host:$port did not accept connections within ${timeout}s" >&2
      exit 1
    fi
    sleep 1
    waited=$((waited + 1))
  done
}

SECRET_VARS=(GITHUB_WEBHOOK_SECRET GITHUB_TOKEN GITHUB_APP_PRIVATE_KEY OPENAI_API_KEY
  API_SECRET_KEY REVIEW_BOT_AUDIT_KEY LANGFUSE_SECRET_KEY REDIS_URL REVIEW_BOT_TRANSCRIPTS)

load_secret_files() {
  local name file
  for name in "${SECRET_VARS[@]}"; do
    file="${name}_FILE"
    [[ -n "${!file:-}" ]] || continue
    if [[ -n "${!name:-}" ]]; then
      echo "entrypoint: both $name and $file are set; set only one" >&2
      exit 2
    fi
    if [[ ! -r "${!file}" ]]; then
      echo "entrypoint: $file='${!file}' is not a readable file" >&2
      exit 2
    fi
    export "$name=$(<"${!file}")"
    unset "$file"
  done
}

healthcheck() {
  local port=${REVIEW_BOT_PORT:-8080}
  exec python -c "import sys, urllib.request
try:
    sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:$port/health', timeout=2).status == 200 else 1)
except OSError:
    sys.exit(1)"
}

main() {
  local role=${1:-serve}
  [[ $# -gt 0 ]] && shift
  if [[ "$role" == healthcheck ]]; then
    healthcheck
  fi
  load_secret_files
  local timeout=${REVIEW_BOT_WAIT_TIMEOUT_S:-60}
  if [[ ! "$timeout" =~ ^[0-9]+$ ]]; then
    echo "entrypoint: REVIEW_BOT_WAIT_TIMEOUT_S='$timeout' is not a whole number of seconds" >&2
    exit 2
  fi
  local target
  for target in ${REVIEW_BOT_WAIT_FOR:-}; do
    wait_for "$target" "$timeout"
  done
  if [[ "$role" == serve && $# -eq 0 ]]; then
    set -- --host 0.0.0.0 --port "${REVIEW_BOT_PORT:-8080}"
  fi
  exec review-bot "$role" "$@"
}

main "$@"
