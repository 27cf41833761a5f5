#!/bin/sh
# Seed 000 §12 LLMOps flow, steps C and D: enqueue the two host-ticket/v1 tickets through
# hive-gateway with curl, then read the receipts back from /host/tickets/{status,deadletter}.
#   GATEWAY=http://127.0.0.1:8080 HIVE_GATEWAY_REQUEST_AUTH_TOKEN=… scripts/host/llmops_tickets.sh
# A host-ticket-agent must be running against the same gateway. Waits up to WAIT_S (30) seconds
# for both terminal receipts; exits 0 when both arrived, 1 otherwise.
set -eu
gw=${GATEWAY:-http://127.0.0.1:8080}
token=${HIVE_GATEWAY_REQUEST_AUTH_TOKEN:?set HIVE_GATEWAY_REQUEST_AUTH_TOKEN}
wait_s=${WAIT_S:-30}

echo_line() {
  curl -sS --fail-with-body -X POST "$gw/v1/fs/echo" -H 'Content-Type: application/json' \
    -H "Authorization: Bearer $token" -d "$1"
  echo
}

# C) Enqueue bounded host control tickets (the seed's exact lines).
echo_line '{"path":"/host/tickets/spec","line":"{\"schema\":\"host-ticket/v1\",\"id\":\"llmops-gpu-lease-1\",\"idempotency_key\":\"llmops-run-20260218\",\"action\":\"gpu.lease.grant\",\"args\":{\"gpu_id\":\"GPU-0\",\"mem_mb\":4096,\"streams\":1,\"ttl_s\":600}}"}'
echo_line '{"path":"/host/tickets/spec","line":"{\"schema\":\"host-ticket/v1\",\"id\":\"llmops-peft-activate-1\",\"idempotency_key\":\"llmops-run-20260218\",\"action\":\"peft.activate\",\"args\":{\"model\":\"lejepa-edge-v1\"}}"}'

# D) Read receipts and deadletters until both tickets are terminal.
terminal() {
  curl -sS -H "Authorization: Bearer $token" "$gw/v1/fs/cat?path=/host/tickets/$1&max_bytes=65536"
}
i=0
while [ "$i" -lt "$((wait_s * 5))" ]; do
  # Deadletter first: a terminal receipt there was written after the ticket's claimed/running
  # lines in status, so the status read that follows has them (the other order can miss them).
  dl=$(terminal deadletter | jq -r '.lines[]?')
  st=$(terminal status | jq -r '.lines[]?')
  got=$(printf '%s\n%s\n' "$st" "$dl" | grep -v '^$' || true)
  n=$(printf '%s\n' "$got" | grep -c '"id":"llmops-[a-z-]*-1",.*"state":"\(succeeded\|failed\|expired\)"' || true)
  if [ "$n" -ge 2 ]; then
    printf '%s\n' "$got"
    exit 0
  fi
  i=$((i + 1))
  sleep 0.2
done
echo "llmops_tickets: no terminal receipts for both tickets within ${wait_s} s" >&2
exit 1
