#!/usr/bin/env bash
# Makes a development certificate authority and, signed by it, a certificate
# for im-access's client port (TLS). For local runs and tests: a production
# deployment uses certificates from its own CA.
#
#   deploy/make-dev-certs.sh DIR [NAME ...]
#
# NAMEs are the DNS names and IP addresses clients use to reach the access
# nodes (default: localhost 127.0.0.1 ::1). Writes, unless already there:
#   DIR/ca.pem          the CA certificate: give it to clients (im-cli --ca DIR/ca.pem)
#   DIR/ca-key.pem      the CA's key (keep it private; it signs server certificates)
#   DIR/server.pem      the server certificate (tls.cert_file)
#   DIR/server-key.pem  its key (tls.key_file)
# Keys are ECDSA P-256; the CA is valid 10 years, the server certificate 2.
set -euo pipefail

dir=${1:?usage: make-dev-certs.sh DIR [NAME ...]}
shift
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(localhost 127.0.0.1 ::1)
command -v openssl >/dev/null || { echo "make-dev-certs: openssl is missing (apt-get install openssl)" >&2; exit 1; }
mkdir -p "$dir"
umask 077

if [ ! -s "$dir/ca.pem" ] || [ ! -s "$dir/ca-key.pem" ]; then
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
    -subj "/CN=im development CA" -keyout "$dir/ca-key.pem" -out "$dir/ca.pem" 2>/dev/null
  rm -f "$dir/server.pem"  # a new CA: sign the server anew
fi

if [ ! -s "$dir/server.pem" ] || [ ! -s "$dir/server-key.pem" ]; then
  san=""
  for n in "${names[@]}"; do
    if [[ $n =~ ^[0-9.]+$ || $n == *:* ]]; then san+="IP:$n,"; else san+="DNS:$n,"; fi
  done
  ext=$(mktemp)
  trap 'rm -f "$ext" "$dir/server.csr"' EXIT
  printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' \
    "${san%,}" > "$ext"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -subj "/CN=${names[0]}" -keyout "$dir/server-key.pem" -out "$dir/server.csr" 2>/dev/null
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca-key.pem" \
    -CAcreateserial -days 730 -extfile "$ext" -out "$dir/server.pem" 2>/dev/null
  rm -f "$dir/ca.srl"
fi
chmod 644 "$dir/ca.pem" "$dir/server.pem"
echo "make-dev-certs: $dir/server.pem for ${names[*]}, signed by $dir/ca.pem" >&2
