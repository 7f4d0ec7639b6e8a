#!/bin/bash
# it_tls.sh: TLS verification is always on (issue 5).
#  - wesim serving HTTPS with a self-signed certificate: every pull fails,
#    with an error naming the workspace and the verification failure, and
#    nothing is stored;
#  - the same with ca_file naming that certificate: every pull ok, the
#    store equals wesim --expect;
#  - base_url http:// to a host that is not loopback is refused when the
#    configuration is loaded (exit 78, naming file, line and workspace).
. "$(dirname "$0")/lib.sh"
t_init it_tls

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T_DIR/key.pem" -out "$T_DIR/cert.pem" \
	-days 2 -subj /CN=localhost -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
	>/dev/null 2>&1 || fail "openssl could not make a certificate"
N=4
start_wesim --workspaces $N --seed 17 --write-config "$T_DIR/cfg" \
	--tls-cert "$T_DIR/cert.pem" --tls-key "$T_DIR/key.pem"
wait_for 30 "wesim config" test -f "$T_DIR/cfg/wegauged.conf"
grep -q 'base_url = https://127.0.0.1' "$T_DIR/cfg/workspaces.d/ws-0001.conf" || fail "wesim did not write https URLs"
DB="$T_DIR/cfg/wegauge.db"
window 7

t_log "self-signed certificate, no ca_file: refused"
rc=0
"$WEGAUGED" -c "$T_DIR/cfg/wegauged.conf" --once >"$T_DIR/wegauged.log" 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "wegauged --once exited $rc, expected 1"
[ "$(sql "$DB" "SELECT count(*) FROM pull WHERE status = 'failed'")" = $N ] || fail "not every pull failed"
for w in $(seq -f 'ws-%04g' 1 $N); do
	grep -q "warning $w pull [0-9]*: probe: .*SSL certificate problem: self-signed certificate" "$T_DIR/wegauged.log" ||
		fail "no error naming $w and the verification failure"
done
sql "$DB" "SELECT state_reason FROM workspace WHERE name = 'ws-0001'" | grep -q 'self-signed' ||
	fail "the state reason does not say why"
[ "$(sql "$DB" "SELECT count(*) FROM campaign")" = 0 ] || fail "rows stored over an unverified connection"
# the handshake failed before any HTTP request: wesim counted none
reqs=$(curl -sfk "https://127.0.0.1:$WESIM_PORT/_wesim/stats" | jq '.response.data.requests')
[ "$reqs" = 0 ] || fail "$reqs requests reached wesim over an unverified connection"

t_log "ca_file names the certificate: accepted"
echo "ca_file = $T_DIR/cert.pem" >>"$T_DIR/cfg/wegauged.conf"
"$WEGAUGED" -c "$T_DIR/cfg/wegauged.conf" --once >>"$T_DIR/wegauged.log" 2>&1 || fail "wegauged --once exited $? with ca_file"
[ "$(sql "$DB" "SELECT count(*) FROM pull WHERE status = 'ok'")" = $N ] || fail "not every pull ok with ca_file"
compare_with_expect "$DB" --workspaces $N --seed 17

t_log "http:// to a host that is not loopback: refused at load"
cat >"$T_DIR/cfg/workspaces.d/zz-remote.conf" <<'CONF'
[workspace "remote"]
license_code = abc123
base_url = http://api.example.com
api_key_file = ../keys/ws-0001.key
CONF
rc=0
"$WEGAUGED" -c "$T_DIR/cfg/wegauged.conf" -t >"$T_DIR/check.out" 2>&1 || rc=$?
[ "$rc" = 78 ] || fail "wegauged -t exited $rc, expected 78"
grep -q 'zz-remote.conf:3: \[workspace "remote"\] base_url: .*loopback' "$T_DIR/check.out" ||
	fail "the error does not name file, line, workspace and the rule: $(cat "$T_DIR/check.out")"
stop_pid "$WESIM_PID"
t_pass
