/* show.c - a ring's numbers, for people (info, ls) and for programs
 * (--json). info and ls print the same fields under the same names. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>

#include "tool.h"

uint32_t stats_others_attached(const struct shmring_stats *st)
{
	/* The snapshot is taken through our own mapping, which the kernel
	 * counts; leaving it out makes the number agree with ipcs(1) run on
	 * its own. */
	return st->attached > 0 ? st->attached - 1 : 0;
}

bool anchor_is_current(const struct shmring_stats *st)
{
	int32_t key;
	if (st->anchor[0] == '\0')
		return false;
	/* A key match: the file is there and still derives this ring's key
	 * (ftok(3) of a re-created file usually gives a different one). */
	return shmring_key(st->anchor, &key) == 0 && key == st->key;
}

/* A path on one line: control characters (a newline in a file name would
 * split an ls entry in two) are shown as '?', like ls(1) does. */
static void put_path(FILE *out, const char *path)
{
	for (const unsigned char *p = (const unsigned char *)path; *p; p++)
		fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, out);
}

static unsigned hex_key(const struct shmring_stats *st)
{
	return (unsigned)(uint32_t)st->key;
}

void show_info_text(FILE *out, const char *name, const struct shmring_stats *st)
{
	const char *anchor_note = "";
	if (st->anchor[0] && !anchor_is_current(st))
		anchor_note = " (anchor file gone)";
	fputs("ring:         ", out);
	put_path(out, name);
	fputs("\nanchor:       ", out);
	put_path(out, st->anchor[0] ? st->anchor : "(none: made by key)");
	fprintf(out, "%s\n", anchor_note);
	fprintf(out, "key:          0x%08x\n", hex_key(st));
	fprintf(out, "shmid:        %" PRId32 "\n", st->shmid);
	fprintf(out, "semid:        %" PRId32 "\n", st->semid);
	fprintf(out, "mode:         %04" PRIo32 "\n", st->mode);
	fprintf(out, "creator pid:  %" PRId32 "\n", st->creator_pid);
	fprintf(out, "capacity:     %" PRIu64 " bytes\n", st->capacity);
	fprintf(out, "max message:  %" PRIu64 " bytes\n", st->max_msg);
	fprintf(out, "segment:      %" PRIu64 " bytes\n", st->segment_size);
	fprintf(out, "used:         %" PRIu64 " bytes\n", st->used);
	fprintf(out, "messages:     %" PRIu64 "\n", st->messages);
	fprintf(out, "sent:         %" PRIu64 "\n", st->sent);
	fprintf(out, "received:     %" PRIu64 "\n", st->received);
	fprintf(out, "readers:      %" PRIu32 "\n", st->readers);
	fprintf(out, "writers:      %" PRIu32 "\n", st->writers);
	fprintf(out, "attached:     %" PRIu32 "\n", stats_others_attached(st));
}

void show_json(FILE *out, const char *name, const struct shmring_stats *st)
{
	fputc('{', out);
	if (name) {
		fputs("\"ring\":", out);
		json_string(out, name);
		fputc(',', out);
	}
	fputs("\"anchor\":", out);
	json_string(out, st->anchor);
	fprintf(out, ",\"anchor_exists\":%s", anchor_is_current(st) ? "true" : "false");
	fprintf(out, ",\"key\":\"0x%08x\"", hex_key(st));
	fprintf(out, ",\"shmid\":%" PRId32 ",\"semid\":%" PRId32, st->shmid, st->semid);
	fprintf(out, ",\"mode\":\"%04" PRIo32 "\"", st->mode);
	fprintf(out, ",\"creator_pid\":%" PRId32, st->creator_pid);
	fprintf(out, ",\"capacity\":%" PRIu64 ",\"max_msg\":%" PRIu64, st->capacity, st->max_msg);
	fprintf(out, ",\"segment_size\":%" PRIu64, st->segment_size);
	fprintf(out, ",\"used\":%" PRIu64 ",\"messages\":%" PRIu64, st->used, st->messages);
	fprintf(out, ",\"sent\":%" PRIu64 ",\"received\":%" PRIu64, st->sent, st->received);
	fprintf(out, ",\"readers\":%" PRIu32 ",\"writers\":%" PRIu32, st->readers, st->writers);
	fprintf(out, ",\"attached\":%" PRIu32 "}", stats_others_attached(st));
}

void show_ls_header(FILE *out)
{
	fprintf(out, "%-10s %9s %9s %4s %10s %8s %9s %10s %7s %7s %8s  %s\n", "KEY", "SHMID",
		"SEMID", "MODE", "CAPACITY", "MAX_MSG", "MESSAGES", "USED", "READERS", "WRITERS",
		"ATTACHED", "ANCHOR");
}

void show_ls_line(FILE *out, const struct shmring_stats *st)
{
	fprintf(out,
		"0x%08x %9" PRId32 " %9" PRId32 " %04" PRIo32 " %10" PRIu64 " %8" PRIu64
		" %9" PRIu64 " %10" PRIu64 " %7" PRIu32 " %7" PRIu32 " %8" PRIu32 "  ",
		hex_key(st), st->shmid, st->semid, st->mode, st->capacity, st->max_msg,
		st->messages, st->used, st->readers, st->writers, stats_others_attached(st));
	put_path(out, st->anchor[0] ? st->anchor : "-");
	fputs(st->anchor[0] && !anchor_is_current(st) ? " (anchor file gone)\n" : "\n", out);
}
