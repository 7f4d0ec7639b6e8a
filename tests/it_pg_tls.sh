#!/bin/bash
# it_pg_tls.sh: libpq's own settings work for the daemon as users expect
# (issue 14):
#  1. sslmode=verify-full against a server with a certificate for 127.0.0.1
#     signed by a test CA (sslrootcert): the daemon connects over TLS
#     (pg_stat_ssl says so) and pulls;
#  2. the same with another CA: the daemon refuses to start, exit 1, with
#     libpq's reason (certificate verify failed) and no password;
#  3. no database_password_file: the password comes from PGPASSFILE in the
#     daemon's environment (what a systemd credential plus
#     Environment=PGPASSFILE=%d/... gives).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"
t_init it_pg_tls

start_pg
# A CA, and a server certificate for 127.0.0.1 signed by it; a second CA.
cd "$T_DIR"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=wegauge test CA" \
	-keyout ca.key -out ca.pem >/dev/null 2>&1 || fail "openssl: CA"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=another CA" \
	-keyout other.key -out other.pem >/dev/null 2>&1 || fail "openssl: other CA"
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout server.key \
	-out server.csr >/dev/null 2>&1 || fail "openssl: server key"
printf 'subjectAltName = IP:127.0.0.1\n' >san.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
	-extfile san.ext -out server.pem >/dev/null 2>&1 || fail "openssl: server certificate"
cd - >/dev/null
cp "$T_DIR/server.pem" "$T_DIR/server.key" "$PG_DATA/"
_pg_chown "$PG_DATA/server.pem" "$PG_DATA/server.key"
chmod 600 "$PG_DATA/server.key"
printf "ssl = on\nssl_cert_file = 'server.pem'\nssl_key_file = 'server.key'\n" >>"$PG_DATA/postgresql.conf"
restart_pg

start_wesim --workspaces 3 --seed 3 --write-config "$T_DIR/cfg"
wait_for 30 "wesim config" test -f "$T_DIR/cfg/wegauged.conf"
CONF="$T_DIR/cfg/wegauged.conf"
base=${PG_URL%%\?*}
pg_configure "$CONF" "$base?sslmode=verify-full&sslrootcert=$T_DIR/ca.pem&application_name=wegauged-tls"
window 7

t_log "1. verify-full with the right CA"
start_wegauged -c "$CONF"
ssl_used() {
	[ "$(pg_super_sql "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
		WHERE a.application_name = 'wegauged-tls' AND s.ssl")" -ge 1 ]
}
wait_for 30 "a TLS session of the daemon" ssl_used
all_ok() { [ "$(pg_sql "SELECT count(*) FROM pull WHERE status = 'ok'")" -ge 3 ]; }
wait_for 60 "every workspace pulled" all_ok
stop_pid "$WEGAUGED_PID"
compare_pg_with_expect --workspaces 3 --seed 3

t_log "2. verify-full with another CA"
sed -i "s|sslrootcert=[^&]*|sslrootcert=$T_DIR/other.pem|" "$CONF"
rc=0
"$WEGAUGED" -c "$CONF" --once >"$T_DIR/bad-ca.log" 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "with another CA: exit $rc, expected 1: $(tail -2 "$T_DIR/bad-ca.log")"
grep -q "certificate verify failed" "$T_DIR/bad-ca.log" ||
	fail "the error does not say why: $(tail -2 "$T_DIR/bad-ca.log")"
pw=$(tr -d '\n' <"$PG_PASSWORD_FILE")
if grep -qF "$pw" "$T_DIR/bad-ca.log"; then fail "the password is in the log"; fi

t_log "3. the password from PGPASSFILE"
sed -i "s|sslrootcert=[^&]*|sslrootcert=$T_DIR/ca.pem|; /^database_password_file/d" "$CONF"
printf '127.0.0.1:%s:%s:%s:%s\n' "$PG_PORT" "$PG_DB" "$PG_USER" "$pw" >"$T_DIR/pgpass"
chmod 600 "$T_DIR/pgpass"
rc=0
PGPASSFILE="$T_DIR/pgpass" "$WEGAUGED" -c "$CONF" --once >"$T_DIR/pgpass.log" 2>&1 || rc=$?
[ "$rc" = 0 ] || fail "with PGPASSFILE: exit $rc: $(tail -2 "$T_DIR/pgpass.log")"
rc=0
"$WEGAUGED" -c "$CONF" --once >"$T_DIR/nopw.log" 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "without any password: exit $rc, expected 1"
grep -q "password" "$T_DIR/nopw.log" || fail "no password: the error does not say so"
stop_pid "$WESIM_PID"
t_pass
