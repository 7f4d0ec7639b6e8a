/*
 * cli_reload.h: asking a running wegauged to reload its configuration,
 * for connect, reconnect and disconnect.
 *
 * Three ways, chosen by the caller: through systemd (`systemctl reload
 * UNIT`, when systemd is the init system and the unit is active), by
 * sending SIGHUP to a process id, or not at all. The programs are run
 * with posix_spawnp and no shell; their own messages go to our stderr.
 */
#ifndef WEGAUGE_CLI_RELOAD_H
#define WEGAUGE_CLI_RELOAD_H

#include <stddef.h>

enum cli_reload_result {
	CLI_RELOAD_DONE = 0,    /* the reload was asked for */
	CLI_RELOAD_NOT_RUNNING, /* no running daemon to ask: nothing was done */
	CLI_RELOAD_FAILED       /* the request failed: err says why */
};

/*
 * With pid > 0: SIGHUP to pid. Else, when systemd runs and unit is
 * active: `systemctl reload unit`. Else CLI_RELOAD_NOT_RUNNING, with how
 * it was seen in err. how gets one phrase for the operator ("reloaded
 * wegauged.service", "sent SIGHUP to 1234").
 */
enum cli_reload_result cli_reload(const char *unit, long pid, char *how, size_t howlen, char *err,
                                  size_t errlen);

/*
 * The unit's StatusText= as systemd shows it (`systemctl show -p
 * StatusText --value unit`), one line of at most 511 bytes before
 * escaping, escaped for a terminal (textesc.h, TEXTESC_VISIBLE), into out.
 * 0, or -1 when systemd does not run, the unit is unknown or the text is
 * empty.
 */
int cli_reload_status_text(const char *unit, char *out, size_t outlen);

#endif
