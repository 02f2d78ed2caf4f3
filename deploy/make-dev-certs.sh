#!/usr/bin/env bash
# Makes development certificates, each set with its own certificate authority.
# For local runs and tests: a production deployment uses certificates from its
# own CAs.
#
#   deploy/make-dev-certs.sh DIR [NAME ...]
#     For im-access's client port (TLS). NAMEs are the DNS names and IP
#     addresses clients use to reach the access nodes (default: localhost
#     127.0.0.1 ::1). Writes, unless already there:
#       DIR/ca.pem          the CA certificate: give it to clients (im-cli --ca DIR/ca.pem)
#       DIR/ca-key.pem      the CA's key (keep it private; it signs certificates)
#       DIR/server.pem      the server certificate (tls.cert_file)
#       DIR/server-key.pem  its key (tls.key_file)
#
#   deploy/make-dev-certs.sh --internal DIR [NAME]
#     For the internal plane (gRPC between the tiers, mutual TLS): one
#     certificate, for server and client use, naming NAME (default
#     im-internal, the daemons' internal_tls.server_name). Use a DIR of its
#     own: the CA must not be the client port's. Writes, unless already there:
#       DIR/ca.pem            internal_tls.ca_file
#       DIR/ca-key.pem        the CA's key
#       DIR/internal.pem      internal_tls.cert_file
#       DIR/internal-key.pem  internal_tls.key_file
#
# Keys are ECDSA P-256; CAs are valid 10 years, certificates 2.
set -euo pipefail

usage="usage: make-dev-certs.sh DIR [NAME ...] | make-dev-certs.sh --internal DIR [NAME]"
internal=false
if [ "${1:-}" = --internal ]; then internal=true; shift; fi
dir=${1:?$usage}
shift
names=("$@")
if $internal; then
  [ ${#names[@]} -le 1 ] || { echo "$usage" >&2; exit 2; }
  [ ${#names[@]} -eq 1 ] || names=(im-internal)
  leaf=internal usage_ext=serverAuth,clientAuth
else
  [ ${#names[@]} -gt 0 ] || names=(localhost 127.0.0.1 ::1)
  leaf=server usage_ext=serverAuth
fi
command -v openssl >/dev/null || { echo "make-dev-certs: openssl is missing (apt-get install openssl)" >&2; exit 1; }
mkdir -p "$dir"
umask 077

if [ ! -s "$dir/ca.pem" ] || [ ! -s "$dir/ca-key.pem" ]; then
  subject=$($internal && echo "im internal development CA" || echo "im development CA")
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
    -subj "/CN=$subject" -keyout "$dir/ca-key.pem" -out "$dir/ca.pem" 2>/dev/null
  rm -f "$dir/$leaf.pem"  # a new CA: sign the certificate anew
fi

if [ ! -s "$dir/$leaf.pem" ] || [ ! -s "$dir/$leaf-key.pem" ]; then
  san=""
  for n in "${names[@]}"; do
    if [[ $n =~ ^[0-9.]+$ || $n == *:* ]]; then san+="IP:$n,"; else san+="DNS:$n,"; fi
  done
  ext=$(mktemp)
  trap 'rm -f "$ext" "$dir/$leaf.csr"' EXIT
  printf 'subjectAltName=%s\nextendedKeyUsage=%s\nbasicConstraints=CA:FALSE\n' \
    "${san%,}" "$usage_ext" > "$ext"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -subj "/CN=${names[0]}" -keyout "$dir/$leaf-key.pem" -out "$dir/$leaf.csr" 2>/dev/null
  openssl x509 -req -in "$dir/$leaf.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca-key.pem" \
    -CAcreateserial -days 730 -extfile "$ext" -out "$dir/$leaf.pem" 2>/dev/null
  rm -f "$dir/ca.srl"
fi
chmod 644 "$dir/ca.pem" "$dir/$leaf.pem"
echo "make-dev-certs: $dir/$leaf.pem for ${names[*]}, signed by $dir/ca.pem" >&2
