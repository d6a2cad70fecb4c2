/*
 * Message framing between the supervisor and one child over a SOCK_STREAM
 * socketpair.  The stream has no record boundaries, so the reader keeps
 * bytes until a whole header and payload are there; passed descriptors
 * arrive out of band (SCM_RIGHTS) and wait in a FIFO until the message
 * that announced them with IMSGF_HASFD is taken.
 *
 * The kernel delivers a descriptor together with the first byte of the
 * sendmsg() that carried it, and never gives one recvmsg() the
 * descriptors of two sendmsg() calls.  The writer therefore puts a message
 * with a descriptor first in its sendmsg() and never sends two descriptors
 * in one call: a descriptor can then never reach the reader after the
 * message that claims it, and the FIFO order matches the message order.
 *
 * The same rules let the reader refuse what a peer that does not follow
 * them sends: two descriptors in one read, or a descriptor that the
 * message starting in its read does not claim, would otherwise stay open
 * here for as long as the channel lives, and a peer could pile them up
 * until this process runs out of descriptors.  Either makes the stream
 * corrupt.
 *
 * Messages carry private keys and the Consul token: every byte of one is
 * wiped once it has been sent or taken, in the buffers here and in the
 * payload imsg_free() releases.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"
#include "log.h"

/* Room for a partial message plus one whole one behind it. */
#define ICHAN_IBUF_SIZE		(2 * IMSG_MAX_SIZE)
/*
 * A read brings one descriptor at most; room for more lets us receive and
 * close what a confused peer sends instead of leaving it to truncation.
 */
#define ICHAN_MAX_RECV_FDS	16
/* Messages gathered into one sendmsg(). */
#define ICHAN_IOV_MAX		64

struct obuf {
	TAILQ_ENTRY(obuf)	 entry;
	int			 fd;	/* -1 when none or already sent */
	size_t			 len;
	size_t			 off;	/* bytes already written */
	uint8_t			 data[];
};

TAILQ_HEAD(obuf_queue, obuf);

/* A received fd and the stream offset just past the read that brought it. */
struct rfd {
	int		 fd;
	uint64_t	 end;
};

struct ichan {
	int			 fd;
	int			 corrupt;

	/* received fds not yet claimed by a message, oldest at fds[fd_head] */
	struct rfd		*fds;
	size_t			 fd_head;
	size_t			 fd_count;
	size_t			 fd_cap;

	struct obuf_queue	 outq;
	size_t			 queued;
	void			(*wake)(void *);	/* told of new output */
	void			*wake_arg;

	/* bytes read since the start: the stream offset of ibuf[wpos] */
	uint64_t		 rbytes;
	/* unread input lives in ibuf[rpos, wpos) */
	size_t			 rpos;
	size_t			 wpos;
	uint8_t			 ibuf[ICHAN_IBUF_SIZE];
};

static int	fifo_push(struct ichan *, int, uint64_t);
static int	fifo_pop(struct ichan *);
static void	fifo_close(struct ichan *);
static size_t	cmsg_fds(struct msghdr *, int *);
static void	close_cmsg_fds(struct msghdr *);
static void	ichan_compact(struct ichan *);
static void	ichan_consume(struct ichan *, size_t);
static void	obuf_free(struct obuf *);

struct ichan *
ichan_new(int fd)
{
	struct ichan	*c;
	int		 flags, saved;

	if (fd < 0) {
		errno = EBADF;
		return NULL;
	}
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1)
		goto fail;
	if ((c = malloc(sizeof(*c))) == NULL)
		goto fail;
	c->fd = fd;
	c->corrupt = 0;
	c->fds = NULL;
	c->fd_head = c->fd_count = c->fd_cap = 0;
	TAILQ_INIT(&c->outq);
	c->queued = 0;
	c->wake = NULL;
	c->wake_arg = NULL;
	c->rbytes = 0;
	c->rpos = c->wpos = 0;
	return c;

fail:
	/* We own fd from the call on, failure included. */
	saved = errno;
	close(fd);
	errno = saved;
	return NULL;
}

void
ichan_free(struct ichan *c)
{
	struct obuf	*ob;
	int		 saved = errno;

	if (c == NULL)
		return;
	while ((ob = TAILQ_FIRST(&c->outq)) != NULL) {
		TAILQ_REMOVE(&c->outq, ob, entry);
		if (ob->fd != -1)
			close(ob->fd);
		obuf_free(ob);
	}
	fifo_close(c);
	free(c->fds);
	close(c->fd);
	explicit_bzero(c->ibuf, sizeof(c->ibuf));
	free(c);
	errno = saved;
}

int
ichan_fd(const struct ichan *c)
{
	return c->fd;
}

void
ichan_set_wake(struct ichan *c, void (*wake)(void *), void *arg)
{
	c->wake = wake;
	c->wake_arg = arg;
}

int
ichan_compose(struct ichan *c, uint32_t type, uint32_t peerid, int fd,
    const void *data, size_t len)
{
	struct imsg_hdr	 hdr;
	struct obuf	*ob;
	int		 saved;

	if (len > IMSG_MAX_PAYLOAD) {
		errno = EMSGSIZE;
		goto fail;
	}
	if (len > 0 && data == NULL) {
		errno = EINVAL;
		goto fail;
	}
	if ((ob = malloc(sizeof(*ob) + IMSG_HEADER_SIZE + len)) == NULL)
		goto fail;

	memset(&hdr, 0, sizeof(hdr));
	hdr.type = type;
	hdr.len = (uint16_t)(IMSG_HEADER_SIZE + len);
	hdr.flags = fd == -1 ? 0 : IMSGF_HASFD;
	hdr.peerid = peerid;
	hdr.pid = (uint32_t)getpid();

	ob->fd = fd;
	ob->len = IMSG_HEADER_SIZE + len;
	ob->off = 0;
	memcpy(ob->data, &hdr, IMSG_HEADER_SIZE);
	if (len > 0)
		memcpy(ob->data + IMSG_HEADER_SIZE, data, len);
	TAILQ_INSERT_TAIL(&c->outq, ob, entry);
	c->queued += ob->len;
	/* Last: the owner's flush may find the peer gone and free c. */
	if (c->wake != NULL)
		c->wake(c->wake_arg);
	return 0;

fail:
	/* The fd is ours whatever happens, so the caller never has to guess. */
	if (fd != -1) {
		saved = errno;
		close(fd);
		errno = saved;
	}
	return -1;
}

int
ichan_flush(struct ichan *c)
{
	struct iovec	 iov[ICHAN_IOV_MAX];
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	}		 cmsgbuf;
	struct msghdr	 msg;
	struct cmsghdr	*cmsg;
	struct obuf	*ob, *head;
	ssize_t		 n;
	int		 niov, passfd;

	while ((head = TAILQ_FIRST(&c->outq)) != NULL) {
		/*
		 * A message with an fd only ever starts a batch, and the batch
		 * ends before the next one, so each fd rides on its own
		 * message's first byte.
		 */
		niov = 0;
		TAILQ_FOREACH(ob, &c->outq, entry) {
			if (niov == ICHAN_IOV_MAX || (niov > 0 && ob->fd != -1))
				break;
			iov[niov].iov_base = ob->data + ob->off;
			iov[niov].iov_len = ob->len - ob->off;
			niov++;
		}
		passfd = head->fd;

		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = iov;
		msg.msg_iovlen = niov;
		if (passfd != -1) {
			memset(&cmsgbuf, 0, sizeof(cmsgbuf));
			msg.msg_control = cmsgbuf.buf;
			msg.msg_controllen = sizeof(cmsgbuf.buf);
			cmsg = CMSG_FIRSTHDR(&msg);
			cmsg->cmsg_level = SOL_SOCKET;
			cmsg->cmsg_type = SCM_RIGHTS;
			cmsg->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(cmsg), &passfd, sizeof(int));
		}

		do {
			n = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
		} while (n == -1 && errno == EINTR);
		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 1;
			return -1;
		}

		/*
		 * Any byte written means the fd went with it; it must not be
		 * sent again when the rest of the message follows.
		 */
		if (passfd != -1) {
			close(passfd);
			head->fd = -1;
		}
		ichan_consume(c, (size_t)n);
	}
	return 0;
}

size_t
ichan_queued(const struct ichan *c)
{
	return c->queued;
}

ssize_t
ichan_read(struct ichan *c)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) *
				    ICHAN_MAX_RECV_FDS)];
	}		 cmsgbuf;
	struct msghdr	 msg;
	struct iovec	 iov;
	ssize_t		 n;
	size_t		 nfds;
	int		 fd = -1;

	/* Reading on would only take in more fds nobody will claim. */
	if (c->corrupt) {
		errno = EBADMSG;
		return -1;
	}
	ichan_compact(c);
	if (c->wpos == sizeof(c->ibuf)) {
		/* The caller has not taken the messages already here. */
		errno = ENOBUFS;
		return -1;
	}

	memset(&msg, 0, sizeof(msg));
	memset(&cmsgbuf, 0, sizeof(cmsgbuf));
	iov.iov_base = c->ibuf + c->wpos;
	iov.iov_len = sizeof(c->ibuf) - c->wpos;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cmsgbuf.buf;
	msg.msg_controllen = sizeof(cmsgbuf.buf);

	do {
		n = recvmsg(c->fd, &msg, MSG_CMSG_CLOEXEC);
	} while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;

	if (msg.msg_flags & MSG_CTRUNC) {
		/*
		 * Some fds were dropped by the kernel; the FIFO can no longer
		 * be matched to the messages, so nothing that follows can be
		 * trusted.
		 */
		close_cmsg_fds(&msg);
		c->corrupt = 1;
		fifo_close(c);
		log_warnx("imsg: passed file descriptors were truncated");
		errno = EBADMSG;
		return -1;
	}

	if ((nfds = cmsg_fds(&msg, &fd)) > 1) {
		/* Our writer never sends two in one sendmsg(). */
		close_cmsg_fds(&msg);
		c->corrupt = 1;
		fifo_close(c);
		log_warnx("imsg: %zu passed file descriptors in one read",
		    nfds);
		errno = EBADMSG;
		return -1;
	}
	if (nfds == 1) {
		if (fifo_push(c, fd, c->rbytes + (uint64_t)n) == -1) {
			/* Lost, the FIFO would be out of step. */
			log_warn("imsg: cannot keep a passed fd");
			close(fd);
			c->corrupt = 1;
			fifo_close(c);
			errno = ENOMEM;
			return -1;
		}
	}

	c->wpos += (size_t)n;
	c->rbytes += (uint64_t)n;
	return n;
}

int
ichan_get(struct ichan *c, struct imsg *m)
{
	struct imsg_hdr	 hdr;
	size_t		 avail = c->wpos - c->rpos, datalen;
	uint8_t		*data = NULL;

	m->fd = -1;
	m->datalen = 0;
	m->data = NULL;
	if (c->corrupt) {
		errno = EBADMSG;
		return -1;
	}
	/*
	 * The oldest fd came with the first byte of its message, so that
	 * message began before the end of the fd's read.  When the next
	 * message begins at or after that point, every message that could
	 * have claimed the fd has been taken without it.
	 */
	if (c->fd_count > 0 &&
	    c->fds[c->fd_head].end <= c->rbytes - avail) {
		log_warnx("imsg: a passed fd that no message claims");
		goto corrupt;
	}
	if (avail < IMSG_HEADER_SIZE)
		return 0;

	/* The buffer offset is not aligned for the header's fields. */
	memcpy(&hdr, c->ibuf + c->rpos, sizeof(hdr));
	if (hdr.len < IMSG_HEADER_SIZE) {
		log_warnx("imsg: message length %u below the header size",
		    hdr.len);
		goto corrupt;
	}
	if (avail < hdr.len)
		return 0;
	if ((hdr.flags & IMSGF_HASFD) && c->fd_count == 0) {
		log_warnx("imsg: message type %u lacks its passed fd",
		    hdr.type);
		goto corrupt;
	}

	datalen = hdr.len - IMSG_HEADER_SIZE;
	/* Allocate before taking the fd so a failure loses nothing. */
	if (datalen > 0) {
		if ((data = malloc(datalen)) == NULL)
			return -1;
		memcpy(data, c->ibuf + c->rpos + IMSG_HEADER_SIZE, datalen);
	}

	m->hdr = hdr;
	m->datalen = datalen;
	m->data = data;
	if (hdr.flags & IMSGF_HASFD)
		m->fd = fifo_pop(c);
	explicit_bzero(c->ibuf + c->rpos, hdr.len);
	c->rpos += hdr.len;
	if (c->rpos == c->wpos)
		c->rpos = c->wpos = 0;
	return 1;

corrupt:
	c->corrupt = 1;
	/* Nothing will claim them now. */
	fifo_close(c);
	errno = EBADMSG;
	return -1;
}

void
imsg_free(struct imsg *m)
{
	if (m->data != NULL)
		explicit_bzero(m->data, m->datalen);
	free(m->data);
	m->data = NULL;
	m->datalen = 0;
	if (m->fd != -1) {
		close(m->fd);
		m->fd = -1;
	}
}

static int
fifo_push(struct ichan *c, int fd, uint64_t end)
{
	struct rfd	*p;
	size_t		 cap;

	if (c->fd_head + c->fd_count == c->fd_cap) {
		if (c->fd_head > 0) {
			memmove(c->fds, c->fds + c->fd_head,
			    c->fd_count * sizeof(*c->fds));
			c->fd_head = 0;
		} else {
			cap = c->fd_cap == 0 ? 8 : c->fd_cap * 2;
			if ((p = reallocarray(c->fds, cap, sizeof(*p))) ==
			    NULL)
				return -1;
			c->fds = p;
			c->fd_cap = cap;
		}
	}
	c->fds[c->fd_head + c->fd_count].fd = fd;
	c->fds[c->fd_head + c->fd_count].end = end;
	c->fd_count++;
	return 0;
}

/* The caller checks that the FIFO is not empty. */
static int
fifo_pop(struct ichan *c)
{
	int	fd = c->fds[c->fd_head].fd;

	c->fd_count--;
	c->fd_head = c->fd_count == 0 ? 0 : c->fd_head + 1;
	return fd;
}

static void
fifo_close(struct ichan *c)
{
	while (c->fd_count > 0)
		close(fifo_pop(c));
}

/* How many fds arrived with msg; the first of them in *first. */
static size_t
cmsg_fds(struct msghdr *msg, int *first)
{
	struct cmsghdr	*cmsg;
	size_t		 n = 0, k;

	for (cmsg = CMSG_FIRSTHDR(msg); cmsg != NULL;
	    cmsg = CMSG_NXTHDR(msg, cmsg)) {
		if (cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		k = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (n == 0 && k > 0)
			memcpy(first, CMSG_DATA(cmsg), sizeof(int));
		n += k;
	}
	return n;
}

/* Close every fd that arrived with msg. */
static void
close_cmsg_fds(struct msghdr *msg)
{
	struct cmsghdr	*cmsg;
	size_t		 i, nfds;
	int		 fd, saved = errno;

	for (cmsg = CMSG_FIRSTHDR(msg); cmsg != NULL;
	    cmsg = CMSG_NXTHDR(msg, cmsg)) {
		if (cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		nfds = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < nfds; i++) {
			memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int),
			    sizeof(int));
			close(fd);
		}
	}
	errno = saved;
}

/*
 * Move a trailing partial message to the front once the free tail could no
 * longer hold a whole one; the common case (buffer drained) costs nothing.
 */
static void
ichan_compact(struct ichan *c)
{
	size_t	left = c->wpos - c->rpos;

	if (left == 0) {
		c->rpos = c->wpos = 0;
		return;
	}
	if (c->rpos == 0 || sizeof(c->ibuf) - c->wpos >= IMSG_MAX_SIZE)
		return;
	memmove(c->ibuf, c->ibuf + c->rpos, left);
	/* The bytes moved are still behind, where the next read may not reach. */
	explicit_bzero(c->ibuf + left, c->wpos - left);
	c->rpos = 0;
	c->wpos = left;
}

/* Drop n written bytes from the head of the output queue. */
static void
ichan_consume(struct ichan *c, size_t n)
{
	struct obuf	*ob;
	size_t		 left;

	c->queued -= n;
	while (n > 0 && (ob = TAILQ_FIRST(&c->outq)) != NULL) {
		left = ob->len - ob->off;
		if (n < left) {
			ob->off += n;
			return;
		}
		n -= left;
		TAILQ_REMOVE(&c->outq, ob, entry);
		/* Only the batch's first message had an fd, now sent. */
		obuf_free(ob);
	}
}

static void
obuf_free(struct obuf *ob)
{
	explicit_bzero(ob->data, ob->len);
	free(ob);
}

int
ichan_dispatch(struct ichan *c, int (*cb)(struct imsg *, void *), void *arg)
{
	struct imsg	m;
	ssize_t		n;
	int		rv, stop;

	n = ichan_read(c);
	if (n == -1 && errno == EAGAIN)
		return 1;
	if (n == 0 || (n == -1 && errno == ECONNRESET))
		return 0;
	if (n == -1)
		return -1;
	while ((rv = ichan_get(c, &m)) == 1) {
		stop = cb(&m, arg);
		imsg_free(&m);
		/* The callback may have closed the channel. */
		if (stop == -1)
			return 1;
	}
	if (rv == -1) {
		errno = EBADMSG;
		return -1;
	}
	return 1;
}
