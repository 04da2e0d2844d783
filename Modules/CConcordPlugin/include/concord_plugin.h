/*
 * Concord's in-process plugin ABI, version 1.
 *
 * A plugin is a shared library that exports one function, concord_plugin_v1, returning a constant table
 * (concord_plugin_v1_table). Before it runs any other code of the plugin, concordd reads abi_version, then size,
 * then the Concord version range and the Swift compiler the plugin was built with, and refuses the plugin when one
 * does not match. Only C types cross: messages are JSON texts (UTF-8, with their length), the same objects CWP/1
 * carries, so a plugin links its own copy of ConcordKit and the daemon never sees one of its Swift types.
 *
 * Results come through a concord_result_fn: status CONCORD_OK with the result's JSON, or CONCORD_ERROR with a
 * CWP/1 error object {"code": "bad_request", "message": "...", "details": {...}}. A result function is called
 * exactly once per request, on any thread, perhaps before the call that asked for it returns; the bytes are valid
 * during that call only.
 *
 * Fields are only ever added at the end of these tables; size says how much of a table the other side knows.
 */
#ifndef CONCORD_PLUGIN_H
#define CONCORD_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CONCORD_PLUGIN_ABI_VERSION 1u
#define CONCORD_PLUGIN_ENTRY "concord_plugin_v1"

#define CONCORD_OK 0
#define CONCORD_ERROR 1

typedef void (*concord_result_fn)(void *token, int32_t status, const uint8_t *json, size_t length);

/* Runs inside a write transaction: CONCORD_OK keeps what it did, CONCORD_ERROR rolls all of it back. */
typedef int32_t (*concord_write_body_fn)(void *token, void *transaction);

/* What concordd gives a started plugin; valid until the plugin's stop has called its result. */
typedef struct concord_host_v1 {
    uint32_t abi_version;
    uint32_t size;
    void *host;
    /* The daemon's clock, in seconds since 1970-01-01T00:00:00Z (a test clock in tests). */
    double (*now)(void *host);
    /* Logs one line under the plugin's name; level 0 trace, 1 debug, 2 info, 3 notice, 4 warning, 5 error. */
    void (*log)(void *host, int32_t level, const uint8_t *message, size_t length);
    /* Sends a command through the bus, as the plugin; scope is the one handle gave (NULL outside a command). */
    void (*send)(void *host, void *scope, const uint8_t *topic, size_t topic_length, const uint8_t *args,
                 size_t args_length, void *token, concord_result_fn result);
    /* Runs body in one of the plugin's write transactions, with every other write grouped in that commit; result
       gets "null" once the commit is durable, or the error that rolled it back. */
    void (*write)(void *host, void *scope, void *body_token, concord_write_body_fn body, void *token,
                  concord_result_fn result);
    /* Reads from a snapshot: {"sql": "SELECT ...", "arguments": [...]} answers {"rows": [{"column": value}]}. */
    void (*read)(void *host, const uint8_t *request, size_t length, void *token, concord_result_fn result);
    /* Inside a write body only, on the transaction it was given; answers before it returns:
         {"op": "execute", "sql": "...", "arguments": [...]}      -> {"changes": 1, "last_insert_rowid": 7}
         {"op": "query", "sql": "...", "arguments": [...]}        -> {"rows": [{"column": value}]}
         {"op": "emit", "topic": "...", "payload": {...}}         -> {}
         {"op": "schedule", "key": "...", "due": 1767225600.0, "topic": "...", "payload": {...}} -> {}
         {"op": "cancel_timer", "key": "..."}                    -> {}
       Arguments and values are JSON null, integers, numbers and strings. */
    void (*transaction)(void *transaction, const uint8_t *request, size_t length, void *token,
                        concord_result_fn result);
    /* Delivers every later event whose topic starts with prefix to the plugin's deliver. */
    void (*subscribe)(void *host, const uint8_t *prefix, size_t length);
} concord_host_v1;

typedef struct concord_plugin_v1_table {
    /* CONCORD_PLUGIN_ABI_VERSION as the plugin was built; nothing else is read when it differs. */
    uint32_t abi_version;
    /* sizeof(concord_plugin_v1_table) as the plugin was built. */
    uint32_t size;
    /* The module's name and version, for the log line and system.status of a refused plugin. */
    const char *name;
    const char *version;
    /* The Concord versions the plugin runs on: from concord_from up to, not including, concord_below. */
    const char *concord_from;
    const char *concord_below;
    /* The Swift compiler the plugin was built with, such as "6.3.1"; "none" for a plugin with no Swift code. */
    const char *swift_compiler;
    /* Describes the module, once the checks passed:
         {"name": "dues", "version": "1.0.0", "namespaces": ["dues"],
          "commands": [{"command": "dues.invoice.list", "mutating": false, "execution": "inline" | "pool",
                        "args_schema": {...}, "reply_schema": {...}}],
          "events": [{"topic": "dues.invoice.issued", "payload_schema": {...}}],
          "migrations": [{"name": "v1", "sql": "CREATE TABLE dues_invoices (...)"}]} */
    void (*describe)(void *token, concord_result_fn result);
    /* Starts the module with its configuration section ({"key": "value"}, as modules.<name>.* sets it); returns
       the instance the other calls take, and result gets "null" once started, or an error. */
    void *(*start)(const concord_host_v1 *host, const uint8_t *configuration, size_t length, void *token,
                   concord_result_fn result);
    /* Handles a command; context is {"request_id": ..., "caller": "...", "role": ..., "idempotency_key": ...}
       (role: the caller's allowlist role under CURVE, absent otherwise). The reply is the
       command's result as JSON, or an error. scope is passed back with the sends and writes the command makes. */
    void (*handle)(void *instance, void *scope, const uint8_t *topic, size_t topic_length, const uint8_t *args,
                   size_t args_length, const uint8_t *context, size_t context_length, void *token,
                   concord_result_fn reply);
    /* A batch of events for the plugin's subscriptions, as a JSON array of CWP/1 envelopes; the next batch waits
       for result. */
    void (*deliver)(void *instance, const uint8_t *events, size_t length, void *token, concord_result_fn result);
    /* What the plugin shows under its entry in system.status, as JSON (null for nothing). */
    void (*status)(void *instance, void *token, concord_result_fn result);
    /* Stops the module; result once its tasks ended. The instance is not used afterwards. */
    void (*stop)(void *instance, void *token, concord_result_fn result);
} concord_plugin_v1_table;

/* The one symbol a plugin exports: returns its constant table, and does nothing else. */
typedef const concord_plugin_v1_table *(*concord_plugin_v1_entry)(void);

#ifdef __cplusplus
}
#endif

#endif
