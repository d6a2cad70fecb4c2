/*
 * SIGHUP: parse -> validate -> diff -> bind -> swap -> push.  Nothing of
 * the running configuration changes until the new one has been read,
 * validated, found changeable at run time and its listeners bound; any
 * failure before that leaves the daemon exactly as it was.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sandbox.h"
#include "supervisor.h"

int
reload_plan(const struct config *running, const struct config *next,
    const struct listener *listeners, struct reload_plan *plan, char *err,
    size_t errlen)
{
	char	frozen[512] = "";
	size_t	i;
	int	k;

	memset(plan, 0, sizeof(*plan));
	for (i = 0; i < opt_count; i++) {
		const struct opt_def	*o = &opt_table[i];

		if (!config_differs(running, next, o))
			continue;
		if (o->reload == RELOAD_NEVER) {
			if (frozen[0] != '\0')
				strlcat(frozen, ", ", sizeof(frozen));
			strlcat(frozen, o->key, sizeof(frozen));
		}
		if (plan->nchanged < RELOAD_MAX_CHANGED)
			plan->changed[plan->nchanged++] = o;
	}
	if (frozen[0] != '\0') {
		snprintf(err, errlen, "%s cannot change at run time (restart"
		    " the daemon to change %s)", frozen,
		    strchr(frozen, ',') != NULL ? "them" : "it");
		return -1;
	}
	for (k = PROC_WRITER; k < PROC_MAX; k++)
		plan->rebind[k] = listener_changed(&listeners[k], next, k);
	return 0;
}

static void
reload_describe(const struct reload_plan *plan, char *buf, size_t len)
{
	size_t	i;

	buf[0] = '\0';
	for (i = 0; i < plan->nchanged; i++) {
		if (i > 0)
			strlcat(buf, ", ", len);
		strlcat(buf, plan->changed[i]->key, len);
	}
}

int
sv_reload(struct supervisor *sv, char *msg, size_t msglen)
{
	struct config		 next;
	struct reload_plan	 plan;
	struct listener		 fresh[PROC_MAX];
	char			 err[1024];
	int			 k;

	log_info("reloading the configuration");
	if (config_load(&next, sv->cli, err, sizeof(err)) == -1) {
		snprintf(msg, msglen, "reload failed, keeping the running "
		    "configuration: %s", err);
		log_warnx("%s", msg);
		return -1;
	}
	/* As at start-up, or user and chroot would differ for nothing. */
	sandbox_defaults(&next, 0);
	if (reload_plan(&sv->cfg, &next, sv->listeners, &plan, err,
	    sizeof(err)) == -1) {
		snprintf(msg, msglen, "reload refused, keeping the running "
		    "configuration: %s", err);
		log_warnx("%s", msg);
		config_clear(&next);
		return -1;
	}
	if (plan.nchanged == 0) {
		snprintf(msg, msglen, "reload: configuration unchanged");
		log_info("%s", msg);
		config_clear(&next);
		return 0;
	}

	/* Bind every moved listener before touching anything. */
	for (k = PROC_WRITER; k < PROC_MAX; k++) {
		fresh[k].fd = -1;
		if (plan.rebind[k] && listener_bind(&fresh[k], &next, k, err,
		    sizeof(err)) == -1) {
			snprintf(msg, msglen, "reload failed, keeping the "
			    "running configuration: %s", err);
			log_warnx("%s", msg);
			while (--k >= PROC_WRITER)
				listener_close(&fresh[k]);
			config_clear(&next);
			return -1;
		}
	}
	/* Swap. */
	for (k = PROC_WRITER; k < PROC_MAX; k++) {
		if (!plan.rebind[k])
			continue;
		listener_close(&sv->listeners[k]);
		sv->listeners[k] = fresh[k];
		if (sv->listeners[k].fd == -1)
			log_info("%s listener off", proc_name(k));
		else
			log_info("%s listening on %s:%u", proc_name(k),
			    sv->listeners[k].addr,
			    sv->listeners[k].bound_port);
	}
	config_clear(&sv->cfg);
	sv->cfg = next;
	sv->generation++;
	sv_apply_loglevel(sv);
	reload_describe(&plan, err, sizeof(err));
	snprintf(msg, msglen, "reload: generation %u changes %s",
	    sv->generation, err);
	log_info("%s", msg);

	/*
	 * Push.  A child still in its handshake gets the new configuration
	 * with its hello; one that is down gets it when it restarts.
	 */
	for (k = PROC_ELECTOR; k < PROC_MAX; k++) {
		struct sv_child	*ch = &sv->children[k];

		if (!ch->configured)
			continue;
		sv_child_send_config(ch);
		sv_child_send_listeners(ch, plan.rebind);
	}
	return 0;
}
