/* SPDX-License-Identifier: Apache-2.0 */
/* Security through the modern C API: TLS against brokers serving the shared test certificates
 * (testdata/tls/: a verified chain, a wrong host name, an expired certificate, trust-all,
 * cleartext to a TLS-only port), each with its error code and words; and a secret that appears
 * in no error message and no log event, even at trace level. RMQ_TESTDATA is the testdata
 * folder (the Makefile passes it). */
#include "check.h"

static char* read_file(const char* name) {
  char path[1024];
  snprintf(path, sizeof path, "%s/tls/%s", RMQ_TESTDATA, name);
  FILE* f = fopen(path, "rb");
  CHECK(f != NULL);
  CHECK(fseek(f, 0, SEEK_END) == 0);
  long size = ftell(f);
  CHECK(size > 0 && fseek(f, 0, SEEK_SET) == 0);
  char* text = malloc((size_t)size + 1);
  CHECK(text != NULL && fread(text, 1, (size_t)size, f) == (size_t)size);
  text[size] = '\0';
  fclose(f);
  return text;
}

/* A broker serving testdata/tls/NAME.pem, optionally TLS only. */
static rmq_mini_broker* tls_broker(const char* name, int tls_only) {
  char cert[1024], key[1024];
  snprintf(cert, sizeof cert, "%s/tls/%s.pem", RMQ_TESTDATA, name);
  snprintf(key, sizeof key, "%s/tls/%s.key", RMQ_TESTDATA, name);
  rmq_option options[] = {{"topic", "t:NORMAL"},
                          {"tls_cert", cert},
                          {"tls_key", key},
                          {"tls_only", tls_only ? "true" : "false"}};
  rmq_mini_broker* b = NULL;
  OK(rmq_mini_broker_start(options, sizeof options / sizeof *options, &b));
  return b;
}

/* Starts a producer on `b` with `key`=`value` (none when key is NULL) and sends one message;
 * returns the first error. */
static rmq_err send_one(const rmq_mini_broker* b, const char* key, const char* value) {
  rmq_conf* conf = rmq_conf_new();
  char err[256];
  CHECK(rmq_conf_set(conf, "endpoints", rmq_mini_broker_endpoint(b), err, sizeof err) ==
        RMQ_CONF_OK);
  CHECK(rmq_conf_set(conf, "request_timeout", "2s", err, sizeof err) == RMQ_CONF_OK);
  if (key) CHECK(rmq_conf_set(conf, key, value, err, sizeof err) == RMQ_CONF_OK);
  rmq_producer* p = NULL;
  rmq_err e = rmq_producer_new(conf, &p);
  rmq_conf_free(conf);
  if (e != RMQ_OK) return e;
  rmq_message* m = NULL;
  OK(rmq_message_new("t", (const uint8_t*)"x", 1, &m));
  rmq_send_receipt* r = NULL;
  e = rmq_producer_send(p, m, &r);
  rmq_send_receipt_free(r);
  rmq_message_free(m);
  rmq_producer_free(p);
  return e;
}

static void test_tls(void) {
  char* ca = read_file("ca.pem");
  rmq_mini_broker* good = tls_broker("localhost", 0);
  OK(send_one(good, "tls_ca_pem", ca));
  CHECK(rmq_mini_broker_message_count(good, "t") == 1);
  rmq_mini_broker_free(good);

  const char* cases[][2] = {{"wrong-host", "not valid for name"}, {"expired", "expired"}};
  for (size_t i = 0; i < 2; i++) {
    rmq_mini_broker* b = tls_broker(cases[i][0], 0);
    CHECK(send_one(b, "tls_ca_pem", ca) == RMQ_ERR__NETWORK);
    CHECK(strstr(rmq_last_error_message(), "certificate") != NULL);
    CHECK(strstr(rmq_last_error_message(), cases[i][1]) != NULL);
    OK(send_one(b, "tls", "trust-all")); /* development only */
    CHECK(rmq_mini_broker_message_count(b, "t") == 1);
    rmq_mini_broker_free(b);
  }

  rmq_mini_broker* tls_only = tls_broker("localhost", 1);
  CHECK(send_one(tls_only, NULL, NULL) == RMQ_ERR__NETWORK);
  CHECK(strstr(rmq_last_error_message(), "TLS") != NULL);
  OK(send_one(tls_only, "tls_ca_pem", ca));
  rmq_mini_broker_free(tls_only);

  rmq_option half[] = {{"tls_cert", "x.pem"}};
  rmq_mini_broker* none = NULL;
  CHECK(rmq_mini_broker_start(half, 1, &none) == RMQ_ERR__INVALID_ARGUMENT && none == NULL);
  CHECK(strstr(rmq_last_error_message(), "together") != NULL);
  free(ca);
  printf("ok TLS: verified chain, wrong host, expired, trust-all, cleartext to TLS-only\n");
}

#define SECRET "s3cr3t-never-shown"

typedef struct {
  pthread_mutex_t lock;
  int events;
  int leaks;
} log_count;

static void on_log(void* opaque, int32_t level, const char* logger, const char* message) {
  (void)level;
  (void)logger;
  log_count* c = opaque;
  pthread_mutex_lock(&c->lock);
  c->events++;
  if (strstr(message, SECRET) != NULL) c->leaks++;
  pthread_mutex_unlock(&c->lock);
}

static void test_secrets_stay_out_of_errors_and_logs(void) {
  log_count logs = {.events = 0, .leaks = 0};
  pthread_mutex_init(&logs.lock, NULL);
  OK(rmq_set_log_callback(on_log, &logs, RMQ_LOG_TRACE));
  rmq_option options[] = {{"topic", "t:NORMAL"}, {"auth", "ak:the-right-one"}};
  rmq_mini_broker* b = NULL;
  OK(rmq_mini_broker_start(options, 2, &b));
  rmq_conf* conf = rmq_conf_new();
  char err[256];
  CHECK(rmq_conf_set(conf, "endpoints", rmq_mini_broker_endpoint(b), err, sizeof err) ==
        RMQ_CONF_OK);
  CHECK(rmq_conf_set(conf, "topics", "t", err, sizeof err) == RMQ_CONF_OK); /* asked at start */
  CHECK(rmq_conf_set(conf, "access_key", "ak", err, sizeof err) == RMQ_CONF_OK);
  CHECK(rmq_conf_set(conf, "secret_key", SECRET, err, sizeof err) == RMQ_CONF_OK);
  CHECK(rmq_conf_set(conf, "security_token", SECRET, err, sizeof err) == RMQ_CONF_OK);
  rmq_producer* p = NULL;
  rmq_err e = rmq_producer_new(conf, &p);
  rmq_conf_free(conf);
  CHECK(e == RMQ_ERR_UNAUTHORIZED || e == RMQ_ERR__UNAUTHORIZED);
  CHECK(strstr(rmq_last_error_message(), SECRET) == NULL);
  rmq_mini_broker_free(b);
  /* Delivers every event raised so far to on_log first; none comes after it. */
  OK(rmq_set_log_callback(NULL, NULL, RMQ_LOG_WARN));
  pthread_mutex_lock(&logs.lock);
  CHECK(logs.events > 0);
  CHECK(logs.leaks == 0);
  pthread_mutex_unlock(&logs.lock);
  pthread_mutex_destroy(&logs.lock);
  printf("ok a secret appears in no error and no log event at trace level\n");
}

int main(void) {
  test_tls();
  test_secrets_stay_out_of_errors_and_logs();
  printf("all rmq C security tests passed\n");
  return 0;
}
