#!/usr/bin/env bash
# Makes a self-signed certificate and key for trying TLS locally (never for a server others use: no client
# trusts it unless told to): CN=localhost, valid for DNS:localhost and IP:127.0.0.1, an EC P-256 key (mode
# 0600). Prints the configuration lines that use them.
#
#   bash scripts/dev-cert.sh [DIR] [DAYS]     # DIR defaults to ./dev-cert, DAYS to 30
set -euo pipefail

dir="${1:-dev-cert}"
days="${2:-30}"
command -v openssl >/dev/null || { echo "dev-cert: openssl is missing (bash scripts/setup.sh installs it)" >&2; exit 1; }
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
cert="$dir/cert.pem"
key="$dir/key.pem"

# The key is created private: umask before it exists, so that it is never readable by others, even briefly.
(umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$key" 2>/dev/null)
chmod 600 "$key"
openssl req -new -x509 -key "$key" -out "$cert" -days "$days" -sha256 -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -addext "extendedKeyUsage=serverAuth" 2>/dev/null
chmod 644 "$cert"

fingerprint="$(openssl x509 -in "$cert" -noout -fingerprint -sha256 | cut -d= -f2)"
cat <<TEXT
dev-cert: wrote $cert and $key (valid $days days, SHA-256 $fingerprint)
Add to the server's configuration (server.port may stay, for plain TCP beside TLS):
  "server": { "tls_port": 7778 },
  "tls": { "cert_file": "$cert", "key_file": "$key" }
Then: build/client/chat-client --port 7778 --tls --ca-file $cert
TEXT
