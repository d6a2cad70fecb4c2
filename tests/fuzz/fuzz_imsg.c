/*
 * The imsg framing (src/common/imsg.c) on an arbitrary stream from the
 * peer, sent over a real socketpair in pieces drawn from the input, with
 * file descriptors passed as the writer passes them: one with the piece
 * that starts a message flagged IMSGF_HASFD.  Now and then the sender
 * misbehaves: an fd where no message claims one, none where one is
 * claimed, two in one piece.
 *
 * Whatever arrives, ichan_get() hands over whole messages in the order
 * sent, byte for byte, each with a valid fd exactly when flagged; a
 * stream it calls corrupt stays corrupt; and when everything is freed no
 * descriptor is left open.  While the sender behaves, every message it
 * sent up to the first impossible header (a length below the header's)
 * arrives, and the stream is corrupt only from there.
 */
#include <sys/socket.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "imsg.h"

const char	fuzz_target[] = "imsg";

/* Open descriptors of this process. */
static int
open_fds(void)
{
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	d = opendir("/proc/self/fd");
	FUZZ_CHECK(d != NULL);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* Send one piece with nfds descriptors of /dev/null. */
static void
send_piece(int fd, const uint8_t *p, size_t len, int nfds)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(2 * sizeof(int))];
	}		 cm;
	struct msghdr	 msg;
	struct iovec	 iov;
	struct cmsghdr	*c;
	int		 pass[2], i;
	ssize_t		 n;

	memset(&msg, 0, sizeof(msg));
	iov.iov_base = (void *)(uintptr_t)p;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	for (i = 0; i < nfds; i++)
		FUZZ_CHECK((pass[i] = open("/dev/null", O_RDONLY |
		    O_CLOEXEC)) != -1);
	if (nfds > 0) {
		memset(&cm, 0, sizeof(cm));
		msg.msg_control = cm.buf;
		msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(c), pass, nfds * sizeof(int));
	}
	n = sendmsg(fd, &msg, MSG_NOSIGNAL);
	FUZZ_CHECK(n == (ssize_t)len);
	for (i = 0; i < nfds; i++)
		close(pass[i]);
}

struct rx {
	struct ichan	*c;
	const uint8_t	*sent;		/* the whole stream */
	size_t		 off;		/* where the next message begins */
	size_t		 msgs;
	int		 corrupt;
};

/* Take every whole message that has arrived. */
static void
drain(struct rx *rx)
{
	struct imsg	m;
	uint16_t	len;
	ssize_t		n;
	int		rv;

	for (;;) {
		n = ichan_read(rx->c);
		if (n == -1 && errno == EAGAIN)
			break;
		if (n == -1) {
			FUZZ_CHECK(errno == EBADMSG);
			rx->corrupt = 1;
			break;
		}
		FUZZ_CHECK(n > 0);
		while ((rv = ichan_get(rx->c, &m)) == 1) {
			FUZZ_CHECK(!rx->corrupt);
			memcpy(&len, rx->sent + rx->off + 4, sizeof(len));
			FUZZ_CHECK(m.hdr.len == len);
			FUZZ_CHECK(m.hdr.len >= IMSG_HEADER_SIZE);
			FUZZ_CHECK(memcmp(&m.hdr, rx->sent + rx->off,
			    IMSG_HEADER_SIZE) == 0);
			FUZZ_CHECK(m.datalen == (size_t)m.hdr.len - IMSG_HEADER_SIZE);
			FUZZ_CHECK((m.data != NULL) == (m.datalen > 0));
			FUZZ_CHECK(m.datalen == 0 || memcmp(m.data, rx->sent +
			    rx->off + IMSG_HEADER_SIZE, m.datalen) == 0);
			FUZZ_CHECK((m.fd != -1) == !!(m.hdr.flags &
			    IMSGF_HASFD));
			FUZZ_CHECK(m.fd == -1 || fcntl(m.fd, F_GETFD) != -1);
			rx->off += m.hdr.len;
			rx->msgs++;
			imsg_free(&m);
		}
		if (rv == -1) {
			FUZZ_CHECK(errno == EBADMSG);
			FUZZ_CHECK(m.fd == -1 && m.data == NULL);
			rx->corrupt = 1;
		}
		if (rx->corrupt) {
			/* It stays so, reading or not. */
			FUZZ_CHECK(ichan_get(rx->c, &m) == -1);
			FUZZ_CHECK(ichan_read(rx->c) == -1 &&
			    errno == EBADMSG);
			break;
		}
	}
}

/*
 * The messages as the sender sees them, up to the first impossible
 * header: starts[i] each message's offset (the last one may be cut
 * short), the count returned; *valid is where the well-framed stream
 * ends, *bad whether a whole header there is impossible.
 */
static size_t
frame(const uint8_t *data, size_t size, size_t *starts, size_t *valid,
    int *bad)
{
	struct imsg_hdr	hdr;
	size_t		off = 0, n = 0;

	*bad = 0;
	while (size - off >= IMSG_HEADER_SIZE) {
		memcpy(&hdr, data + off, sizeof(hdr));
		if (hdr.len < IMSG_HEADER_SIZE) {
			*bad = 1;
			break;
		}
		starts[n++] = off;
		if (hdr.len > size - off)
			break;
		off += hdr.len;
	}
	*valid = off;
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t		*starts;
	struct imsg_hdr	 hdr;
	struct rx	 rx;
	uint64_t	 rng = fuzz_seed(data, size);
	size_t		 nmsg, k, at, end, valid, next;
	int		 sv[2], before, nfds, bad, honest = 1;

	before = open_fds();
	FUZZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	memset(&rx, 0, sizeof(rx));
	rx.c = ichan_new(sv[0]);
	FUZZ_CHECK(rx.c != NULL);
	rx.sent = data;

	starts = calloc(size / IMSG_HEADER_SIZE + 1, sizeof(*starts));
	FUZZ_CHECK(starts != NULL);
	nmsg = frame(data, size, starts, &valid, &bad);
	for (at = 0, k = 0; at < size && !rx.corrupt; at = end) {
		/* Up to the next message start at the latest. */
		while (k < nmsg && starts[k] <= at)
			k++;
		next = k < nmsg ? starts[k] : size;
		end = at + 1 + fuzz_rng(&rng) % (fuzz_rng(&rng) % 4 == 0 ?
		    4096 : 24);
		if (end > next || fuzz_rng(&rng) % 2 == 0)
			end = next;

		/* An fd with the first byte of a message that claims one. */
		nfds = 0;
		if (k > 0 && starts[k - 1] == at) {
			memcpy(&hdr, data + at, sizeof(hdr));
			nfds = (hdr.flags & IMSGF_HASFD) ? 1 : 0;
		}
		if (fuzz_rng(&rng) % 32 == 0) {
			nfds = (int)(fuzz_rng(&rng) % 3);
			honest = 0;
		}
		send_piece(sv[1], data + at, end - at, nfds);
		drain(&rx);
	}

	if (honest) {
		/* Everything well framed arrived, and only that. */
		FUZZ_CHECK(rx.off == valid);
		FUZZ_CHECK(rx.corrupt == bad);
	}
	free(starts);
	ichan_free(rx.c);
	close(sv[1]);
	FUZZ_CHECK(open_fds() == before);
	return 0;
}
