/*
 * imsg framing over real socketpairs: round trips, partial and batched
 * delivery, corrupt streams (descriptors no message claims among them),
 * descriptor passing and back-pressure.
 */
#include <sys/socket.h>
#include <sys/stat.h>

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
#include "suites.h"

/* Highest fd number scanned when looking for leaks or new fds. */
#define FD_SCAN_MAX	1024

static int
fd_is_open(int fd)
{
	return fcntl(fd, F_GETFD) != -1;
}

static void
fill_pattern(uint8_t *buf, size_t len, unsigned seed)
{
	size_t	i;

	for (i = 0; i < len; i++)
		buf[i] = (uint8_t)(seed * 31 + i * 7);
}

static const size_t roundtrip_sizes[] = { 0, 1, 1000, IMSG_MAX_PAYLOAD };

START_TEST(test_roundtrip_sizes)
{
	struct pair	 p;
	struct imsg	 m, next;
	size_t		 len = roundtrip_sizes[_i];
	uint8_t		*buf;

	ck_assert_ptr_nonnull(buf = malloc(len + 1));
	fill_pattern(buf, len, (unsigned)len);
	pair_open(&p);
	ck_assert_int_eq(ichan_compose(p.a, 4242, 77, -1, buf, len), 0);
	ck_assert_uint_eq(ichan_queued(p.a), IMSG_HEADER_SIZE + len);
	pair_recv(&p, &m);

	ck_assert_uint_eq(m.hdr.type, 4242);
	ck_assert_uint_eq(m.hdr.peerid, 77);
	ck_assert_uint_eq(m.hdr.pid, (uint32_t)getpid());
	ck_assert_uint_eq(m.hdr.flags, 0);
	ck_assert_uint_eq(m.hdr.len, IMSG_HEADER_SIZE + len);
	ck_assert_uint_eq(m.datalen, len);
	ck_assert_int_eq(m.fd, -1);
	if (len == 0)
		ck_assert_ptr_null(m.data);
	else
		ck_assert_mem_eq(m.data, buf, len);
	ck_assert_uint_eq(ichan_queued(p.a), 0);
	ck_assert_int_eq(ichan_get(p.b, &next), 0);

	imsg_free(&m);
	pair_close(&p);
	free(buf);
}
END_TEST

START_TEST(test_compose_oversize)
{
	struct pair	 p;
	uint8_t		*buf;
	int		 pfd[2];

	ck_assert_ptr_nonnull(buf = calloc(1, IMSG_MAX_PAYLOAD + 1));
	ck_assert_int_eq(pipe(pfd), 0);
	pair_open(&p);
	errno = 0;
	ck_assert_int_eq(ichan_compose(p.a, 1, 0, pfd[0], buf,
	    IMSG_MAX_PAYLOAD + 1), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	ck_assert(!fd_is_open(pfd[0]));
	ck_assert_uint_eq(ichan_queued(p.a), 0);
	close(pfd[1]);
	pair_close(&p);
	free(buf);
}
END_TEST

/* The bytes a composed message puts on the wire, read as a plain stream. */
static size_t
wire_bytes(uint32_t type, const void *data, size_t len, uint8_t *out,
    size_t cap)
{
	struct ichan	*c;
	int		 sv[2];
	ssize_t		 n;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_ptr_nonnull(c = ichan_new(sv[0]));
	ck_assert_int_eq(ichan_compose(c, type, 5, -1, data, len), 0);
	ck_assert_int_eq(ichan_flush(c), 0);
	n = read(sv[1], out, cap);
	ck_assert_int_eq(n, (ssize_t)(IMSG_HEADER_SIZE + len));
	ichan_free(c);
	close(sv[1]);
	return (size_t)n;
}

START_TEST(test_byte_at_a_time)
{
	struct ichan	*b;
	struct imsg	 m;
	uint8_t		 payload[100], wire[256];
	size_t		 i, n;
	int		 sv[2];

	fill_pattern(payload, sizeof(payload), 3);
	n = wire_bytes(9, payload, sizeof(payload), wire, sizeof(wire));

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_ptr_nonnull(b = ichan_new(sv[1]));
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(write(sv[0], wire + i, 1), 1);
		ck_assert_int_eq(ichan_read(b), 1);
		if (i + 1 < n)
			ck_assert_int_eq(ichan_get(b, &m), 0);
	}
	ck_assert_int_eq(ichan_get(b, &m), 1);
	ck_assert_uint_eq(m.hdr.type, 9);
	ck_assert_uint_eq(m.hdr.peerid, 5);
	ck_assert_uint_eq(m.datalen, sizeof(payload));
	ck_assert_mem_eq(m.data, payload, sizeof(payload));
	imsg_free(&m);
	ck_assert_int_eq(ichan_get(b, &m), 0);
	ichan_free(b);
	close(sv[0]);
}
END_TEST

START_TEST(test_many_in_one_read)
{
	struct pair	p;
	struct imsg	m;
	uint32_t	i, v;
	const uint32_t	count = 50;

	pair_open(&p);
	for (i = 0; i < count; i++)
		ck_assert_int_eq(ichan_compose(p.a, 300 + i, i, -1, &i,
		    sizeof(i)), 0);
	ck_assert_int_eq(ichan_flush(p.a), 0);
	ck_assert_int_eq(ichan_read(p.b),
	    (ssize_t)(count * (IMSG_HEADER_SIZE + sizeof(i))));
	for (i = 0; i < count; i++) {
		ck_assert_int_eq(ichan_get(p.b, &m), 1);
		ck_assert_uint_eq(m.hdr.type, 300 + i);
		ck_assert_uint_eq(m.hdr.peerid, i);
		ck_assert_uint_eq(m.datalen, sizeof(v));
		memcpy(&v, m.data, sizeof(v));
		ck_assert_uint_eq(v, i);
		imsg_free(&m);
	}
	ck_assert_int_eq(ichan_get(p.b, &m), 0);
	errno = 0;
	ck_assert_int_eq(ichan_read(p.b), -1);
	ck_assert_int_eq(errno, EAGAIN);
	pair_close(&p);
}
END_TEST

/* Write a hand-made header to a raw socket and read it through b. */
static struct ichan *
raw_header(uint16_t len, uint16_t flags, int *peer)
{
	struct imsg_hdr	 hdr;
	struct ichan	*b;
	int		 sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_ptr_nonnull(b = ichan_new(sv[1]));
	memset(&hdr, 0, sizeof(hdr));
	hdr.type = 1;
	hdr.len = len;
	hdr.flags = flags;
	ck_assert_int_eq(write(sv[0], &hdr, sizeof(hdr)), sizeof(hdr));
	ck_assert_int_eq(ichan_read(b), sizeof(hdr));
	*peer = sv[0];
	return b;
}

START_TEST(test_short_len_corrupt)
{
	struct ichan	*b;
	struct imsg	 m;
	int		 peer;

	b = raw_header(3, 0, &peer);
	errno = 0;
	ck_assert_int_eq(ichan_get(b, &m), -1);
	ck_assert_int_eq(errno, EBADMSG);
	/* A corrupt stream stays corrupt. */
	ck_assert_int_eq(ichan_get(b, &m), -1);
	ichan_free(b);
	close(peer);
}
END_TEST

START_TEST(test_hasfd_without_fd)
{
	struct ichan	*b;
	struct imsg	 m;
	int		 peer;

	b = raw_header(IMSG_HEADER_SIZE, IMSGF_HASFD, &peer);
	errno = 0;
	ck_assert_int_eq(ichan_get(b, &m), -1);
	ck_assert_int_eq(errno, EBADMSG);
	ichan_free(b);
	close(peer);
}
END_TEST

START_TEST(test_fd_passing)
{
	struct pair	p;
	struct imsg	m;
	char		buf[16];
	int		pfd[2];

	ck_assert_int_eq(pipe(pfd), 0);
	pair_open(&p);
	ck_assert_int_eq(ichan_compose(p.a, 201, 0, pfd[0], "x", 1), 0);
	ck_assert_int_eq(ichan_flush(p.a), 0);
	/* Checked before reading, which may reuse the number. */
	ck_assert(!fd_is_open(pfd[0]));
	pair_recv(&p, &m);

	ck_assert_uint_eq(m.hdr.flags & IMSGF_HASFD, IMSGF_HASFD);
	ck_assert_int_ge(m.fd, 0);
	ck_assert_int_eq(write(pfd[1], "hello", 5), 5);
	ck_assert_int_eq(read(m.fd, buf, sizeof(buf)), 5);
	ck_assert_mem_eq(buf, "hello", 5);
	imsg_free(&m);
	ck_assert_int_eq(m.fd, -1);
	close(pfd[1]);
	pair_close(&p);
}
END_TEST

START_TEST(test_fd_interleaved)
{
	struct pair	p;
	struct imsg	m;
	int		pipes[12][2], hasfd[12];
	uint32_t	i, v;
	char		c;
	const uint32_t	count = 12;

	pair_open(&p);
	for (i = 0; i < count; i++) {
		/* Runs of fd messages and plain ones, in both orders. */
		hasfd[i] = (i % 3) != 1 || i == 7;
		if (hasfd[i]) {
			ck_assert_int_eq(pipe(pipes[i]), 0);
			c = (char)('a' + i);
			ck_assert_int_eq(write(pipes[i][1], &c, 1), 1);
		}
		ck_assert_int_eq(ichan_compose(p.a, 500, i,
		    hasfd[i] ? pipes[i][0] : -1, &i, sizeof(i)), 0);
	}
	ck_assert_int_eq(ichan_flush(p.a), 0);

	for (i = 0; i < count; i++) {
		pair_recv(&p, &m);
		ck_assert_uint_eq(m.hdr.peerid, i);
		memcpy(&v, m.data, sizeof(v));
		ck_assert_uint_eq(v, i);
		if (hasfd[i]) {
			ck_assert_uint_eq(m.hdr.flags, IMSGF_HASFD);
			ck_assert_int_ge(m.fd, 0);
			ck_assert_int_eq(read(m.fd, &c, 1), 1);
			ck_assert_int_eq(c, 'a' + (int)i);
			close(pipes[i][1]);
		} else {
			ck_assert_uint_eq(m.hdr.flags, 0);
			ck_assert_int_eq(m.fd, -1);
		}
		imsg_free(&m);
	}
	ck_assert_int_eq(ichan_get(p.b, &m), 0);
	pair_close(&p);
}
END_TEST

/*
 * Small messages fill the socket one whole sendmsg() at a time; large ones
 * span several kernel buffers, so writes stop part-way through a message.
 */
static const size_t backpressure_sizes[] = { 1000, 40000 };

START_TEST(test_backpressure)
{
	struct pair	 p;
	struct imsg	 m;
	struct stat	 pst, st;
	size_t		 len = backpressure_sizes[_i];
	uint8_t		*buf, *want;
	uint32_t	 i, sent = 0, got = 0;
	ssize_t		 n;
	int		 pfd[2], r;

	ck_assert_ptr_nonnull(buf = malloc(len));
	ck_assert_ptr_nonnull(want = malloc(len));
	ck_assert_int_eq(pipe(pfd), 0);
	ck_assert_int_eq(fstat(pfd[0], &pst), 0);
	pair_open(&p);

	/*
	 * Queue until the socket is full; every fifth message carries a
	 * descriptor so that partial writes around fds are exercised too.
	 */
	do {
		ck_assert_uint_lt(sent, 100000);
		fill_pattern(buf, len, sent);
		ck_assert_int_eq(ichan_compose(p.a, 600, sent,
		    sent % 5 == 0 ? dup(pfd[0]) : -1, buf, len), 0);
		sent++;
	} while ((r = ichan_flush(p.a)) == 0);
	ck_assert_int_eq(r, 1);
	ck_assert_uint_gt(ichan_queued(p.a), 0);

	/* Add more while blocked: they wait behind the pending bytes. */
	for (i = 0; i < 20; i++, sent++) {
		fill_pattern(buf, len, sent);
		ck_assert_int_eq(ichan_compose(p.a, 600, sent,
		    sent % 5 == 0 ? dup(pfd[0]) : -1, buf, len), 0);
	}

	for (;;) {
		while ((n = ichan_read(p.b)) > 0) {
			while ((r = ichan_get(p.b, &m)) == 1) {
				ck_assert_uint_eq(m.hdr.peerid, got);
				ck_assert_uint_eq(m.datalen, len);
				fill_pattern(want, len, got);
				ck_assert_mem_eq(m.data, want, len);
				if (got % 5 == 0) {
					ck_assert_int_ge(m.fd, 0);
					ck_assert_int_eq(fstat(m.fd, &st), 0);
					ck_assert_uint_eq(st.st_ino,
					    pst.st_ino);
				} else
					ck_assert_int_eq(m.fd, -1);
				imsg_free(&m);
				got++;
			}
			ck_assert_int_eq(r, 0);
		}
		ck_assert_int_eq(n, -1);
		ck_assert_int_eq(errno, EAGAIN);
		if (got == sent)
			break;
		r = ichan_flush(p.a);
		ck_assert_int_ne(r, -1);
		if (r == 0)
			ck_assert_uint_eq(ichan_queued(p.a), 0);
	}
	ck_assert_int_eq(ichan_flush(p.a), 0);
	ck_assert_uint_eq(ichan_queued(p.a), 0);
	close(pfd[0]);
	close(pfd[1]);
	pair_close(&p);
	free(buf);
	free(want);
}
END_TEST

START_TEST(test_peer_closed)
{
	struct pair	p;

	pair_open(&p);
	ichan_free(p.a);
	ck_assert_int_eq(ichan_read(p.b), 0);
	ichan_free(p.b);
}
END_TEST

START_TEST(test_free_closes_unclaimed)
{
	struct pair	p;
	struct imsg	m;
	int		pfd[2], before[FD_SCAN_MAX], fresh[8];
	int		i, nfresh = 0, claimed;

	ck_assert_int_eq(pipe(pfd), 0);
	pair_open(&p);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(ichan_compose(p.a, 1, 0, dup(pfd[0]),
		    NULL, 0), 0);
	ck_assert_int_eq(ichan_flush(p.a), 0);

	/* Whatever opens during the reads is a received fd. */
	for (i = 0; i < FD_SCAN_MAX; i++)
		before[i] = fd_is_open(i);
	while (ichan_read(p.b) > 0)
		;
	for (i = 0; i < FD_SCAN_MAX; i++)
		if (!before[i] && fd_is_open(i)) {
			ck_assert_int_lt(nfresh, 8);
			fresh[nfresh++] = i;
		}
	ck_assert_int_eq(nfresh, 3);

	/* Claim one; the two left must go with the channel. */
	ck_assert_int_eq(ichan_get(p.b, &m), 1);
	claimed = m.fd;
	ck_assert_int_ge(claimed, 0);
	ichan_free(p.b);
	for (i = 0; i < nfresh; i++)
		ck_assert_int_eq(fd_is_open(fresh[i]), fresh[i] == claimed);
	imsg_free(&m);
	ck_assert(!fd_is_open(claimed));

	ichan_free(p.a);
	close(pfd[0]);
	close(pfd[1]);
}
END_TEST

START_TEST(test_free_closes_queued)
{
	struct pair	p;
	int		pfd[2];

	ck_assert_int_eq(pipe(pfd), 0);
	pair_open(&p);
	ck_assert_int_eq(ichan_compose(p.a, 1, 0, pfd[0], NULL, 0), 0);
	ck_assert(fd_is_open(pfd[0]));
	ichan_free(p.a);
	ck_assert(!fd_is_open(pfd[0]));
	ichan_free(p.b);
	close(pfd[1]);
}
END_TEST

static int
count_open_fds(void)
{
	int	i, n = 0;

	for (i = 0; i < FD_SCAN_MAX; i++)
		n += fd_is_open(i);
	return n;
}

/*
 * One sendmsg() of nmsgs empty messages, the first with flags, carrying
 * nfds duplicates of fd; the duplicates are closed again here.
 */
static void
send_raw(int sock, uint16_t flags, int nmsgs, int fd, int nfds)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * 4)];
	}		 cmsgbuf;
	struct imsg_hdr	 hdr[4];
	struct msghdr	 msg;
	struct iovec	 iov;
	struct cmsghdr	*cmsg;
	int		 fds[4], i;

	ck_assert_int_le(nmsgs, 4);
	ck_assert_int_le(nfds, 4);
	memset(hdr, 0, sizeof(hdr));
	for (i = 0; i < nmsgs; i++) {
		hdr[i].type = 1;
		hdr[i].len = IMSG_HEADER_SIZE;
	}
	hdr[0].flags = flags;
	iov.iov_base = hdr;
	iov.iov_len = nmsgs * sizeof(hdr[0]);
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (nfds > 0) {
		for (i = 0; i < nfds; i++)
			ck_assert_int_ge(fds[i] = dup(fd), 0);
		memset(&cmsgbuf, 0, sizeof(cmsgbuf));
		msg.msg_control = cmsgbuf.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * nfds);
	}
	ck_assert_int_eq(sendmsg(sock, &msg, 0), (ssize_t)iov.iov_len);
	for (i = 0; i < nfds; i++)
		close(fds[i]);
}

/*
 * A peer that sends an fd with messages that do not announce one, again
 * and again: the first such fd makes the stream corrupt and is closed,
 * so the reader never holds more fds than before.
 */
START_TEST(test_unclaimed_fd)
{
	struct ichan	*b;
	struct imsg	 m;
	ssize_t		 n;
	int		 sv[2], pfd[2], i, r, baseline, corrupt = 0;

	ck_assert_int_eq(pipe(pfd), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_ptr_nonnull(b = ichan_new(sv[1]));
	baseline = count_open_fds();

	for (i = 0; i < 500; i++) {
		send_raw(sv[0], 0, 1, pfd[0], 1);
		if ((n = ichan_read(b)) == -1) {
			ck_assert_int_eq(errno, EBADMSG);
			corrupt = 1;
			break;
		}
		ck_assert_int_eq(n, IMSG_HEADER_SIZE);
		while ((r = ichan_get(b, &m)) == 1) {
			ck_assert_int_eq(m.fd, -1);
			imsg_free(&m);
		}
		if (r == -1) {
			ck_assert_int_eq(errno, EBADMSG);
			corrupt = 1;
			break;
		}
	}
	/* Found with the first message, before another read. */
	ck_assert_int_eq(corrupt, 1);
	ck_assert_int_eq(i, 0);
	ck_assert_int_eq(count_open_fds(), baseline);
	/* It stays corrupt and takes in nothing more. */
	send_raw(sv[0], 0, 1, pfd[0], 1);
	errno = 0;
	ck_assert_int_eq(ichan_read(b), -1);
	ck_assert_int_eq(errno, EBADMSG);
	ck_assert_int_eq(ichan_get(b, &m), -1);
	ck_assert_int_eq(count_open_fds(), baseline);

	ichan_free(b);
	close(sv[0]);
	close(pfd[0]);
	close(pfd[1]);
}
END_TEST

/*
 * The fd came with the first of two messages; neither claims it.  The
 * second may still be taken (the fd could have been its own), but then
 * the stream is corrupt, also when a partial message follows.
 */
START_TEST(test_unclaimed_fd_batch)
{
	struct imsg_hdr	 half;
	struct ichan	*b;
	struct imsg	 m;
	int		 sv[2], pfd[2], baseline;

	ck_assert_int_eq(pipe(pfd), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_ptr_nonnull(b = ichan_new(sv[1]));
	baseline = count_open_fds();

	send_raw(sv[0], 0, 2, pfd[0], 1);
	memset(&half, 0, sizeof(half));
	half.len = IMSG_HEADER_SIZE + 100;
	ck_assert_int_eq(write(sv[0], &half, sizeof(half)), sizeof(half));
	while (ichan_read(b) > 0)
		;
	ck_assert_int_eq(ichan_get(b, &m), 1);
	ck_assert_int_eq(m.fd, -1);
	ck_assert_int_eq(ichan_get(b, &m), 1);
	ck_assert_int_eq(m.fd, -1);
	errno = 0;
	ck_assert_int_eq(ichan_get(b, &m), -1);
	ck_assert_int_eq(errno, EBADMSG);
	ck_assert_int_eq(count_open_fds(), baseline);

	ichan_free(b);
	close(sv[0]);
	close(pfd[0]);
	close(pfd[1]);
}
END_TEST

/* Our writer never sends two fds at once: a message carries one. */
START_TEST(test_two_fds_one_message)
{
	struct ichan	*b;
	struct imsg	 m;
	int		 sv[2], pfd[2], baseline;

	ck_assert_int_eq(pipe(pfd), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_ptr_nonnull(b = ichan_new(sv[1]));
	baseline = count_open_fds();

	send_raw(sv[0], IMSGF_HASFD, 1, pfd[0], 2);
	errno = 0;
	ck_assert_int_eq(ichan_read(b), -1);
	ck_assert_int_eq(errno, EBADMSG);
	ck_assert_int_eq(ichan_get(b, &m), -1);
	ck_assert_int_eq(count_open_fds(), baseline);

	ichan_free(b);
	close(sv[0]);
	close(pfd[0]);
	close(pfd[1]);
}
END_TEST

START_TEST(test_ctrunc_corrupt)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * 20)];
	}		 cmsgbuf;
	struct imsg_hdr	 hdr;
	struct msghdr	 msg;
	struct iovec	 iov;
	struct cmsghdr	*cmsg;
	struct ichan	*b;
	struct imsg	 m;
	int		 sv[2], pfd[2], fds[20], i, baseline;

	ck_assert_int_eq(pipe(pfd), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_ptr_nonnull(b = ichan_new(sv[1]));
	baseline = count_open_fds();

	/* More fds in one sendmsg than the reader makes room for. */
	for (i = 0; i < 20; i++)
		ck_assert_int_ge(fds[i] = dup(pfd[0]), 0);
	memset(&hdr, 0, sizeof(hdr));
	hdr.len = IMSG_HEADER_SIZE;
	hdr.flags = IMSGF_HASFD;
	iov.iov_base = &hdr;
	iov.iov_len = sizeof(hdr);
	memset(&msg, 0, sizeof(msg));
	memset(&cmsgbuf, 0, sizeof(cmsgbuf));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cmsgbuf.buf;
	msg.msg_controllen = sizeof(cmsgbuf.buf);
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(cmsg), fds, sizeof(fds));
	ck_assert_int_eq(sendmsg(sv[0], &msg, 0), sizeof(hdr));
	for (i = 0; i < 20; i++)
		close(fds[i]);

	errno = 0;
	ck_assert_int_eq(ichan_read(b), -1);
	ck_assert_int_eq(errno, EBADMSG);
	ck_assert_int_eq(ichan_get(b, &m), -1);
	ck_assert_int_eq(count_open_fds(), baseline);

	ichan_free(b);
	close(sv[0]);
	close(pfd[0]);
	close(pfd[1]);
}
END_TEST

/* The owner's wake: counted, and (when asked) the channel freed in it. */
static int		 woken;
static struct ichan	*free_on_wake;

static void
count_wake(void *arg)
{
	woken++;
	ck_assert_ptr_eq(arg, &woken);
	if (free_on_wake != NULL) {
		ichan_free(free_on_wake);
		free_on_wake = NULL;
	}
}

START_TEST(test_wake)
{
	struct pair	p;
	struct imsg	m;

	pair_open(&p);
	woken = 0;
	/* None set: composing calls nothing. */
	ck_assert_int_eq(ichan_compose(p.a, 1, 0, -1, "x", 1), 0);
	ichan_set_wake(p.a, count_wake, &woken);
	ck_assert_int_eq(ichan_compose(p.a, 2, 0, -1, "y", 1), 0);
	ck_assert_int_eq(ichan_compose(p.a, 3, 0, -1, NULL, 0), 0);
	ck_assert_int_eq(woken, 2);
	/* A refused message is not news. */
	ck_assert_int_eq(ichan_compose(p.a, 4, 0, -1, NULL,
	    IMSG_MAX_PAYLOAD + 1), -1);
	ck_assert_int_eq(woken, 2);
	pair_recv(&p, &m);
	ck_assert_uint_eq(m.hdr.type, 1);
	imsg_free(&m);
	ichan_set_wake(p.a, NULL, NULL);
	ck_assert_int_eq(ichan_compose(p.a, 5, 0, -1, NULL, 0), 0);
	ck_assert_int_eq(woken, 2);
	/* The owner may free the channel in its wake (a dead child). */
	ichan_set_wake(p.a, count_wake, &woken);
	free_on_wake = p.a;
	ck_assert_int_eq(ichan_compose(p.a, 6, 0, -1, "z", 1), 0);
	ck_assert_int_eq(woken, 3);
	p.a = NULL;
	ichan_free(p.b);
}
END_TEST

/* What ichan_dispatch() hands on, and what it says of the stream. */
static int	 seen[8], nseen, stop_after;

static int
collect(struct imsg *m, void *arg)
{
	(void)arg;
	seen[nseen++] = (int)m->hdr.type;
	return nseen == stop_after ? -1 : 0;
}

START_TEST(test_dispatch)
{
	struct pair	p;
	int		sp[2];

	pair_open(&p);
	nseen = 0;
	stop_after = 0;
	/* Nothing there yet. */
	ck_assert_int_eq(ichan_dispatch(p.b, collect, NULL), 1);
	ck_assert_int_eq(nseen, 0);
	ck_assert_int_eq(ichan_compose(p.a, 7, 0, -1, NULL, 0), 0);
	ck_assert_int_eq(ichan_compose(p.a, 8, 0, -1, "a", 1), 0);
	ck_assert_int_eq(ichan_compose(p.a, 9, 0, -1, NULL, 0), 0);
	ck_assert_int_eq(ichan_flush(p.a), 0);
	wait_readable(ichan_fd(p.b));
	/* The callback's -1 stops it after that message. */
	stop_after = 2;
	ck_assert_int_eq(ichan_dispatch(p.b, collect, NULL), 1);
	ck_assert_int_eq(nseen, 2);
	ck_assert_int_eq(seen[0], 7);
	ck_assert_int_eq(seen[1], 8);
	/* The peer gone: end of file. */
	ichan_free(p.a);
	stop_after = 0;
	ck_assert_int_eq(ichan_dispatch(p.b, collect, NULL), 0);
	ichan_free(p.b);

	/* A corrupt stream: a header shorter than a header. */
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	ck_assert_ptr_nonnull(p.b = ichan_new(sp[1]));
	{
		struct imsg_hdr	h = { 1, 4, 0, 0, 0 };

		ck_assert_int_eq(write(sp[0], &h, sizeof(h)), (int)sizeof(h));
	}
	wait_readable(sp[1]);
	errno = 0;
	ck_assert_int_eq(ichan_dispatch(p.b, collect, NULL), -1);
	ck_assert_int_eq(errno, EBADMSG);
	ichan_free(p.b);
	close(sp[0]);
}
END_TEST

Suite *
imsg_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("imsg");

	tc = tcase_create("framing");
	tcase_add_loop_test(tc, test_roundtrip_sizes, 0,
	    sizeof(roundtrip_sizes) / sizeof(roundtrip_sizes[0]));
	tcase_add_test(tc, test_compose_oversize);
	tcase_add_test(tc, test_byte_at_a_time);
	tcase_add_test(tc, test_many_in_one_read);
	tcase_add_test(tc, test_peer_closed);
	suite_add_tcase(s, tc);

	tc = tcase_create("corrupt");
	tcase_add_test(tc, test_short_len_corrupt);
	tcase_add_test(tc, test_hasfd_without_fd);
	tcase_add_test(tc, test_ctrunc_corrupt);
	tcase_add_test(tc, test_unclaimed_fd);
	tcase_add_test(tc, test_unclaimed_fd_batch);
	tcase_add_test(tc, test_two_fds_one_message);
	suite_add_tcase(s, tc);

	tc = tcase_create("fd");
	tcase_add_test(tc, test_fd_passing);
	tcase_add_test(tc, test_fd_interleaved);
	tcase_add_test(tc, test_free_closes_unclaimed);
	tcase_add_test(tc, test_free_closes_queued);
	suite_add_tcase(s, tc);

	tc = tcase_create("owner");
	tcase_add_test(tc, test_wake);
	tcase_add_test(tc, test_dispatch);
	suite_add_tcase(s, tc);

	tc = tcase_create("flow");
	tcase_add_loop_test(tc, test_backpressure, 0,
	    sizeof(backpressure_sizes) / sizeof(backpressure_sizes[0]));
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);

	return s;
}
