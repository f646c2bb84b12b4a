#!/usr/bin/env bash
# imds.tokens against an IMDS emulator on loopback (AWS_EC2_METADATA_SERVICE_ENDPOINT): IMDSv1
# allowed is concerning, tokens required is good, silence is unknown within about a second.
# Needs no root: nothing but loopback HTTP.
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
bin=$(readlink -f "${1:?usage: $0 PATH-TO-devbox-harden}")
tmp=$(mktemp -d /tmp/devbox-imds.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT

start_emulator() {  # MODE -> sets $endpoint
  rm -f "$tmp/port"
  python3 "$here/../tools/imds_emulator.py" --port-file "$tmp/port" --tokens "$1" --max-seconds 120 \
    > "$tmp/emulator-$1.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
  endpoint="http://127.0.0.1:$(cat "$tmp/port")"
}

for mode in optional required; do
  start_emulator $mode
  echo "== HttpTokens=$mode at $endpoint"
  # The emulator answers the real token flow: curl proves it, independently of our client.
  token=$(curl -s -X PUT "$endpoint/latest/api/token" -H "X-aws-ec2-metadata-token-ttl-seconds: 60")
  lab_expect "emulator: instance id with a token" "$(curl -s -H "X-aws-ec2-metadata-token: $token" "$endpoint/latest/meta-data/instance-id")" i-0123456789abcdef0
  set +e
  AWS_EC2_METADATA_SERVICE_ENDPOINT=$endpoint "$bin" assess --json > "$tmp/$mode.json"
  set -e
  expected=concerning; [ $mode = required ] && expected=good
  lab_expect "imds.tokens with tokens $mode" "$(lab_json "$tmp/$mode.json" imds.tokens status)" $expected
  lab_expect_contains "evidence names the instance" "$(lab_json "$tmp/$mode.json" imds.tokens evidence)" "i-0123456789abcdef0"
  lab_expect_contains "evidence says the token flow works" "$(lab_json "$tmp/$mode.json" imds.tokens evidence)" "IMDSv2 token flow works"
done

echo "== nothing listening at the endpoint"
# A port that was just free: bind and release it.
free_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
start=$(date +%s%N)
set +e
AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:$free_port "$bin" assess --json > "$tmp/silent.json"
set -e
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
lab_expect "imds.tokens" "$(lab_json "$tmp/silent.json" imds.tokens status)" unknown
lab_expect_contains "reason names the endpoint" "$(lab_json "$tmp/silent.json" imds.tokens summary)" "no answer from IMDS at http://127.0.0.1:$free_port"
echo "  (assess took ${elapsed_ms} ms with a silent endpoint; measured, not asserted)"
lab_finish
