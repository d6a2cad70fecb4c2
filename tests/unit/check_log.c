/*
 * Repeated log lines on a clock the test turns by hand: what is written,
 * what is left out, and that every copy left out is counted somewhere.
 * stderr goes to a temporary file for the length of a test.
 */
#include <sys/wait.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "suites.h"

#define LINES_MAX	1024

static uint64_t	 fake_now;
static FILE	*out;
static int	 saved_stderr = -1;
static char	*lines[LINES_MAX];
static size_t	 nlines;

static uint64_t
fake_clock(void)
{
	return fake_now;
}

static void
setup(void)
{
	ck_assert_ptr_nonnull(out = tmpfile());
	ck_assert_int_ge(saved_stderr = dup(STDERR_FILENO), 0);
	ck_assert_int_eq(dup2(fileno(out), STDERR_FILENO), STDERR_FILENO);
	/* No timestamps: the journal adds its own. */
	setenv("JOURNAL_STREAM", "1:1", 1);
	log_init(1, LOG_LEVEL_DEBUG);
	log_procname("test");
	fake_now = 5000;
	log_clock(fake_clock);
}

static void
teardown(void)
{
	size_t	i;

	/* Held counts go to the file, not out at the test's exit. */
	log_flush();
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	fclose(out);
	for (i = 0; i < nlines; i++)
		free(lines[i]);
	nlines = 0;
	log_clock(NULL);
	unsetenv("JOURNAL_STREAM");
}

/* Everything written so far, one entry a line, "test: " taken off. */
static void
collect(void)
{
	char	buf[4096];
	size_t	i, len;

	for (i = 0; i < nlines; i++)
		free(lines[i]);
	nlines = 0;
	fflush(stderr);
	rewind(out);
	while (fgets(buf, sizeof(buf), out) != NULL) {
		ck_assert_uint_lt(nlines, LINES_MAX);
		len = strlen(buf);
		if (len > 0 && buf[len - 1] == '\n')
			buf[len - 1] = '\0';
		ck_assert_int_eq(strncmp(buf, "test: ", 6), 0);
		ck_assert_ptr_nonnull(lines[nlines++] = strdup(buf + 6));
	}
	fseek(out, 0, SEEK_END);
}

/* The N of a line "... (N more like this in the last Xs...)", 0 if none. */
static unsigned long
count_of(const char *line)
{
	const char	*p;

	if ((p = strstr(line, " more like this in the last ")) == NULL)
		return 0;
	while (p > line && p[-1] != '(')
		p--;
	return strtoul(p, NULL, 10);
}

START_TEST(test_log_repeat_written_once_then_counted)
{
	int	i;

	for (i = 0; i < 5; i++) {
		log_warnx("upstream %s: refused", "127.0.0.1:6379");
		fake_now += 100;
	}
	collect();
	ck_assert_uint_eq(nlines, 1);
	ck_assert_str_eq(lines[0], "upstream 127.0.0.1:6379: refused");

	/* The while (1 s) is over: the next copy says what was left out. */
	fake_now = 6500;
	log_warnx("upstream %s: refused", "127.0.0.1:6379");
	collect();
	ck_assert_uint_eq(nlines, 2);
	ck_assert_str_eq(lines[1], "upstream 127.0.0.1:6379: refused "
	    "(4 more like this in the last 1.5s)");
}
END_TEST

START_TEST(test_log_distinct_texts_all_written)
{
	log_warnx("client %s denied", "spiffe://a");
	log_warnx("client %s denied", "spiffe://b");
	log_warnx("client %s denied", "spiffe://a");
	log_warnx("client %s denied", "spiffe://c");
	/* The same text at another priority is another message. */
	log_info("client %s denied", "spiffe://a");
	log_debug("client %s denied", "spiffe://a");
	collect();
	ck_assert_uint_eq(nlines, 5);
	ck_assert_str_eq(lines[0], "client spiffe://a denied");
	ck_assert_str_eq(lines[1], "client spiffe://b denied");
	ck_assert_str_eq(lines[2], "client spiffe://c denied");
	ck_assert_str_eq(lines[3], "client spiffe://a denied");
	ck_assert_str_eq(lines[4], "client spiffe://a denied");
}
END_TEST

START_TEST(test_log_warn_keeps_errno)
{
	int	i;

	for (i = 0; i < 3; i++) {
		errno = EMFILE;
		log_warn("accept");
		ck_assert_int_eq(errno, EMFILE);
	}
	errno = ENFILE;
	log_warn("accept");
	collect();
	ck_assert_uint_eq(nlines, 2);
	ck_assert_str_eq(lines[0], "accept: Too many open files");
	ck_assert_str_eq(lines[1], "accept: Too many open files in system");
}
END_TEST

/*
 * A line every 100 ms for 200 s: the while doubles from 1 s to 60 s, and
 * the copies written plus the counts they carry are every copy.
 */
START_TEST(test_log_flood_backs_off_and_loses_nothing)
{
	unsigned long	total = 0;
	uint64_t	start = fake_now;
	size_t		i;
	int		n;

	for (n = 0; n < 2000; n++) {
		log_warnx("accept: Too many open files");
		fake_now += 100;
	}
	collect();
	/* At 0, 1, 3, 7, 15, 31, 63, 123 and 183 s. */
	ck_assert_uint_eq(nlines, 9);
	for (i = 0; i < nlines; i++)
		total += 1 + count_of(lines[i]);
	/* 199.9 s, the last written at 183 s: 169 copies still held. */
	ck_assert_uint_eq(total, 2000 - 169);
	ck_assert_str_eq(lines[6], "accept: Too many open files "
	    "(319 more like this in the last 32.0s)");
	ck_assert_str_eq(lines[8], "accept: Too many open files "
	    "(599 more like this in the last 60.0s)");

	/* Quiet for its while: the held count is written on its own. */
	fake_now = start + 183000 + 60000;
	log_flush();
	collect();
	ck_assert_uint_eq(nlines, 10);
	ck_assert_uint_eq(count_of(lines[nlines - 1]), 169);
}
END_TEST

START_TEST(test_log_quiet_line_starts_small_again)
{
	int	i;

	for (i = 0; i < 30; i++) {
		log_info("tick");
		fake_now += 100;
	}
	/* Written at 0 and 1.0 s; 19 held, the while now 2 s. */
	collect();
	ck_assert_uint_eq(nlines, 2);
	/* Back after 12 s: it had stopped, so the next while is 1 s. */
	fake_now += 10000;
	log_info("tick");
	fake_now += 500;
	log_info("tick");
	fake_now += 600;
	log_info("tick");
	collect();
	ck_assert_uint_eq(nlines, 4);
	ck_assert_str_eq(lines[2],
	    "tick (19 more like this in the last 12.0s)");
	ck_assert_str_eq(lines[3], "tick (1 more like this in the last 1.1s)");
}
END_TEST

/* A count held over its while comes out before the next line of any kind. */
START_TEST(test_log_count_before_next_line)
{
	log_warnx("a");
	fake_now += 100;
	log_warnx("a");
	log_warnx("a");
	fake_now += 400;
	log_warnx("b");
	collect();
	ck_assert_uint_eq(nlines, 2);
	fake_now += 1500;
	log_warnx("c");
	collect();
	ck_assert_uint_eq(nlines, 4);
	ck_assert_str_eq(lines[2], "a (2 more like this in the last 2.0s, none since)");
	ck_assert_str_eq(lines[3], "c");
}
END_TEST

/* log_flush() writes what is held at once, and the line's while goes on. */
START_TEST(test_log_flush_writes_all_held)
{
	log_warnx("a");
	log_warnx("a");
	log_warnx("b");
	fake_now += 300;
	log_flush();
	collect();
	ck_assert_uint_eq(nlines, 3);
	ck_assert_str_eq(lines[2], "a (1 more like this in the last 0.3s, none since)");
	/* Nothing held: nothing to say. */
	log_flush();
	fake_now += 300;
	log_warnx("a");
	collect();
	ck_assert_uint_eq(nlines, 3);
	fake_now += 1000;
	log_warnx("a");
	collect();
	ck_assert_uint_eq(nlines, 4);
	ck_assert_str_eq(lines[3], "a (1 more like this in the last 1.3s)");
}
END_TEST

/* More lines than the table holds: every copy written or counted. */
START_TEST(test_log_full_table_loses_nothing)
{
	unsigned long	total = 0;
	size_t		i;
	int		n, r;

	for (r = 0; r < 3; r++)
		for (n = 0; n < 200; n++) {
			log_warnx("peer %d unreachable", n);
			fake_now += 1;
		}
	fake_now += 60000;
	log_flush();
	collect();
	for (i = 0; i < nlines; i++)
		total += 1 + count_of(lines[i]);
	ck_assert_uint_eq(total, 600);
	/* Each line once at least, and nothing made up. */
	for (n = 0; n < 200; n++) {
		char	want[64];
		int	seen = 0;

		snprintf(want, sizeof(want), "peer %d unreachable", n);
		for (i = 0; i < nlines; i++)
			if (strncmp(lines[i], want, strlen(want)) == 0 &&
			    (lines[i][strlen(want)] == '\0' ||
			    lines[i][strlen(want)] == ' '))
				seen = 1;
		ck_assert_msg(seen, "%s never written", want);
	}
}
END_TEST

/* A long line is told apart by all of it, and a lone count cut short. */
START_TEST(test_log_long_lines)
{
	char	a[1500], b[1500];

	memset(a, 'x', sizeof(a) - 1);
	a[sizeof(a) - 1] = '\0';
	memcpy(b, a, sizeof(b));
	b[sizeof(b) - 2] = 'y';
	log_warnx("%s", a);
	log_warnx("%s", b);
	log_warnx("%s", a);
	collect();
	ck_assert_uint_eq(nlines, 2);
	ck_assert_str_eq(lines[0], a);
	ck_assert_str_eq(lines[1], b);
	fake_now += 2000;
	log_flush();
	collect();
	ck_assert_uint_eq(nlines, 3);
	ck_assert_uint_lt(strlen(lines[2]), 300);
	ck_assert_ptr_nonnull(strstr(lines[2],
	    "x... (1 more like this in the last 2.0s, none since)"));
}
END_TEST

/* fatal() writes the counts still held, then itself. */
START_TEST(test_log_fatal_writes_counts)
{
	pid_t	pid;
	int	status;

	fflush(NULL);
	if ((pid = fork()) == 0) {
		log_warnx("x");
		log_warnx("x");
		log_warnx("x");
		fatalx("broken %s", "invariant");
	}
	ck_assert_int_gt(pid, 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	collect();
	ck_assert_uint_eq(nlines, 3);
	ck_assert_str_eq(lines[0], "x");
	ck_assert_str_eq(lines[1], "x (2 more like this in the last 0.0s, none since)");
	ck_assert_str_eq(lines[2], "fatal: broken invariant");
}
END_TEST

/* fatal() adds strerror; the process is named once, by the prefix. */
START_TEST(test_log_fatal_names_process_once)
{
	pid_t	pid;
	int	status;

	fflush(NULL);
	if ((pid = fork()) == 0) {
		errno = ENOENT;
		fatal("open %s", "x.conf");
	}
	ck_assert_int_gt(pid, 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	collect();
	ck_assert_uint_eq(nlines, 1);
	ck_assert_str_eq(lines[0], "fatal: open x.conf: No such file or directory");
}
END_TEST

/* A process that ends with counts held writes them as it exits. */
START_TEST(test_log_exit_writes_counts)
{
	pid_t	pid;
	int	status;

	fflush(NULL);
	if ((pid = fork()) == 0) {
		log_info("SIGHUP");
		log_info("SIGHUP");
		exit(0);
	}
	ck_assert_int_gt(pid, 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	collect();
	ck_assert_uint_eq(nlines, 2);
	ck_assert_str_eq(lines[1],
	    "SIGHUP (1 more like this in the last 0.0s, none since)");
}
END_TEST

Suite *
log_suite(void)
{
	Suite	*s = suite_create("log");
	TCase	*tc = tcase_create("repeats");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_log_repeat_written_once_then_counted);
	tcase_add_test(tc, test_log_distinct_texts_all_written);
	tcase_add_test(tc, test_log_warn_keeps_errno);
	tcase_add_test(tc, test_log_flood_backs_off_and_loses_nothing);
	tcase_add_test(tc, test_log_quiet_line_starts_small_again);
	tcase_add_test(tc, test_log_count_before_next_line);
	tcase_add_test(tc, test_log_flush_writes_all_held);
	tcase_add_test(tc, test_log_full_table_loses_nothing);
	tcase_add_test(tc, test_log_long_lines);
	tcase_add_test(tc, test_log_fatal_writes_counts);
	tcase_add_test(tc, test_log_fatal_names_process_once);
	tcase_add_test(tc, test_log_exit_writes_counts);
	suite_add_tcase(s, tc);
	return s;
}
