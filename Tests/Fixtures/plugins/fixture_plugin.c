/*
 * A plugin written in C against concord_plugin.h, for the loader's tests: each build sets what it claims with -D.
 *
 *   FIXTURE_ABI         the ABI version in its table (default CONCORD_PLUGIN_ABI_VERSION)
 *   FIXTURE_NAME        its module name (default "fixture")
 *   FIXTURE_NAMESPACE   the namespace it claims (default FIXTURE_NAME)
 *   FIXTURE_FROM, FIXTURE_BELOW   the Concord versions it runs on (default "0.0.0" up to "999.0.0")
 *   FIXTURE_COMPILER    the Swift compiler it claims (default "none": it has no Swift code)
 *   FIXTURE_START_FAILS its start answers an error
 *
 * It handles one command, <namespace>.echo, answering its args, and publishes no event.
 */
#include <stdio.h>
#include <string.h>

#include "concord_plugin.h"

#ifndef FIXTURE_ABI
#define FIXTURE_ABI CONCORD_PLUGIN_ABI_VERSION
#endif
#ifndef FIXTURE_NAME
#define FIXTURE_NAME "fixture"
#endif
#ifndef FIXTURE_NAMESPACE
#define FIXTURE_NAMESPACE FIXTURE_NAME
#endif
#ifndef FIXTURE_FROM
#define FIXTURE_FROM "0.0.0"
#endif
#ifndef FIXTURE_BELOW
#define FIXTURE_BELOW "999.0.0"
#endif
#ifndef FIXTURE_COMPILER
#define FIXTURE_COMPILER "none"
#endif

static int instance;

static void answer(concord_result_fn result, void *token, int32_t status, const char *json) {
    result(token, status, (const uint8_t *)json, strlen(json));
}

static void describe(void *token, concord_result_fn result) {
    answer(result, token, CONCORD_OK,
           "{\"name\": \"" FIXTURE_NAME "\", \"version\": \"0.0.1\", \"namespaces\": [\"" FIXTURE_NAMESPACE "\"],"
           " \"events\": [], \"migrations\": []}");
}

static void *start(const concord_host_v1 *host, const uint8_t *configuration, size_t length, void *token,
                   concord_result_fn result) {
    (void)host;
    (void)configuration;
    (void)length;
#ifdef FIXTURE_START_FAILS
    answer(result, token, CONCORD_ERROR, "{\"code\": \"internal\", \"message\": \"the fixture fails to start\"}");
#else
    answer(result, token, CONCORD_OK,
           "{\"commands\": [{\"command\": \"" FIXTURE_NAMESPACE ".echo\", \"mutating\": false,"
           " \"execution\": \"inline\", \"args_schema\": {\"type\": \"object\"}, \"reply_schema\": {\"type\": \"object\"}}]}");
#endif
    return &instance;
}

static void handle(void *self, void *scope, const uint8_t *topic, size_t topic_length, const uint8_t *args,
                   size_t args_length, const uint8_t *context, size_t context_length, void *token,
                   concord_result_fn reply) {
    (void)self;
    (void)scope;
    (void)topic;
    (void)topic_length;
    (void)context;
    (void)context_length;
    reply(token, CONCORD_OK, args, args_length);
}

static void deliver(void *self, const uint8_t *events, size_t length, void *token, concord_result_fn result) {
    (void)self;
    (void)events;
    (void)length;
    answer(result, token, CONCORD_OK, "null");
}

static void status(void *self, void *token, concord_result_fn result) {
    (void)self;
    answer(result, token, CONCORD_OK, "{\"language\": \"C\"}");
}

static void stop(void *self, void *token, concord_result_fn result) {
    (void)self;
    answer(result, token, CONCORD_OK, "null");
}

static const concord_plugin_v1_table table = {
    .abi_version = FIXTURE_ABI,
    .size = sizeof(concord_plugin_v1_table),
    .name = FIXTURE_NAME,
    .version = "0.0.1",
    .concord_from = FIXTURE_FROM,
    .concord_below = FIXTURE_BELOW,
    .swift_compiler = FIXTURE_COMPILER,
    .describe = describe,
    .start = start,
    .handle = handle,
    .deliver = deliver,
    .status = status,
    .stop = stop,
};

const concord_plugin_v1_table *concord_plugin_v1(void) { return &table; }
