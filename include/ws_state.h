/*
 * ws_state.h: the states of a workspace (docs/operator.md), spelled once.
 *
 * WS_STATE_LIST is the one list of them in C, in the order of the enum
 * (which is the order in which STATUS=, /metrics and `wegauge status`
 * list them): the enum below, ws_state_name() (ws.c) and the tool's
 * summary (src/cli/cli_cmd.c) come from it. The schema's CHECK on
 * workspace.state (schema/001-initial.sql) must name the same states;
 * tests/test_store.c compares the two, so a state added to one only
 * fails there.
 */
#ifndef WEGAUGE_WS_STATE_H
#define WEGAUGE_WS_STATE_H

/* X(enumerator, name as stored), in the order of the enum. */
#define WS_STATE_LIST(X)                                                                           \
	X(WS_PENDING, "pending")                                                                   \
	X(WS_CONNECTED, "connected")                                                               \
	X(WS_AUTH_FAILED, "auth_failed")                                                           \
	X(WS_FAILING, "failing")                                                                   \
	X(WS_DISABLED, "disabled")                                                                 \
	X(WS_REMOVED, "removed")

/* A workspace's state, as stored in workspace.state: WS_PENDING = 0, WS_CONNECTED, ... */
#define WS_STATE_ENUMERATOR(id, name) id,
enum ws_state { WS_STATE_LIST(WS_STATE_ENUMERATOR) WS_STATE_COUNT };
#undef WS_STATE_ENUMERATOR

/*
 * The names, indexed by enum ws_state, as an initializer:
 *   static const char *const names[WS_STATE_COUNT] = WS_STATE_NAMES;
 */
#define WS_STATE_NAME_OF(id, name) [id] = name,
#define WS_STATE_NAMES                                                                             \
	{                                                                                          \
		WS_STATE_LIST(WS_STATE_NAME_OF)                                                    \
	}

#endif
