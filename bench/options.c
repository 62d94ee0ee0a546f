/*
 * options.c - the transports compiled in, the command line, and the run
 * plan it makes (modes, sizes, transports).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "load.h"
#include "options.h"
#include "run.h"

const struct transport *const transports[] = {
	&transport_shmring,
	&transport_shmring_batch,
	&transport_shmring_zc,
	&transport_shmring_4p,
	&transport_pipe,
	&transport_pipe_4w,
	&transport_fifo,
	&transport_unix_stream,
	&transport_unix_seqpacket,
	&transport_sysv_msgq,
	&transport_posix_mq,
#ifdef HAVE_ZMQ
	&transport_zmq,
#endif
#ifdef HAVE_BOOST_IPC
	&transport_boost_mq,
#endif
	NULL,
};

static const size_t default_sizes[] = {8, 64, 512, 4096, 65536, 1048576};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: shmring-bench [OPTION]...\n"
		"Measure one-way throughput and round-trip latency of shmring against pipes,\n"
		"FIFOs, Unix sockets, System V and POSIX message queues, ZeroMQ and\n"
		"Boost.Interprocess, each producer and consumer in its own process. Every\n"
		"message is verified; any loss or corruption fails the run (exit status 1).\n"
		"\n"
		"  --full          complete run: 1 s per cell, 5 runs each (median)\n"
		"  --tiny          a few thousand messages per cell, for `make check`\n"
		"                  (default: quick run, 0.12 s per cell, 5 runs each)\n"
		"  --only LIST     only these transports, comma separated (see --list)\n"
		"  --sizes LIST    message sizes, e.g. 8,64,4k,1M\n"
		"                  (default 8,64,512,4096,65536,1048576)\n"
		"  --seconds S     producers send for S seconds per cell\n"
		"  --repeat N      runs per cell; the median is reported\n"
		"  --budget BYTES  buffering per channel (default 256k; at least 4 messages)\n"
		"  --batch N       messages per batch call (default 64)\n"
		"  --buf-offset N  copying cells run with page-aligned user buffers and\n"
		"                  with buffers N bytes past a page (default 1; 0: page\n"
		"                  only); the slower is reported\n"
		"  --csv PATH      CSV file (default bench/results/bench.csv)\n"
		"  --plot PATH     PNG plot via gnuplot (default bench/results/bench.png)\n"
		"  --no-plot       no plot\n"
		"  --no-pingpong   no round-trip latency measurement\n"
		"  --no-idle       no idle-reader CPU measurement\n"
		"  --no-sysctl     never raise kernel limits (implied by --tiny); sizes a\n"
		"                  queue cannot carry are skipped\n"
		"  --load[=N]      N CPU-bound processes run beside the whole measurement\n"
		"                  (a busy host; default one per online CPU); results go\n"
		"                  to bench/results/bench-busy.csv and .png by default\n"
		"  --pin           pin each process to a CPU (default: the scheduler decides)\n"
		"  --list          list the transports compiled in, and exit\n"
		"  --help          this text\n");
}

static void list_transports(void)
{
	for (unsigned i = 0; transports[i]; i++)
		printf("%-15s %s\n", transports[i]->name, transports[i]->desc);
}

static const struct transport *lookup(const char *name)
{
	for (unsigned i = 0; transports[i]; i++)
		if (strcmp(transports[i]->name, name) == 0)
			return transports[i];
	return NULL;
}

static int parse_only(struct plan *p, const char *list)
{
	char *copy = strdup(list), *save = NULL;

	if (!copy)
		return -ENOMEM;
	p->ntr = 0;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		const struct transport *t = lookup(tok);

		if (!t) {
			fprintf(stderr, "shmring-bench: unknown transport '%s' (see --list)\n",
				tok);
			free(copy);
			return -EINVAL;
		}
		if (p->ntr == PLAN_MAX_TRANSPORTS)
			break;
		p->tr[p->ntr++] = t;
	}
	free(copy);
	return p->ntr ? 0 : -EINVAL;
}

static int parse_sizes(struct plan *p, const char *list)
{
	char *copy = strdup(list), *save = NULL;

	if (!copy)
		return -ENOMEM;
	p->nsizes = 0;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		size_t v;

		if (bench_parse_size(tok, &v) < 0 || v < PAYLOAD_MIN_SIZE || v > (16u << 20) ||
		    p->nsizes == PLAN_MAX_SIZES) {
			fprintf(stderr,
				"shmring-bench: bad size '%s' (8 B .. 16 MiB, at most %d)\n", tok,
				PLAN_MAX_SIZES);
			free(copy);
			return -EINVAL;
		}
		p->sizes[p->nsizes++] = v;
	}
	free(copy);
	return p->nsizes ? 0 : -EINVAL;
}

static void set_mode(struct plan *p, const char *mode)
{
	p->mode = mode;
	p->cfg.count = 0;
	if (strcmp(mode, "full") == 0) {
		p->cfg.run_ns = 1000000000u;
		p->repeat = 5;
		p->pp_ns = 1000000000u;
		p->idle_ns = 2000000000u;
	} else if (strcmp(mode, "tiny") == 0) {
		p->cfg.count = 3000;
		p->repeat = 1;
		p->pp_ns = 0;
		p->idle_ns = 100000000u;
	} else {
		/* Five short runs and their median beat one long run on a small
		   machine where anything else that wakes up skews a run. */
		p->cfg.run_ns = 120000000u;
		p->repeat = 5;
		p->pp_ns = 150000000u;
		p->idle_ns = 1000000000u;
	}
}

/* --load=N, --load N or a bare --load (one per online CPU). */
static int parse_load(struct plan *p, int argc, char **argv)
{
	const char *arg = optarg;
	char *end;
	long n;

	if (!arg && optind < argc && argv[optind][0] >= '0' && argv[optind][0] <= '9')
		arg = argv[optind++];
	if (!arg) {
		n = sysconf(_SC_NPROCESSORS_ONLN);
		p->load = n > 0 ? (unsigned)n : 1;
		return 0;
	}
	n = strtol(arg, &end, 10);
	if (*end != '\0' || n < 0 || n > LOAD_MAX) {
		fprintf(stderr, "shmring-bench: bad --load '%s' (0 .. %d)\n", arg, LOAD_MAX);
		return -1;
	}
	p->load = (unsigned)n;
	return 0;
}

int parse_args(int argc, char **argv, struct plan *p, struct options *o)
{
	enum { O_FULL = 256, O_TINY, O_ONLY, O_SIZES, O_SECONDS, O_REPEAT, O_BUDGET, O_BATCH,
	       O_BUFOFF, O_CSV, O_PLOT, O_NOPLOT, O_NOPP, O_NOIDLE, O_NOSYSCTL, O_LOAD, O_PIN,
	       O_LIST, O_HELP };
	static const struct option longopts[] = {
		{"full", no_argument, NULL, O_FULL},
		{"tiny", no_argument, NULL, O_TINY},
		{"only", required_argument, NULL, O_ONLY},
		{"sizes", required_argument, NULL, O_SIZES},
		{"seconds", required_argument, NULL, O_SECONDS},
		{"repeat", required_argument, NULL, O_REPEAT},
		{"budget", required_argument, NULL, O_BUDGET},
		{"batch", required_argument, NULL, O_BATCH},
		{"buf-offset", required_argument, NULL, O_BUFOFF},
		{"csv", required_argument, NULL, O_CSV},
		{"plot", required_argument, NULL, O_PLOT},
		{"no-plot", no_argument, NULL, O_NOPLOT},
		{"no-pingpong", no_argument, NULL, O_NOPP},
		{"no-idle", no_argument, NULL, O_NOIDLE},
		{"no-sysctl", no_argument, NULL, O_NOSYSCTL},
		{"load", optional_argument, NULL, O_LOAD},
		{"pin", no_argument, NULL, O_PIN},
		{"list", no_argument, NULL, O_LIST},
		{"help", no_argument, NULL, O_HELP},
		{NULL, 0, NULL, 0},
	};
	double secs = -1;
	long repeat = 0, batch = 0, bufoff = 1;
	char *end;
	const char *only = NULL, *sizes = NULL;
	size_t budget = 0;
	int opt;

	set_mode(p, "quick");
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case O_FULL:
			set_mode(p, "full");
			break;
		case O_TINY:
			set_mode(p, "tiny");
			sysctl_forbid(); /* make check must not change the system */
			break;
		case O_ONLY:
			only = optarg;
			break;
		case O_SIZES:
			sizes = optarg;
			break;
		case O_SECONDS:
			secs = strtod(optarg, NULL);
			if (secs <= 0 || secs > 600) {
				fprintf(stderr, "shmring-bench: bad --seconds '%s'\n", optarg);
				return -1;
			}
			break;
		case O_REPEAT:
			repeat = strtol(optarg, NULL, 10);
			if (repeat < 1 || repeat > 99) {
				fprintf(stderr, "shmring-bench: bad --repeat '%s'\n", optarg);
				return -1;
			}
			break;
		case O_BUDGET:
			if (bench_parse_size(optarg, &budget) < 0 || budget < 4096) {
				fprintf(stderr, "shmring-bench: bad --budget '%s'\n", optarg);
				return -1;
			}
			break;
		case O_BATCH:
			batch = strtol(optarg, NULL, 10);
			if (batch < 1 || batch > 4096) {
				fprintf(stderr, "shmring-bench: bad --batch '%s'\n", optarg);
				return -1;
			}
			break;
		case O_BUFOFF:
			bufoff = strtol(optarg, &end, 10);
			if (*end != '\0' || bufoff < 0 || bufoff >= (long)CHAN_PAGE) {
				fprintf(stderr, "shmring-bench: bad --buf-offset '%s' (0 .. %u)\n",
					optarg, CHAN_PAGE - 1);
				return -1;
			}
			break;
		case O_CSV:
			o->csv = optarg;
			break;
		case O_PLOT:
			o->plot = optarg;
			o->plot_given = 1;
			break;
		case O_NOPLOT:
			o->no_plot = 1;
			break;
		case O_NOPP:
			o->no_pingpong = 1;
			break;
		case O_NOIDLE:
			o->no_idle = 1;
			break;
		case O_NOSYSCTL:
			sysctl_forbid();
			break;
		case O_LOAD:
			if (parse_load(p, argc, argv) < 0)
				return -1;
			break;
		case O_PIN:
			run_pin(1);
			p->pinned = 1;
			break;
		case O_LIST:
			list_transports();
			exit(0);
		case O_HELP:
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "shmring-bench: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (secs > 0) {
		p->cfg.count = 0;
		p->cfg.run_ns = (uint64_t)(secs * 1e9);
		p->pp_ns = p->cfg.run_ns;
	}
	if (repeat)
		p->repeat = (unsigned)repeat;
	p->cfg.budget = budget ? budget : 256u << 10;
	p->cfg.batch = batch ? (unsigned)batch : 64;
	p->cfg.buf_offset = (size_t)bufoff;
	p->cfg.timeout_s = 30;
	p->pp_size = 64;
	if (only) {
		if (parse_only(p, only) < 0)
			return -1;
	} else {
		for (p->ntr = 0; transports[p->ntr] && p->ntr < PLAN_MAX_TRANSPORTS; p->ntr++)
			p->tr[p->ntr] = transports[p->ntr];
	}
	if (sizes) {
		if (parse_sizes(p, sizes) < 0)
			return -1;
	} else {
		p->nsizes = sizeof(default_sizes) / sizeof(default_sizes[0]);
		memcpy(p->sizes, default_sizes, sizeof(default_sizes));
	}
	return 0;
}
