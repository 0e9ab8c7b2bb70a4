/* SPDX-License-Identifier: Apache-2.0 */
/* Leak check of the C binding: N create/start/use/close/free cycles of every client (a
 * producer, a push consumer, a simple consumer, a lite push consumer) against one in-process
 * mini-broker. After the warm-up cycles and again at the end it reads the process's threads,
 * open descriptors and resident memory from /proc/self: threads and descriptors may not
 * grow, memory at most MAX_GROWTH percent. valgrind checks every byte of the test suites
 * (make test); this checks that nothing builds up over many cycles.
 *
 *   make -C bindings-c lifecycle LIFECYCLE_CYCLES=1000
 */
#include "../tests/helpers.h"

#include <dirent.h>

typedef struct {
  long rss_kib, threads, fds;
} footprint;

static footprint measure(void) {
  /* Closed clients finish their last tasks on the library's runtime: a moment. */
  struct timespec pause = {0, 300 * 1000 * 1000};
  nanosleep(&pause, NULL);
  footprint f = {0, 0, 0};
  FILE* status = fopen("/proc/self/status", "r");
  CHECK(status != NULL);
  char line[256];
  while (fgets(line, sizeof line, status)) {
    sscanf(line, "VmRSS: %ld", &f.rss_kib);
    sscanf(line, "Threads: %ld", &f.threads);
  }
  fclose(status);
  DIR* fds = opendir("/proc/self/fd");
  CHECK(fds != NULL);
  while (readdir(fds)) f.fds++;
  closedir(fds);
  return f;
}

static int32_t on_message(void* opaque, const rmq_message_view* view) {
  (void)opaque;
  (void)view;
  return RMQ_CONSUME_SUCCESS;
}

static void one_cycle(int i) {
  char body[32];
  snprintf(body, sizeof body, "cycle %d", i);
  rmq_producer* p = producer_new();
  rmq_message* m = message("t", body);
  send(p, m, NULL);
  rmq_message_free(m);
  OK(rmq_producer_close(p));
  rmq_producer_free(p);

  rmq_conf* conf = client_conf();
  OK(rmq_conf_set_message_listener(conf, on_message, NULL));
  rmq_subscription sub = {"t", RMQ_FILTER_TAG, "*"};
  rmq_push_consumer* push = NULL;
  OK(rmq_push_consumer_new(conf, "lc-push", &sub, 1, &push));
  OK(rmq_push_consumer_close(push));
  rmq_push_consumer_free(push);

  rmq_lite_push_consumer* lite = NULL;
  OK(rmq_lite_push_consumer_new(conf, "lc-lite", "lite", &lite));
  OK(rmq_lite_push_consumer_subscribe(lite, "one"));
  OK(rmq_lite_push_consumer_close(lite));
  rmq_lite_push_consumer_free(lite);
  rmq_conf_free(conf);

  rmq_simple_consumer* simple = simple_new("lc-simple", "t", "*");
  rmq_message_view* views[1];
  size_t n = 0;
  OK(rmq_simple_consumer_receive(simple, 1, 10000, views, &n));
  for (size_t k = 0; k < n; k++) OK(rmq_simple_consumer_ack(simple, views[k]));
  free_views(views, n);
  OK(rmq_simple_consumer_close(simple));
  rmq_simple_consumer_free(simple);
}

int main(int argc, char** argv) {
  int cycles = argc > 1 ? atoi(argv[1]) : 1000;
  double max_growth = argc > 2 ? atof(argv[2]) : 5.0;
  rmq_option options[] = {{"topic", "t:NORMAL"}, {"topic", "lite:LITE"},
                          {"group", "lc-lite:lite-topic=lite"}};
  OK(rmq_mini_broker_start(options, 3, &broker));
  int warm_up = cycles / 20 > 5 ? cycles / 20 : 5;
  for (int i = 0; i < warm_up; i++) one_cycle(i);
  footprint before = measure();
  long long started = now_ms();
  for (int i = 0; i < cycles; i++) one_cycle(i);
  long long took = now_ms() - started;
  footprint after = measure();
  rmq_mini_broker_free(broker);

  double rss = (after.rss_kib - before.rss_kib) * 100.0 / (double)before.rss_kib;
  printf("c lifecycle: %d cycles of four clients in %.1f s\n", cycles, took / 1000.0);
  printf("  after warm-up: %.1f MiB RSS, %ld threads, %ld fds\n", before.rss_kib / 1024.0,
         before.threads, before.fds);
  printf("  at the end:    %.1f MiB RSS, %ld threads, %ld fds\n", after.rss_kib / 1024.0,
         after.threads, after.fds);
  printf("  growth: RSS %+.1f %%, threads %+ld, fds %+ld\n", rss, after.threads - before.threads,
         after.fds - before.fds);
  int failed = 0;
  if (rss > max_growth) {
    printf("FAIL RSS grew %.1f %% (limit %.1f %%)\n", rss, max_growth);
    failed = 1;
  }
  if (after.threads > before.threads || after.fds > before.fds) {
    printf("FAIL threads or descriptors leaked\n");
    failed = 1;
  }
  printf("c lifecycle %s\n", failed ? "FAILED" : "PASSED");
  return failed;
}
