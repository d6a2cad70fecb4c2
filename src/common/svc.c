/* The two services of a node; see svc.h. */
#include "config.h"
#include "proto.h"
#include "svc.h"

int
svc_of_proc(int kind)
{
	switch (kind) {
	case PROC_WRITER:
	case PROC_BRIDGE:
		return SVC_WRITER;
	case PROC_READER:
		return SVC_READER;
	default:
		return -1;
	}
}

int
svc_proc(int svc)
{
	return svc == SVC_READER ? PROC_READER : PROC_WRITER;
}

const char *
svc_name(const struct config *cfg, int svc)
{
	return svc == SVC_READER ? cfg->service_name_follower :
	    cfg->service_name_leader;
}

int
server_caught_up(int up, int leader, int caught_up)
{
	return up && !leader && caught_up;
}
