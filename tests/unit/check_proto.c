/*
 * Protocol names, the pbuf primitives, every payload's encode/decode pair
 * and the send helpers over a real socketpair.
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "chanpair.h"
#include "imsg.h"
#include "proto.h"
#include "suites.h"

/* Bigger than any payload so encoders never run out by accident. */
#define BUFSZ	(IMSG_MAX_PAYLOAD + 64)

static uint8_t	buf[BUFSZ];

/* A string of n 'x' characters, ended by a NUL. */
static char *
long_string(size_t n)
{
	char	*s;

	ck_assert_ptr_nonnull(s = malloc(n + 1));
	memset(s, 'x', n);
	s[n] = '\0';
	return s;
}

START_TEST(test_proc_names)
{
	static const char *const names[PROC_MAX] = {
		"supervisor", "elector", "writer", "reader", "bridge", "admin"
	};
	int	k;

	for (k = 0; k < PROC_MAX; k++) {
		ck_assert_str_eq(proc_name(k), names[k]);
		ck_assert_int_eq(proc_lookup(names[k]), k);
	}
	ck_assert_int_eq(proc_lookup(proc_name(PROC_BRIDGE)), PROC_BRIDGE);
	ck_assert_int_eq(proc_lookup("nobody"), -1);
	ck_assert_int_eq(proc_lookup(""), -1);
	ck_assert_int_eq(proc_lookup("Writer"), -1);
	ck_assert_int_eq(proc_lookup(NULL), -1);
	ck_assert_str_eq(proc_name(-1), "unknown");
	ck_assert_str_eq(proc_name(PROC_MAX), "unknown");
	ck_assert(PROC_IS_PROXY(PROC_WRITER) && PROC_IS_PROXY(PROC_READER) &&
	    PROC_IS_PROXY(PROC_BRIDGE));
	ck_assert(!PROC_IS_PROXY(PROC_SUPERVISOR) &&
	    !PROC_IS_PROXY(PROC_ELECTOR) && !PROC_IS_PROXY(PROC_ADMIN));
}
END_TEST

START_TEST(test_msg_names)
{
	ck_assert_str_eq(msg_name(MSG_HELLO), "hello");
	ck_assert_str_eq(msg_name(MSG_READY), "ready");
	ck_assert_str_eq(msg_name(MSG_CONFIG_ACK), "config_ack");
	ck_assert_str_eq(msg_name(MSG_STOP_REFUSED), "stop_refused");
	ck_assert_str_eq(msg_name(MSG_CONFIG), "config");
	ck_assert_str_eq(msg_name(MSG_LISTENER), "listener");
	ck_assert_str_eq(msg_name(MSG_START), "start");
	ck_assert_str_eq(msg_name(MSG_SHUTDOWN), "shutdown");
	ck_assert_str_eq(msg_name(MSG_LOG_LEVEL), "log_level");
	ck_assert_str_eq(msg_name(MSG_PING), "ping");
	ck_assert_str_eq(msg_name(MSG_SESSION), "session");
	ck_assert_str_eq(msg_name(MSG_ROLE), "role");
	ck_assert_str_eq(msg_name(MSG_STATS), "stats");
	ck_assert_str_eq(msg_name(MSG_INTENTIONS), "intentions");
	ck_assert_str_eq(msg_name(MSG_CTL_PROGRESS), "ctl_progress");
	ck_assert_str_eq(msg_name(MSG_LEASE), "lease");
	ck_assert_str_eq(msg_name(MSG_WRITER_QUIET), "writer_quiet");
	ck_assert_str_eq(msg_name(0), "unknown");
	ck_assert_str_eq(msg_name(MSG_STOP_REFUSED + 1), "unknown");
	ck_assert_str_eq(msg_name(MSG_CONSUL_FILE), "consul_file");
	ck_assert_str_eq(msg_name(MSG_CONSUL_FILE + 1), "unknown");
	ck_assert_str_eq(msg_name(MSG_WRITER_QUIET + 1), "unknown");
	ck_assert_str_eq(msg_name(UINT32_MAX), "unknown");
}
END_TEST

START_TEST(test_pbuf_roundtrip)
{
	struct pbuf_w	 w;
	struct pbuf_r	 r;
	uint8_t		 b[64];
	uint32_t	 u32;
	uint64_t	 u64;
	char		*s;

	pbuf_w_init(&w, b, sizeof(b));
	pbuf_put_u32(&w, 0xdeadbeef);
	pbuf_put_u64(&w, 0x0123456789abcdefULL);
	pbuf_put_str(&w, "abc");
	pbuf_put_str(&w, NULL);
	ck_assert_int_eq(w.err, 0);
	ck_assert_uint_eq(w.len, 4 + 8 + 4 + 3 + 4);

	/* Host order, laid out as memcpy would. */
	u32 = 0xdeadbeef;
	ck_assert_mem_eq(b, &u32, sizeof(u32));
	u64 = 0x0123456789abcdefULL;
	ck_assert_mem_eq(b + 4, &u64, sizeof(u64));

	pbuf_r_init(&r, b, w.len);
	ck_assert_uint_eq(pbuf_get_u32(&r), 0xdeadbeef);
	ck_assert_int_ne(pbuf_r_done(&r), 0);
	ck_assert(pbuf_get_u64(&r) == 0x0123456789abcdefULL);
	ck_assert_ptr_nonnull(s = pbuf_get_str(&r));
	ck_assert_str_eq(s, "abc");
	free(s);
	ck_assert_ptr_nonnull(s = pbuf_get_str(&r));
	ck_assert_str_eq(s, "");
	free(s);
	ck_assert_int_eq(pbuf_r_done(&r), 0);
}
END_TEST

START_TEST(test_pbuf_overflow)
{
	struct pbuf_w	w;
	uint8_t		b[8];

	pbuf_w_init(&w, b, sizeof(b));
	pbuf_put_u64(&w, 1);
	ck_assert_int_eq(w.err, 0);
	pbuf_put_u32(&w, 1);
	ck_assert_int_ne(w.err, 0);

	pbuf_w_init(&w, b, sizeof(b));
	pbuf_put_str(&w, "12345");
	ck_assert_int_ne(w.err, 0);

	/* Once failed, a writer accepts nothing more, even what would fit. */
	pbuf_w_init(&w, b, 3);
	pbuf_put_u32(&w, 1);
	ck_assert_int_ne(w.err, 0);
	pbuf_put_str(&w, NULL);
	ck_assert_int_ne(w.err, 0);
	ck_assert_uint_eq(w.len, 0);

	pbuf_w_init(&w, NULL, 0);
	pbuf_put_u32(&w, 1);
	ck_assert_int_ne(w.err, 0);
}
END_TEST

START_TEST(test_pbuf_reader_errors)
{
	struct pbuf_r	r;
	uint8_t		b[16];
	uint32_t	n;

	/* Short data. */
	memset(b, 0, sizeof(b));
	pbuf_r_init(&r, b, 3);
	ck_assert_uint_eq(pbuf_get_u32(&r), 0);
	ck_assert_int_ne(r.err, 0);
	ck_assert_int_eq(pbuf_r_done(&r), -1);

	pbuf_r_init(&r, b, 7);
	ck_assert(pbuf_get_u64(&r) == 0);
	ck_assert_int_eq(pbuf_r_done(&r), -1);

	/* A string holding a NUL. */
	n = 3;
	memcpy(b, &n, sizeof(n));
	memcpy(b + 4, "a\0b", 3);
	pbuf_r_init(&r, b, 7);
	ck_assert_ptr_null(pbuf_get_str(&r));
	ck_assert_int_eq(pbuf_r_done(&r), -1);

	/* A declared length one beyond the buffer, and a huge one. */
	memcpy(b + 4, "abc", 3);
	pbuf_r_init(&r, b, 6);
	ck_assert_ptr_null(pbuf_get_str(&r));
	ck_assert_int_eq(pbuf_r_done(&r), -1);
	n = UINT32_MAX;
	memcpy(b, &n, sizeof(n));
	pbuf_r_init(&r, b, sizeof(b));
	ck_assert_ptr_null(pbuf_get_str(&r));
	ck_assert_int_eq(pbuf_r_done(&r), -1);

	/* Errors stick: later reads fail even on good data. */
	n = 0;
	memcpy(b, &n, sizeof(n));
	pbuf_r_init(&r, b, sizeof(b));
	r.err = 1;
	ck_assert_ptr_null(pbuf_get_str(&r));
	ck_assert_uint_eq(pbuf_get_u32(&r), 0);
	ck_assert_uint_eq(r.off, 0);
	ck_assert_int_eq(pbuf_r_done(&r), -1);
}
END_TEST

START_TEST(test_hello_roundtrip)
{
	struct msg_hello	in = { PROTO_VERSION, PROC_READER }, out;
	int			len;

	ck_assert_int_eq(len = msg_hello_encode(&in, buf, sizeof(buf)), 8);
	ck_assert_int_eq(msg_hello_decode(&out, buf, len), 0);
	ck_assert_uint_eq(out.version, PROTO_VERSION);
	ck_assert_uint_eq(out.kind, PROC_READER);
}
END_TEST

static const size_t str_sizes[] = { 0, 1, 200, 60000 };

START_TEST(test_config_roundtrip)
{
	struct msg_config	 in, out;
	char			*s = long_string(str_sizes[_i]);
	int			 len;

	in.generation = 0xfffffffe;
	in.text = s;
	ck_assert_int_gt(len = msg_config_encode(&in, buf, sizeof(buf)), 0);
	ck_assert_int_eq(len, 4 + 4 + (int)str_sizes[_i]);
	ck_assert_int_eq(msg_config_decode(&out, buf, len), 0);
	ck_assert_uint_eq(out.generation, 0xfffffffe);
	ck_assert_str_eq(out.text, s);
	msg_config_clear(&out);
	ck_assert_ptr_null(out.text);
	free(s);
}
END_TEST

START_TEST(test_config_null_text)
{
	struct msg_config	in = { 3, NULL }, out;
	int			len;

	ck_assert_int_gt(len = msg_config_encode(&in, buf, sizeof(buf)), 0);
	ck_assert_int_eq(msg_config_decode(&out, buf, len), 0);
	ck_assert_str_eq(out.text, "");
	msg_config_clear(&out);
}
END_TEST

START_TEST(test_config_ack_roundtrip)
{
	struct msg_config_ack	 in, out;
	char			*s = long_string(str_sizes[_i]);
	int			 len;

	in.generation = 12;
	in.ok = str_sizes[_i] == 0;
	in.error = s;
	ck_assert_int_gt(len = msg_config_ack_encode(&in, buf, sizeof(buf)),
	    0);
	ck_assert_int_eq(msg_config_ack_decode(&out, buf, len), 0);
	ck_assert_uint_eq(out.generation, 12);
	ck_assert_uint_eq(out.ok, in.ok);
	ck_assert_str_eq(out.error, s);
	msg_config_ack_clear(&out);
	ck_assert_ptr_null(out.error);
	free(s);
}
END_TEST

START_TEST(test_listener_roundtrip)
{
	struct msg_listener	 in, out;
	char			*s = long_string(str_sizes[_i]);
	int			 len;

	in.addr = str_sizes[_i] == 1 ? "::1" : s;
	in.port = 9851;
	ck_assert_int_gt(len = msg_listener_encode(&in, buf, sizeof(buf)), 0);
	ck_assert_int_eq(msg_listener_decode(&out, buf, len), 0);
	ck_assert_str_eq(out.addr, in.addr);
	ck_assert_uint_eq(out.port, 9851);
	msg_listener_clear(&out);
	ck_assert_ptr_null(out.addr);
	free(s);
}
END_TEST

START_TEST(test_session_roundtrip)
{
	struct msg_session	 in, out;
	char			*s = long_string(str_sizes[_i]);
	int			 len;

	in.id = s;
	ck_assert_int_gt(len = msg_session_encode(&in, buf, sizeof(buf)), 0);
	ck_assert_int_eq(msg_session_decode(&out, buf, len), 0);
	ck_assert_str_eq(out.id, s);
	msg_session_clear(&out);
	ck_assert_ptr_null(out.id);
	free(s);
}
END_TEST

START_TEST(test_role_roundtrip)
{
	struct msg_role	 in, out;
	char		*s = long_string(str_sizes[_i]);
	int		 len;

	in.role = ROLE_FOLLOWER;
	in.epoch = UINT64_MAX - 1;
	in.leader_id = s;
	ck_assert_int_gt(len = msg_role_encode(&in, buf, sizeof(buf)), 0);
	ck_assert_int_eq(len, 4 + 8 + 4 + (int)str_sizes[_i]);
	ck_assert_int_eq(msg_role_decode(&out, buf, len), 0);
	ck_assert_uint_eq(out.role, ROLE_FOLLOWER);
	ck_assert(out.epoch == UINT64_MAX - 1);
	ck_assert_str_eq(out.leader_id, s);
	msg_role_clear(&out);
	ck_assert_ptr_null(out.leader_id);
	free(s);
}
END_TEST

START_TEST(test_lease_roundtrip)
{
	struct msg_lease	in = { UINT64_MAX - 7 }, out;
	int			len;

	ck_assert_int_eq(len = msg_lease_encode(&in, buf, sizeof(buf)), 8);
	ck_assert_int_eq(msg_lease_decode(&out, buf, len), 0);
	ck_assert(out.expires == UINT64_MAX - 7);
	/* A byte short or one too many is refused, and leaves nothing. */
	ck_assert_int_eq(msg_lease_decode(&out, buf, len - 1), -1);
	ck_assert(out.expires == 0);
	ck_assert_int_eq(msg_lease_decode(&out, buf, len + 1), -1);
	ck_assert_int_eq(msg_lease_encode(&in, buf, 7), -1);
}
END_TEST

START_TEST(test_ping_roundtrip)
{
	struct msg_ping	in = { UINT32_MAX - 3 }, out;
	int		len;

	ck_assert_int_eq(len = msg_ping_encode(&in, buf, sizeof(buf)), 4);
	ck_assert_int_eq(msg_ping_decode(&out, buf, len), 0);
	ck_assert_uint_eq(out.seq, UINT32_MAX - 3);
	ck_assert_int_eq(msg_ping_decode(&out, buf, len - 1), -1);
	ck_assert_uint_eq(out.seq, 0);
	ck_assert_int_eq(msg_ping_decode(&out, buf, len + 1), -1);
	ck_assert_int_eq(msg_ping_decode(&out, buf, 0), -1);
	ck_assert_int_eq(msg_ping_encode(&in, buf, 3), -1);
}
END_TEST

/*
 * Every payload, encoded from sample values, so the rejection tests can
 * run over all of them.  decode returns 0/-1 and clears what it decoded.
 */
enum { P_HELLO, P_CONFIG, P_ACK, P_LISTENER, P_SESSION, P_ROLE, P_MAX };

static int
sample_encode(int which, void *b, size_t cap)
{
	struct msg_hello	h = { PROTO_VERSION, PROC_ELECTOR };
	struct msg_config	c = { 7, "listen 127.0.0.1:9851\n" };
	struct msg_config_ack	a = { 7, 0, "bad key" };
	struct msg_listener	l = { "127.0.0.1", 9851 };
	struct msg_session	s = { "0b5e2f6a-1111-2222-3333-444455556666" };
	struct msg_role		r = { ROLE_LEADER, 42, "node-a" };

	switch (which) {
	case P_HELLO:
		return msg_hello_encode(&h, b, cap);
	case P_CONFIG:
		return msg_config_encode(&c, b, cap);
	case P_ACK:
		return msg_config_ack_encode(&a, b, cap);
	case P_LISTENER:
		return msg_listener_encode(&l, b, cap);
	case P_SESSION:
		return msg_session_encode(&s, b, cap);
	case P_ROLE:
		return msg_role_encode(&r, b, cap);
	}
	ck_abort_msg("no sample %d", which);
	return -1;
}

/*
 * Decode and, on success, release.  On failure the struct must hold no
 * allocation (ASan's leak check sees any that was kept).
 */
static int
sample_decode(int which, const void *b, size_t len)
{
	struct msg_hello	h;
	struct msg_config	c;
	struct msg_config_ack	a;
	struct msg_listener	l;
	struct msg_session	s;
	struct msg_role		r;
	int			rv = -1;

	switch (which) {
	case P_HELLO:
		rv = msg_hello_decode(&h, b, len);
		break;
	case P_CONFIG:
		if ((rv = msg_config_decode(&c, b, len)) == -1)
			ck_assert_ptr_null(c.text);
		else
			msg_config_clear(&c);
		break;
	case P_ACK:
		if ((rv = msg_config_ack_decode(&a, b, len)) == -1)
			ck_assert_ptr_null(a.error);
		else
			msg_config_ack_clear(&a);
		break;
	case P_LISTENER:
		if ((rv = msg_listener_decode(&l, b, len)) == -1)
			ck_assert_ptr_null(l.addr);
		else
			msg_listener_clear(&l);
		break;
	case P_SESSION:
		if ((rv = msg_session_decode(&s, b, len)) == -1)
			ck_assert_ptr_null(s.id);
		else
			msg_session_clear(&s);
		break;
	case P_ROLE:
		if ((rv = msg_role_decode(&r, b, len)) == -1)
			ck_assert_ptr_null(r.leader_id);
		else
			msg_role_clear(&r);
		break;
	default:
		ck_abort_msg("no sample %d", which);
	}
	return rv;
}

START_TEST(test_reject_truncated)
{
	size_t	cut;
	int	len;

	ck_assert_int_gt(len = sample_encode(_i, buf, sizeof(buf)), 0);
	ck_assert_int_eq(sample_decode(_i, buf, len), 0);
	for (cut = 0; cut < (size_t)len; cut++) {
		errno = 0;
		ck_assert_int_eq(sample_decode(_i, buf, cut), -1);
		ck_assert_int_eq(errno, EBADMSG);
	}
}
END_TEST

START_TEST(test_reject_trailing)
{
	int	len;

	ck_assert_int_gt(len = sample_encode(_i, buf, sizeof(buf)), 0);
	buf[len] = 0;
	ck_assert_int_eq(sample_decode(_i, buf, len + 1), -1);
}
END_TEST

START_TEST(test_encode_too_small)
{
	size_t	cap;
	int	len;

	ck_assert_int_gt(len = sample_encode(_i, buf, sizeof(buf)), 0);
	for (cap = 0; cap < (size_t)len; cap++) {
		errno = 0;
		ck_assert_int_eq(sample_encode(_i, buf, cap), -1);
		ck_assert_int_eq(errno, EMSGSIZE);
	}
	ck_assert_int_eq(sample_encode(_i, buf, len), len);
}
END_TEST

/* A NUL written over a string's bytes, at the start and at the end. */
START_TEST(test_reject_embedded_nul)
{
	struct msg_config	in = { 1, "abcdef" }, out;
	struct msg_role		rin = { ROLE_LEADER, 5, "node" }, rout;
	int			len;

	ck_assert_int_gt(len = msg_config_encode(&in, buf, sizeof(buf)), 0);
	buf[4 + 4 + 2] = '\0';
	ck_assert_int_eq(msg_config_decode(&out, buf, len), -1);
	ck_assert_ptr_null(out.text);

	ck_assert_int_gt(len = msg_role_encode(&rin, buf, sizeof(buf)), 0);
	buf[len - 1] = '\0';
	ck_assert_int_eq(msg_role_decode(&rout, buf, len), -1);
	ck_assert_ptr_null(rout.leader_id);
}
END_TEST

START_TEST(test_reject_huge_length)
{
	struct msg_session	in = { "abc" }, out;
	struct msg_listener	lin = { "10.0.0.1", 0x41424344 }, lout;
	uint32_t		n;
	int			len;

	ck_assert_int_gt(len = msg_session_encode(&in, buf, sizeof(buf)), 0);
	n = UINT32_MAX;
	memcpy(buf, &n, sizeof(n));
	ck_assert_int_eq(msg_session_decode(&out, buf, len), -1);
	n = 4;
	memcpy(buf, &n, sizeof(n));
	ck_assert_int_eq(msg_session_decode(&out, buf, len), -1);

	/*
	 * The string swallows the port's (non-NUL) bytes and decodes; the
	 * port read then fails, and the string must not leak.
	 */
	ck_assert_int_gt(len = msg_listener_encode(&lin, buf, sizeof(buf)), 0);
	n = 8 + 4;
	memcpy(buf, &n, sizeof(n));
	ck_assert_int_eq(msg_listener_decode(&lout, buf, len), -1);
	ck_assert_ptr_null(lout.addr);
}
END_TEST

START_TEST(test_reject_string_too_big_for_message)
{
	struct msg_config	 in;
	char			*s = long_string(IMSG_MAX_PAYLOAD);
	uint8_t			*b;

	/* One string that alone fills the payload leaves no room for more. */
	ck_assert_ptr_nonnull(b = malloc(IMSG_MAX_PAYLOAD));
	in.generation = 1;
	in.text = s;
	ck_assert_int_eq(msg_config_encode(&in, b, IMSG_MAX_PAYLOAD), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	free(b);
	free(s);
}
END_TEST

START_TEST(test_send_empty_and_hello)
{
	struct pair		p;
	struct imsg		m;
	struct msg_hello	h;

	pair_open(&p);
	ck_assert_int_eq(proto_send_empty(p.a, MSG_READY), 0);
	ck_assert_int_eq(proto_send_hello(p.a, PROC_BRIDGE), 0);

	pair_recv(&p, &m);
	ck_assert_uint_eq(m.hdr.type, MSG_READY);
	ck_assert_uint_eq(m.datalen, 0);
	ck_assert_int_eq(m.fd, -1);
	imsg_free(&m);

	pair_recv(&p, &m);
	ck_assert_uint_eq(m.hdr.type, MSG_HELLO);
	ck_assert_uint_eq(m.hdr.pid, (uint32_t)getpid());
	ck_assert_int_eq(msg_hello_decode(&h, m.data, m.datalen), 0);
	ck_assert_uint_eq(h.version, PROTO_VERSION);
	ck_assert_uint_eq(h.kind, PROC_BRIDGE);
	imsg_free(&m);
	pair_close(&p);
}
END_TEST

START_TEST(test_send_config)
{
	struct pair		 p;
	struct imsg		 m;
	struct msg_config	 c;
	char			*big = long_string(MSG_CONFIG_TEXT_MAX);

	pair_open(&p);
	ck_assert_int_eq(proto_send_config(p.a, 9, "a b\nc d\n"), 0);
	/* The largest text that fits: payload minus generation and length. */
	ck_assert_int_eq(proto_send_config(p.a, 10, big), 0);
	ck_assert_int_eq(proto_send_config(p.a, 11, ""), 0);

	pair_recv(&p, &m);
	ck_assert_uint_eq(m.hdr.type, MSG_CONFIG);
	ck_assert_int_eq(msg_config_decode(&c, m.data, m.datalen), 0);
	ck_assert_uint_eq(c.generation, 9);
	ck_assert_str_eq(c.text, "a b\nc d\n");
	msg_config_clear(&c);
	imsg_free(&m);

	pair_recv(&p, &m);
	ck_assert_uint_eq(m.datalen, IMSG_MAX_PAYLOAD);
	ck_assert_int_eq(msg_config_decode(&c, m.data, m.datalen), 0);
	ck_assert_uint_eq(c.generation, 10);
	ck_assert_str_eq(c.text, big);
	msg_config_clear(&c);
	imsg_free(&m);

	pair_recv(&p, &m);
	ck_assert_int_eq(msg_config_decode(&c, m.data, m.datalen), 0);
	ck_assert_uint_eq(c.generation, 11);
	ck_assert_str_eq(c.text, "");
	msg_config_clear(&c);
	imsg_free(&m);

	pair_close(&p);
	free(big);
}
END_TEST

START_TEST(test_send_config_too_big)
{
	struct pair	 p;
	char		*big = long_string(MSG_CONFIG_TEXT_MAX + 1);

	pair_open(&p);
	errno = 0;
	ck_assert_int_eq(proto_send_config(p.a, 1, big), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	ck_assert_uint_eq(ichan_queued(p.a), 0);
	pair_close(&p);
	free(big);
}
END_TEST

START_TEST(test_send_config_ack)
{
	struct pair		p;
	struct imsg		m;
	struct msg_config_ack	a;

	pair_open(&p);
	ck_assert_int_eq(proto_send_config_ack(p.a, 4, 1, NULL), 0);
	ck_assert_int_eq(proto_send_config_ack(p.a, 5, 0,
	    "line 3: unknown key"), 0);

	pair_recv(&p, &m);
	ck_assert_uint_eq(m.hdr.type, MSG_CONFIG_ACK);
	ck_assert_int_eq(msg_config_ack_decode(&a, m.data, m.datalen), 0);
	ck_assert_uint_eq(a.generation, 4);
	ck_assert_uint_eq(a.ok, 1);
	ck_assert_str_eq(a.error, "");
	msg_config_ack_clear(&a);
	imsg_free(&m);

	pair_recv(&p, &m);
	ck_assert_int_eq(msg_config_ack_decode(&a, m.data, m.datalen), 0);
	ck_assert_uint_eq(a.generation, 5);
	ck_assert_uint_eq(a.ok, 0);
	ck_assert_str_eq(a.error, "line 3: unknown key");
	msg_config_ack_clear(&a);
	imsg_free(&m);
	pair_close(&p);
}
END_TEST

START_TEST(test_send_listener)
{
	struct pair		p;
	struct imsg		m;
	struct msg_listener	l;
	char			c;
	int			pfd[2];

	ck_assert_int_eq(pipe(pfd), 0);
	pair_open(&p);
	ck_assert_int_eq(proto_send_listener(p.a, PROC_BRIDGE, pfd[0],
	    "127.0.0.1", 9851), 0);
	ck_assert_int_eq(ichan_flush(p.a), 0);
	/* Sent, so the sender's copy is gone. */
	ck_assert_int_eq(fcntl(pfd[0], F_GETFD), -1);

	pair_recv(&p, &m);
	ck_assert_uint_eq(m.hdr.type, MSG_LISTENER);
	ck_assert_uint_eq(m.hdr.flags, IMSGF_HASFD);
	ck_assert_uint_eq(m.hdr.peerid, PROC_BRIDGE);
	ck_assert_int_ge(m.fd, 0);
	ck_assert_int_eq(msg_listener_decode(&l, m.data, m.datalen), 0);
	ck_assert_str_eq(l.addr, "127.0.0.1");
	ck_assert_uint_eq(l.port, 9851);
	msg_listener_clear(&l);

	ck_assert_int_eq(write(pfd[1], "z", 1), 1);
	ck_assert_int_eq(read(m.fd, &c, 1), 1);
	ck_assert_int_eq(c, 'z');
	imsg_free(&m);
	close(pfd[1]);
	pair_close(&p);
}
END_TEST

START_TEST(test_send_listener_too_big)
{
	struct pair	 p;
	char		*big = long_string(IMSG_MAX_PAYLOAD);
	int		 pfd[2];

	ck_assert_int_eq(pipe(pfd), 0);
	pair_open(&p);
	errno = 0;
	ck_assert_int_eq(proto_send_listener(p.a, PROC_WRITER, pfd[0], big, 1), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	/* The fd was handed over and is closed on failure, as compose does. */
	ck_assert_int_eq(fcntl(pfd[0], F_GETFD), -1);
	ck_assert_uint_eq(ichan_queued(p.a), 0);
	close(pfd[1]);
	pair_close(&p);
	free(big);
}
END_TEST

Suite *
proto_suite(void)
{
	Suite	*s;
	TCase	*tc;
	int	 nstr = sizeof(str_sizes) / sizeof(str_sizes[0]);

	s = suite_create("proto");

	tc = tcase_create("names");
	tcase_add_test(tc, test_proc_names);
	tcase_add_test(tc, test_msg_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("pbuf");
	tcase_add_test(tc, test_pbuf_roundtrip);
	tcase_add_test(tc, test_pbuf_overflow);
	tcase_add_test(tc, test_pbuf_reader_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("payloads");
	tcase_add_test(tc, test_hello_roundtrip);
	tcase_add_loop_test(tc, test_config_roundtrip, 0, nstr);
	tcase_add_test(tc, test_config_null_text);
	tcase_add_loop_test(tc, test_config_ack_roundtrip, 0, nstr);
	tcase_add_loop_test(tc, test_listener_roundtrip, 0, nstr);
	tcase_add_loop_test(tc, test_session_roundtrip, 0, nstr);
	tcase_add_loop_test(tc, test_role_roundtrip, 0, nstr);
	tcase_add_test(tc, test_lease_roundtrip);
	tcase_add_test(tc, test_ping_roundtrip);
	suite_add_tcase(s, tc);

	tc = tcase_create("reject");
	tcase_add_loop_test(tc, test_reject_truncated, 0, P_MAX);
	tcase_add_loop_test(tc, test_reject_trailing, 0, P_MAX);
	tcase_add_loop_test(tc, test_encode_too_small, 0, P_MAX);
	tcase_add_test(tc, test_reject_embedded_nul);
	tcase_add_test(tc, test_reject_huge_length);
	tcase_add_test(tc, test_reject_string_too_big_for_message);
	suite_add_tcase(s, tc);

	tc = tcase_create("send");
	tcase_add_test(tc, test_send_empty_and_hello);
	tcase_add_test(tc, test_send_config);
	tcase_add_test(tc, test_send_config_too_big);
	tcase_add_test(tc, test_send_config_ack);
	tcase_add_test(tc, test_send_listener);
	tcase_add_test(tc, test_send_listener_too_big);
	suite_add_tcase(s, tc);

	return s;
}
