/*
 * imsg-style framing over a SOCK_STREAM socketpair between the supervisor
 * and one child.  A message is a fixed 16-byte header followed by its
 * payload; a file descriptor may travel with a message (SCM_RIGHTS).
 *
 *	uint32_t type;		enum msg_type (proto.h)
 *	uint16_t len;		header + payload, in bytes
 *	uint16_t flags;		IMSGF_HASFD
 *	uint32_t peerid;	free for the sender (connection id, generation)
 *	uint32_t pid;		sender's pid
 *
 * All fields are in host byte order: both ends are the same binary on the
 * same machine.  Writes are queued and flushed without blocking; reads
 * accumulate until whole messages are available.
 */
#ifndef IMSG_H
#define IMSG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define IMSG_HEADER_SIZE	16
#define IMSG_MAX_SIZE		65535	/* header included */
#define IMSG_MAX_PAYLOAD	(IMSG_MAX_SIZE - IMSG_HEADER_SIZE)
#define IMSGF_HASFD		0x0001

struct imsg_hdr {
	uint32_t	type;
	uint16_t	len;
	uint16_t	flags;
	uint32_t	peerid;
	uint32_t	pid;
};

struct imsg {
	struct imsg_hdr	 hdr;
	int		 fd;		/* -1 when none; owned by the caller */
	size_t		 datalen;	/* hdr.len - IMSG_HEADER_SIZE */
	uint8_t		*data;		/* NULL when datalen is 0 */
};

struct ichan;

/* Takes ownership of fd and makes it non-blocking. */
struct ichan	*ichan_new(int fd);
/* Closes the socket, frees queued output and any received, unclaimed fds. */
void		 ichan_free(struct ichan *);
int		 ichan_fd(const struct ichan *);

/*
 * Call wake(arg) after each message is queued, so the channel's owner
 * can flush it (and watch for writability) wherever the message was
 * composed.  wake may free the channel: ichan_compose() does not touch it
 * afterwards.
 */
void		 ichan_set_wake(struct ichan *, void (*wake)(void *), void *arg);

/*
 * Queue one message.  fd (or -1) is passed to the peer and closed here once
 * sent.  Returns 0, or -1 with errno EMSGSIZE when len > IMSG_MAX_PAYLOAD
 * (fd is then closed too).
 */
int		 ichan_compose(struct ichan *, uint32_t type, uint32_t peerid,
		    int fd, const void *data, size_t len);
/* Write queued output: 0 all written, 1 more pending (EAGAIN), -1 error. */
int		 ichan_flush(struct ichan *);
/* Bytes still queued for writing. */
size_t		 ichan_queued(const struct ichan *);

/*
 * Read what the socket has: >0 bytes read, 0 end of file, -1 error
 * (errno EAGAIN when nothing was available, EBADMSG when the stream is
 * corrupt: more than one passed fd in a read, or corrupt already).
 */
ssize_t		 ichan_read(struct ichan *);
/*
 * Take the next whole message: 1 a message is in *m (release it with
 * imsg_free), 0 no whole message yet, -1 the stream is corrupt (a length
 * below the header size, a missing passed fd, a passed fd that no message
 * claims).  A corrupt stream stays corrupt and holds no passed fds: the
 * caller closes the channel.
 */
int		 ichan_get(struct ichan *, struct imsg *m);
/* Free m's payload and close its fd if the caller did not take it. */
void		 imsg_free(struct imsg *m);

/*
 * The read loop of both ends: read what the socket has and hand each
 * whole message to cb, then free it.  cb returns 0 to go on, or -1 when
 * it closed the channel (nothing more is read from it).  Returns 1 when
 * all that was there is handled (or nothing was), 0 at end of file (the
 * peer is gone; ECONNRESET counts as that), -1 on a read error or a
 * corrupt stream (errno EBADMSG).
 */
int		 ichan_dispatch(struct ichan *,
		    int (*cb)(struct imsg *, void *), void *arg);

#endif
