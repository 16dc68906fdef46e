#!/usr/bin/env bash
# Sends an HTTP request signed with a pre-shared secret, as #[zero_trust(psk = "..")] routes
# expect: X-ZT-Timestamp (unix seconds) and X-ZT-Signature (v1=hex HMAC-SHA256).
#
# Usage: ZT_SECRET_FILE=deploy-hook.secret sign.sh METHOD URL [BODY]
# e.g.   ZT_SECRET_FILE=deploy-hook.secret sign.sh POST http://127.0.0.1:8080/hooks/deploy '{"ref":"main"}'
#
# Needs bash, openssl and curl. The secret is the file's text (one trailing newline dropped).
# openssl takes it as an argument, so other users of this machine could see it in the
# process list: run this on a machine of your own.
set -euo pipefail

method=$1
url=$2
body=${3-}
secret=$(cat "${ZT_SECRET_FILE:?set ZT_SECRET_FILE to the file holding the secret}")

# The path and query exactly as they appear in the request line.
rest=${url#*://}
if [[ $rest == */* ]]; then target="/${rest#*/}"; else target="/"; fi
path=${target%%\?*}
query=""
if [[ $target == *\?* ]]; then query=${target#*\?}; fi

timestamp=$(date +%s)
body_sha256=$(printf '%s' "$body" | openssl dgst -sha256 -r | cut -d' ' -f1)
signature=$(printf 'ZT-HMAC-SHA256\n%s\n%s\n%s\n%s\n%s' \
        "$method" "$path" "$query" "$timestamp" "$body_sha256" |
    openssl dgst -sha256 -hmac "$secret" -r | cut -d' ' -f1)

exec curl -sS -i -X "$method" --data-binary "$body" \
    -H "Content-Type: application/json" \
    -H "X-ZT-Timestamp: $timestamp" \
    -H "X-ZT-Signature: v1=$signature" \
    "$url"
