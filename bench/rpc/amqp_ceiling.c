/*
 * amqp_ceiling.c - raw RabbitMQ ceiling for the shapes oslo.messaging uses.
 * (The team's peer tool ../shared/peers/oslo-messaging/amqp_bench.c, built here as
 * bin/rpc-amqp-ceiling so that bench/rpc/run builds nothing itself.)
 *
 * Built on rabbitmq-c (librabbitmq 0.11):
 *     cc -O2 -o amqp_bench amqp_bench.c -lrabbitmq -lpthread
 *
 * Modes (one output line each):
 *   pubsub  one connection publishes N messages to a queue through the
 *           default exchange; another connection (own thread) consumes them.
 *           --ack 0: consume with no-ack; --ack 1: basic.ack every message
 *           (what oslo does).  --confirm 1: publisher channel in confirm mode
 *           and waits for each basic.ack before the next publish (what
 *           kombu/oslo does with confirm_publish=True).  --confirm 2: confirm
 *           mode, pipelined: up to --window unconfirmed publishes (what
 *           nova-cpp's CastAsync does); the publish rate then counts until
 *           the last confirm.  --exchange topic: publish through a topic
 *           exchange bound to the queue (oslo's control exchange) instead
 *           of the default exchange.
 *           Figures: publish rate, and end-to-end rate = N / (last consume -
 *           first publish).
 *   rtt     sequential request/reply, laid out like oslo: the client sends on
 *           one connection and waits for replies on another; the server
 *           consumes on one and replies on another (default exchange,
 *           reply_to routing).  Figures: calls/s, p50, p99 latency.
 *
 * Message properties copy oslo's: content_type application/json,
 * content_encoding utf-8, delivery_mode 2, priority 0; queues are
 * non-durable like oslo's defaults.  Everything runs in vhost "bench"
 * unless --vhost says otherwise; queues are auto-delete and named after the
 * PID, so nothing is left behind.
 */
#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct {
  const char *host;
  int port;
  const char *vhost, *user, *pass;
  const char *mode;
  long n;
  long warmup;
  int size;
  int ack;
  int confirm;
  long window;
  const char *exchange;
} cfg_t;

static cfg_t C = {"127.0.0.1", 5672, "bench", "bench", "bench", "pubsub",
                  200000, 1000, 1500, 1, 0, 2000, ""};

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die_reply(amqp_rpc_reply_t r, const char *what) {
  if (r.reply_type == AMQP_RESPONSE_NORMAL) return;
  fprintf(stderr, "%s failed: reply_type=%d library_error=%s\n", what,
          r.reply_type,
          r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION
              ? amqp_error_string2(r.library_error)
              : "(server exception)");
  exit(2);
}

static void die_status(int st, const char *what) {
  if (st >= 0) return;
  fprintf(stderr, "%s failed: %s\n", what, amqp_error_string2(st));
  exit(2);
}

static amqp_connection_state_t open_conn(void) {
  amqp_connection_state_t c = amqp_new_connection();
  amqp_socket_t *s = amqp_tcp_socket_new(c);
  if (!s) { fprintf(stderr, "socket alloc failed\n"); exit(2); }
  die_status(amqp_socket_open(s, C.host, C.port), "socket open");
  die_reply(amqp_login(c, C.vhost, 0, 131072, 0, AMQP_SASL_METHOD_PLAIN,
                       C.user, C.pass),
            "login");
  amqp_channel_open(c, 1);
  die_reply(amqp_get_rpc_reply(c), "channel.open");
  return c;
}

static void close_conn(amqp_connection_state_t c) {
  amqp_channel_close(c, 1, AMQP_REPLY_SUCCESS);
  amqp_connection_close(c, AMQP_REPLY_SUCCESS);
  amqp_destroy_connection(c);
}

static void declare_queue(amqp_connection_state_t c, const char *name) {
  amqp_queue_declare(c, 1, amqp_cstring_bytes(name), 0 /*passive*/,
                     0 /*durable*/, 0 /*exclusive*/, 1 /*auto_delete*/,
                     amqp_empty_table);
  die_reply(amqp_get_rpc_reply(c), "queue.declare");
}

static void start_consume(amqp_connection_state_t c, const char *q,
                          int no_ack) {
  amqp_basic_consume(c, 1, amqp_cstring_bytes(q), amqp_empty_bytes, 0,
                     no_ack, 0, amqp_empty_table);
  die_reply(amqp_get_rpc_reply(c), "basic.consume");
}

static void enable_confirms(amqp_connection_state_t c) {
  amqp_confirm_select(c, 1);
  die_reply(amqp_get_rpc_reply(c), "confirm.select");
}

static void wait_confirm(amqp_connection_state_t c) {
  amqp_method_t m;
  int st = amqp_simple_wait_method(c, 1, AMQP_BASIC_ACK_METHOD, &m);
  die_status(st, "wait basic.ack (confirm)");
}

static amqp_basic_properties_t oslo_props(const char *reply_to) {
  amqp_basic_properties_t p;
  memset(&p, 0, sizeof p);
  p._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_CONTENT_ENCODING_FLAG |
             AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_PRIORITY_FLAG;
  p.content_type = amqp_cstring_bytes("application/json");
  p.content_encoding = amqp_cstring_bytes("utf-8");
  p.delivery_mode = 2;
  p.priority = 0;
  if (reply_to) {
    p._flags |= AMQP_BASIC_REPLY_TO_FLAG;
    p.reply_to = amqp_cstring_bytes(reply_to);
  }
  return p;
}

static void publish_to(amqp_connection_state_t c, const char *exchange,
                       const char *rk, amqp_bytes_t body,
                       const amqp_basic_properties_t *p) {
  die_status(amqp_basic_publish(c, 1, amqp_cstring_bytes(exchange),
                                amqp_cstring_bytes(rk), 0, 0, p, body),
             "basic.publish");
}

static void publish(amqp_connection_state_t c, const char *rk,
                    amqp_bytes_t body, const amqp_basic_properties_t *p) {
  publish_to(c, "", rk, body, p);
}

/* --confirm 2: the highest delivery tag confirmed so far (the broker confirms
 * one queue's messages in order). Reads what is there; with block, waits for
 * at least one frame first. */
static uint64_t confirmed = 0;
static void read_confirms(amqp_connection_state_t c, int block) {
  amqp_frame_t f;
  struct timeval zero = {0, 0};
  for (;;) {
    int st = block ? amqp_simple_wait_frame(c, &f)
                   : amqp_simple_wait_frame_noblock(c, &f, &zero);
    if (st == AMQP_STATUS_TIMEOUT) return;
    die_status(st, "wait frame (confirm)");
    block = 0;
    if (f.frame_type == AMQP_FRAME_METHOD) {
      if (f.payload.method.id == AMQP_BASIC_NACK_METHOD) {
        fprintf(stderr, "broker nacked a publish\n");
        exit(3);
      }
      if (f.payload.method.id == AMQP_BASIC_ACK_METHOD) {
        amqp_basic_ack_t *a = (amqp_basic_ack_t *)f.payload.method.decoded;
        if (a->delivery_tag > confirmed) confirmed = a->delivery_tag;
      }
    }
  }
}

/* read one delivery; returns 0 on success */
static int next_delivery(amqp_connection_state_t c, amqp_envelope_t *env) {
  for (;;) {
    amqp_maybe_release_buffers(c);
    amqp_rpc_reply_t r = amqp_consume_message(c, env, NULL, 0);
    if (r.reply_type == AMQP_RESPONSE_NORMAL) return 0;
    if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
        r.library_error == AMQP_STATUS_UNEXPECTED_STATE) {
      amqp_frame_t f;
      if (amqp_simple_wait_frame(c, &f) != AMQP_STATUS_OK) return -1;
      continue; /* e.g. a stray basic.ack on this connection */
    }
    die_reply(r, "consume_message");
  }
}

/* ------------------------------------------------------------ pubsub */
static char qname[64];
static volatile int consumer_ready = 0;
static double t_last_consume = 0;
static long consumed = 0;

static void *consumer_main(void *arg) {
  (void)arg;
  amqp_connection_state_t c = open_conn();
  declare_queue(c, qname);
  start_consume(c, qname, !C.ack);
  __sync_synchronize();
  consumer_ready = 1;
  amqp_envelope_t env;
  while (consumed < C.n) {
    if (next_delivery(c, &env)) break;
    consumed++;
    if (C.ack) amqp_basic_ack(c, 1, env.delivery_tag, 0);
    amqp_destroy_envelope(&env);
  }
  t_last_consume = now_s();
  close_conn(c);
  return NULL;
}

static int run_pubsub(void) {
  snprintf(qname, sizeof qname, "rawbench_%d", (int)getpid());
  pthread_t th;
  pthread_create(&th, NULL, consumer_main, NULL);
  while (!consumer_ready) usleep(1000);
  amqp_connection_state_t p = open_conn();
  if (C.confirm) enable_confirms(p);
  char xname[64] = "";
  if (!strcmp(C.exchange, "topic")) {
    snprintf(xname, sizeof xname, "rawbench_x_%d", (int)getpid());
    amqp_exchange_declare(p, 1, amqp_cstring_bytes(xname),
                          amqp_cstring_bytes("topic"), 0, 0, 1 /*auto_delete*/,
                          0, amqp_empty_table);
    die_reply(amqp_get_rpc_reply(p), "exchange.declare");
    amqp_queue_bind(p, 1, amqp_cstring_bytes(qname), amqp_cstring_bytes(xname),
                    amqp_cstring_bytes(qname), amqp_empty_table);
    die_reply(amqp_get_rpc_reply(p), "queue.bind");
  }
  char *buf = malloc(C.size);
  memset(buf, 'x', C.size);
  amqp_bytes_t body = {(size_t)C.size, buf};
  amqp_basic_properties_t props = oslo_props(NULL);
  double t0 = now_s();
  for (long i = 0; i < C.n; i++) {
    publish_to(p, xname, qname, body, &props);
    if (C.confirm == 1) wait_confirm(p);
    if (C.confirm == 2) {
      read_confirms(p, 0);
      while ((uint64_t)(i + 1) - confirmed >= (uint64_t)C.window) read_confirms(p, 1);
    }
  }
  while (C.confirm == 2 && confirmed < (uint64_t)C.n) read_confirms(p, 1);
  double t_pub = now_s();
  pthread_join(th, NULL);
  close_conn(p);
  free(buf);
  printf("raw_pubsub size=%d n=%ld ack=%d confirm=%d exchange=%s publish_rate=%.0f "
         "msgs/s e2e_rate=%.0f msgs/s consumed=%ld\n",
         C.size, C.n, C.ack, C.confirm, *C.exchange ? C.exchange : "default",
         C.n / (t_pub - t0),
         consumed / (t_last_consume - t0), consumed);
  return consumed == C.n ? 0 : 1;
}

/* ------------------------------------------------------------ rtt */
static char rpcq[64], replyq[64];
static volatile int server_ready = 0, server_stop = 0;

static void *server_main(void *arg) {
  (void)arg;
  amqp_connection_state_t sub = open_conn(), pub = open_conn();
  if (C.confirm) enable_confirms(pub);
  declare_queue(sub, rpcq);
  start_consume(sub, rpcq, !C.ack);
  __sync_synchronize();
  server_ready = 1;
  char *buf = malloc(C.size);
  memset(buf, 'y', C.size);
  amqp_bytes_t body = {(size_t)C.size, buf};
  amqp_basic_properties_t props = oslo_props(NULL);
  amqp_envelope_t env;
  long total = C.n + C.warmup;
  for (long i = 0; i < total; i++) {
    if (next_delivery(sub, &env)) break;
    if (C.ack) amqp_basic_ack(sub, 1, env.delivery_tag, 0); /* ack first */
    char rk[128];
    amqp_bytes_t rt = env.message.properties.reply_to;
    size_t l = rt.len < sizeof rk - 1 ? rt.len : sizeof rk - 1;
    memcpy(rk, rt.bytes, l);
    rk[l] = 0;
    publish(pub, rk, body, &props);
    if (C.confirm) wait_confirm(pub);
    amqp_destroy_envelope(&env);
  }
  free(buf);
  close_conn(pub);
  close_conn(sub);
  return NULL;
}

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static int run_rtt(void) {
  snprintf(rpcq, sizeof rpcq, "rawbench_rpc_%d", (int)getpid());
  snprintf(replyq, sizeof replyq, "rawbench_reply_%d", (int)getpid());
  pthread_t th;
  pthread_create(&th, NULL, server_main, NULL);
  while (!server_ready) usleep(1000);
  amqp_connection_state_t pub = open_conn(), sub = open_conn();
  if (C.confirm) enable_confirms(pub);
  declare_queue(sub, replyq);
  start_consume(sub, replyq, !C.ack);
  char *buf = malloc(C.size);
  memset(buf, 'x', C.size);
  amqp_bytes_t body = {(size_t)C.size, buf};
  amqp_basic_properties_t props = oslo_props(replyq);
  double *lat = malloc(sizeof(double) * C.n);
  amqp_envelope_t env;
  double t0 = 0;
  for (long i = 0; i < C.n + C.warmup; i++) {
    if (i == C.warmup) t0 = now_s();
    double a = now_s();
    publish(pub, rpcq, body, &props);
    if (C.confirm) wait_confirm(pub);
    if (next_delivery(sub, &env)) { fprintf(stderr, "reply lost\n"); exit(3); }
    if (C.ack) amqp_basic_ack(sub, 1, env.delivery_tag, 0);
    amqp_destroy_envelope(&env);
    if (i >= C.warmup) lat[i - C.warmup] = now_s() - a;
  }
  double t1 = now_s();
  pthread_join(th, NULL);
  close_conn(pub);
  close_conn(sub);
  qsort(lat, C.n, sizeof(double), cmp_d);
  double p50 = lat[(long)(0.50 * (C.n - 1))];
  double p99 = lat[(long)(0.99 * (C.n - 1))];
  printf("raw_rtt size=%d n=%ld ack=%d confirm=%d rate=%.0f calls/s "
         "p50=%.3f ms p99=%.3f ms\n",
         C.size, C.n, C.ack, C.confirm, C.n / (t1 - t0), p50 * 1e3,
         p99 * 1e3);
  free(lat);
  free(buf);
  return 0;
}

static void usage(void) {
  fprintf(stderr,
          "usage: amqp_bench [--mode pubsub|rtt] [--n N] [--size BYTES]\n"
          "                  [--ack 0|1] [--confirm 0|1|2] [--window N]\n"
          "                  [--exchange topic] [--warmup N]\n"
          "                  [--host H] [--port P] [--vhost V]\n"
          "                  [--user U] [--pass P]\n");
  exit(1);
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *k = argv[i];
    if (i + 1 >= argc) usage();
    const char *v = argv[++i];
    if (!strcmp(k, "--mode")) C.mode = v;
    else if (!strcmp(k, "--n")) C.n = atol(v);
    else if (!strcmp(k, "--size")) C.size = atoi(v);
    else if (!strcmp(k, "--ack")) C.ack = atoi(v);
    else if (!strcmp(k, "--confirm")) C.confirm = atoi(v);
    else if (!strcmp(k, "--window")) C.window = atol(v);
    else if (!strcmp(k, "--exchange")) C.exchange = v;
    else if (!strcmp(k, "--warmup")) C.warmup = atol(v);
    else if (!strcmp(k, "--host")) C.host = v;
    else if (!strcmp(k, "--port")) C.port = atoi(v);
    else if (!strcmp(k, "--vhost")) C.vhost = v;
    else if (!strcmp(k, "--user")) C.user = v;
    else if (!strcmp(k, "--pass")) C.pass = v;
    else usage();
  }
  if (C.n <= 0 || C.size <= 0) usage();
  if (!strcmp(C.mode, "pubsub")) return run_pubsub();
  if (!strcmp(C.mode, "rtt")) return run_rtt();
  usage();
  return 1;
}
