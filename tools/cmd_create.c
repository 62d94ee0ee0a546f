/* cmd_create.c - `shmring create`: make a ring, after checking the sizes
 * here, where the message can say which limit was hit. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

static const char create_usage[] =
    "Usage: shmring create RING [--size BYTES] [--max-msg BYTES] [--mode OCTAL]\n"
    "       shmring create --key 0xHEX [--size BYTES] [--max-msg BYTES] [--mode OCTAL]\n"
    "Make a ring, and its anchor file RING if missing.\n"
    "\n"
    "  --size BYTES     message space, rounded up to whole pages (default 64K)\n"
    "  --max-msg BYTES  largest message (default: a quarter of the size)\n"
    "  --mode OCTAL     permissions of the ring (default 0666)\n"
    "  --key 0xHEX      name the ring by System V key instead of a path\n"
    "BYTES takes a K, M or G suffix (powers of 1024).\n"
    "Prints the ring's key, ids and capacity. Exit status: 0 made, 1 error\n"
    "(an existing ring is never changed), 2 usage error.\n";

/* The kernel's largest segment, or UINT64_MAX when it does not say. */
static uint64_t system_shmmax(void)
{
	uint64_t limit = UINT64_MAX;
	FILE *f = fopen("/proc/sys/kernel/shmmax", "r");
	if (f) {
		if (fscanf(f, "%" SCNu64, &limit) != 1)
			limit = UINT64_MAX;
		fclose(f);
	}
	return limit;
}

/* @size rounded up to whole pages, as the library does; 0 on overflow. */
static uint64_t whole_pages(uint64_t size)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t rounded = size + (page - size % page) % page;
	return rounded < size ? 0 : rounded;
}

/* Reject sizes that cannot make a ring, saying which limit they break.
 * shmring.h documents the rules: capacity rounds up to whole pages, and a
 * message costs SHMRING_RECORD_OVERHEAD plus its payload padded to 8. */
static int check_sizes(const char *name, uint64_t size, uint64_t max_msg, bool max_msg_given)
{
	uint64_t shmmax = system_shmmax();
	if (size == 0)
		return report_error(name, "size 0 cannot hold a single message");
	if (size > shmmax)
		return report_error(name,
				    "size %" PRIu64 " bytes is over the system limit of %" PRIu64
				    " bytes (/proc/sys/kernel/shmmax)",
				    size, shmmax);
	uint64_t capacity = whole_pages(size);
	if (capacity == 0 || capacity > shmmax)
		return report_error(name,
				    "size %" PRIu64 " rounded up to whole pages is over the system"
				    " limit of %" PRIu64 " bytes (/proc/sys/kernel/shmmax)",
				    size, shmmax);
	if (!max_msg_given)
		return TOOL_OK;
	if (max_msg == 0)
		return report_error(name, "--max-msg 0: a message has at least one byte");
	uint64_t record = SHMRING_RECORD_OVERHEAD + ((max_msg + 7) & ~(uint64_t)7);
	if (record > capacity)
		return report_error(name,
				    "a ring of %" PRIu64
				    " bytes cannot hold one message of %" PRIu64
				    " bytes (each message also takes %u bytes of header)",
				    capacity, max_msg, SHMRING_RECORD_OVERHEAD);
	return TOOL_OK;
}

/* -EEXIST covers "a ring is there" and "something else holds the key":
 * look, so the message says which. */
static int explain_exists(const struct target *t)
{
	struct shmring *other;
	int why = target_open(t, 0, &other);
	if (why == 0)
		shmring_close(other);
	if (why != -EMEDIUMTYPE && why != -ENOTUNIQ && why != -EPROTONOSUPPORT && why != -EUCLEAN)
		why = -EEXIST;
	return report_ring_error(target_name(t), why);
}

static int make_ring(const struct target *t, const struct shmring_options *opt)
{
	const char *name = target_name(t);
	struct shmring *ring;
	struct shmring_stats st;
	int rc = target_create(t, opt, &ring);
	if (rc == -EEXIST)
		return explain_exists(t);
	/* The segment holds the ring's header as well as its capacity, so a
	 * capacity just under shmmax passes check_sizes() and still fails. */
	if (rc == -EFBIG)
		return report_error(name,
				    "a ring of %" PRIu64 " bytes needs a segment of that size plus"
				    " its header, over the system limit of %" PRIu64
				    " bytes (/proc/sys/kernel/shmmax)",
				    whole_pages(opt->capacity), system_shmmax());
	if (rc == -ESTALE)
		return report_error(name, "%s; 'shmring rm' removes its remains",
				    shmring_strerror(rc));
	if (rc == -EINVAL && opt->max_msg)
		return report_error(name,
				    "the library refused a ring of %zu bytes with messages of up to"
				    " %zu bytes (%s)",
				    opt->capacity, opt->max_msg, shmring_strerror(rc));
	if (rc == -EINVAL)
		return report_error(
		    name,
		    "the library refused a ring of %zu bytes with its default maximum"
		    " message (%s); try a smaller --max-msg",
		    opt->capacity, shmring_strerror(rc));
	/* Only the anchor's open(2) says ENOENT here; "no such ring", the
	 * library's text for it, would puzzle someone creating one. */
	if (rc == -ENOENT && t->path)
		return report_error(name, "cannot create the anchor file: %s", strerror(ENOENT));
	if (rc < 0)
		return report_ring_error(name, rc);
	rc = shmring_stats(ring, &st);
	shmring_close(ring);
	if (rc < 0)
		return report_ring_error(name, rc);
	printf("created %s: key 0x%08x shmid %" PRId32 " semid %" PRId32 " capacity %" PRIu64
	       " max_msg %" PRIu64 " mode %04" PRIo32 "\n",
	       name, (unsigned)(uint32_t)st.key, st.shmid, st.semid, st.capacity, st.max_msg,
	       st.mode);
	return finish_stdout(name);
}

int cmd_create(int argc, char **argv)
{
	static const struct option options[] = {
	    {"size", required_argument, NULL, OPT_SIZE},
	    {"max-msg", required_argument, NULL, OPT_MAX_MSG},
	    {"mode", required_argument, NULL, OPT_MODE},
	    {"key", required_argument, NULL, OPT_KEY},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	struct shmring_options opt = {0};
	uint64_t size = SHMRING_DEFAULT_CAPACITY, max_msg = 0;
	bool max_msg_given = false;
	const char *key_text = NULL;
	int c, rc;

	while ((c = getopt_long(argc, argv, ":hV", options, NULL)) != -1) {
		switch (c) {
		case OPT_SIZE:
			rc = parse_size(optarg, &size);
			if (rc < 0)
				return report_usage(argv[0], "--size '%s' is %s", optarg,
						    rc == -ERANGE
							? "too large a number"
							: "not a size such as 4096, 64K or 1M");
			break;
		case OPT_MAX_MSG:
			rc = parse_size(optarg, &max_msg);
			if (rc < 0)
				return report_usage(argv[0], "--max-msg '%s' is %s", optarg,
						    rc == -ERANGE
							? "too large a number"
							: "not a size such as 512, 4K or 1M");
			max_msg_given = true;
			break;
		case OPT_MODE:
			if (parse_mode(optarg, &opt.mode) < 0)
				return report_usage(argv[0],
						    "--mode '%s' is not an octal mode such as 0600",
						    optarg);
			if (opt.mode == 0)
				return report_usage(argv[0],
						    "--mode 0 would let nobody use the ring");
			break;
		case OPT_KEY:
			key_text = optarg;
			break;
		case 'V':
			return print_version(argv[0]);
		case 'h':
			fputs(create_usage, stdout);
			return finish_stdout(argv[0]);
		default:
			return report_bad_option(argv[0], c, argv, optind);
		}
	}
	struct target t;
	int next = optind;
	rc = target_pick(&t, argv[0], key_text, argc, argv, &next);
	if (rc != TOOL_OK)
		return rc;
	if (next < argc)
		return report_usage(argv[0], "unexpected argument '%s'", argv[next]);
	rc = check_sizes(target_name(&t), size, max_msg, max_msg_given);
	if (rc != TOOL_OK)
		return rc;
	if ((uint64_t)(size_t)size != size || (uint64_t)(size_t)max_msg != max_msg)
		return report_error(target_name(&t), "size too large for this machine");
	opt.capacity = (size_t)size;
	opt.max_msg = (size_t)max_msg;
	return make_ring(&t, &opt);
}
