/* Record placement and validation (lib/ring.c): pure arithmetic, checked
 * case by case, including every way a record header can lie. */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "layout.h"
#include "ring.h"

#define CAP 4096u

TestSuite(ring);

static uint8_t area[CAP];

static void put(uint64_t off, uint32_t len, uint32_t tag)
{
	ring_put_header(area, off, len, tag);
}

Test(ring, span_accepts_aligned_indexes_up_to_capacity)
{
	cr_assert_eq(shmring__ring_check_span(CAP, 0, 0), 0);
	cr_assert_eq(shmring__ring_check_span(CAP, 8, CAP + 8), 0);
	cr_assert_eq(shmring__ring_check_span(CAP, UINT64_MAX - 7, UINT64_MAX - 7 + 64), 0,
		     "free-running indexes may wrap");
}

Test(ring, span_rejects_misaligned_reversed_or_overfull_indexes)
{
	cr_assert_eq(shmring__ring_check_span(CAP, 4, 8), -EUCLEAN);
	cr_assert_eq(shmring__ring_check_span(CAP, 0, 12), -EUCLEAN);
	cr_assert_eq(shmring__ring_check_span(CAP, 16, 8), -EUCLEAN, "head past tail");
	cr_assert_eq(shmring__ring_check_span(CAP, 0, CAP + 8), -EUCLEAN, "more than capacity queued");
}

Test(ring, record_sizes_are_header_plus_payload_rounded_to_eight)
{
	cr_assert_eq(layout_record_size(1), 16);
	cr_assert_eq(layout_record_size(8), 16);
	cr_assert_eq(layout_record_size(9), 24);
	cr_assert_eq(layout_record_size(64), 72);
}

Test(ring, padding_is_needed_only_when_the_record_would_cross_the_end)
{
	cr_assert_eq(ring_pad_before(CAP, 0, 72), 0);
	cr_assert_eq(ring_pad_before(CAP, CAP - 72, 72), 0);
	cr_assert_eq(ring_pad_before(CAP, CAP - 64, 72), 64);
	cr_assert_eq(ring_advance(CAP, CAP - 64, 64), 0);
	cr_assert_eq(ring_advance(CAP, 8, 64), 72);
}

Test(ring, plan_fits_the_longest_prefix_and_counts_padding)
{
	char b[100];
	struct iovec m[3] = {{b, 64}, {b, 64}, {b, 64}};
	uint64_t bytes;
	/* From CAP - 80: first fits (72), second needs 8 pad + 72 = 80. */
	cr_assert_eq(shmring__ring_plan(CAP, CAP - 80, 1000, m, 3, &bytes), 3);
	cr_assert_eq(bytes, 72 + 80 + 72);
	cr_assert_eq(shmring__ring_plan(CAP, CAP - 80, 72 + 79, m, 3, &bytes), 1);
	cr_assert_eq(bytes, 72);
	cr_assert_eq(shmring__ring_plan(CAP, 0, 71, m, 3, &bytes), 0);
	cr_assert_eq(bytes, 0);
}

Test(ring, batch_bytes_counts_a_batch_that_laps_the_ring)
{
	char b[2048];
	struct iovec m[3] = {{b, 2000}, {b, 2000}, {b, 2000}};
	/* 2008 each: 2008 + 2008 = 4016 fits, the third needs 80 pad + 2008. */
	cr_assert_eq(shmring__ring_batch_bytes(CAP, 0, m, 2), 4016);
	cr_assert_eq(shmring__ring_batch_bytes(CAP, 0, m, 3), 4016 + 80 + 2008);
	cr_assert_gt(shmring__ring_batch_bytes(CAP, 0, m, 3), CAP);
}

Test(ring, valid_message_record_is_accepted_with_its_payload_offset)
{
	struct ring_record rec;
	put(64, 10, TAG_MSG);
	cr_assert_eq(ring_read_record(area, CAP, 100, 64, 24, &rec), 0);
	cr_assert_eq(rec.tag, TAG_MSG);
	cr_assert_eq(rec.len, 10);
	cr_assert_eq(rec.size, 24);
	cr_assert_eq(rec.offset, 72);
}

Test(ring, message_of_length_zero_is_corrupt)
{
	struct ring_record rec;
	put(0, 0, TAG_MSG);
	cr_assert_eq(ring_read_record(area, CAP, 100, 0, 64, &rec), -EUCLEAN);
}

Test(ring, message_longer_than_max_msg_is_corrupt)
{
	struct ring_record rec;
	put(0, 101, TAG_MSG);
	cr_assert_eq(ring_read_record(area, CAP, 100, 0, CAP, &rec), -EUCLEAN);
	put(0, UINT32_MAX, TAG_MSG);
	cr_assert_eq(ring_read_record(area, CAP, CAP, 0, CAP, &rec), -EUCLEAN);
}

Test(ring, message_crossing_the_end_of_the_area_is_corrupt)
{
	struct ring_record rec;
	put(CAP - 16, 64, TAG_MSG);
	cr_assert_eq(ring_read_record(area, CAP, 1000, CAP - 16, CAP, &rec), -EUCLEAN);
}

Test(ring, message_beyond_the_published_bytes_is_corrupt)
{
	struct ring_record rec;
	put(0, 64, TAG_MSG);
	cr_assert_eq(ring_read_record(area, CAP, 1000, 0, 71, &rec), -EUCLEAN);
	cr_assert_eq(ring_read_record(area, CAP, 1000, 0, 4, &rec), -EUCLEAN, "not even a header");
}

Test(ring, unknown_tag_is_corrupt)
{
	struct ring_record rec;
	put(0, 8, 0x12345678);
	cr_assert_eq(ring_read_record(area, CAP, 100, 0, 64, &rec), -EUCLEAN);
}

Test(ring, padding_must_start_past_zero_and_reach_exactly_the_end)
{
	struct ring_record rec;
	put(CAP - 64, 64, TAG_PAD);
	cr_assert_eq(ring_read_record(area, CAP, 100, CAP - 64, 64, &rec), 0);
	cr_assert_eq(rec.tag, TAG_PAD);
	cr_assert_eq(rec.size, 64);
	put(CAP - 64, 56, TAG_PAD);
	cr_assert_eq(ring_read_record(area, CAP, 100, CAP - 64, 64, &rec), -EUCLEAN, "short pad");
	put(CAP - 64, 64, TAG_PAD);
	cr_assert_eq(ring_read_record(area, CAP, 100, CAP - 64, 32, &rec), -EUCLEAN,
		     "pad beyond published bytes");
	put(0, CAP, TAG_PAD);
	cr_assert_eq(ring_read_record(area, CAP, 100, 0, CAP, &rec), -EUCLEAN, "pad at offset 0");
}

Test(ring, counts_roll_forward_when_the_holder_died_after_publishing_the_index)
{
	struct layout_side side = {.index = 200, .count = 5, .journal_index = 200, .journal_count = 7};
	shmring__ring_recover_counts(&side);
	cr_assert_eq(side.count, 7);
}

Test(ring, counts_stay_when_the_holder_died_before_publishing_the_index)
{
	struct layout_side side = {.index = 100, .count = 5, .journal_index = 200, .journal_count = 7};
	shmring__ring_recover_counts(&side);
	cr_assert_eq(side.count, 5);
	cr_assert_eq(side.index, 100);
}

Test(ring, publish_writes_journal_index_and_count)
{
	struct layout_side side = {0};
	shmring__ring_publish(&side, 72, 1, true);
	cr_assert_eq(side.index, 72);
	cr_assert_eq(side.count, 1);
	cr_assert_eq(side.journal_index, 72);
	cr_assert_eq(side.journal_count, 1);
	shmring__ring_publish(&side, 144, 2, false);
	cr_assert_eq(side.index, 144);
	cr_assert_eq(side.count, 2);
}

Test(ring, copy_moves_exactly_n_bytes_for_every_length_around_the_inline_sizes)
{
	unsigned char src[300], dst[300 + 16];
	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (unsigned char)(i * 7 + 1);
	for (size_t n = 0; n <= 200; n++)
		for (size_t at = 0; at < 8; at++) { /* unaligned both ways too */
			memset(dst, 0xee, sizeof(dst));
			ring_copy(dst + at, src + (8 - at), n);
			cr_assert_arr_eq(dst + at, src + (8 - at), n, "n %zu at %zu", n, at);
			for (size_t i = 0; i < at; i++)
				cr_assert_eq(dst[i], 0xee, "n %zu: byte %zu before written", n, i);
			for (size_t i = at + n; i < sizeof(dst); i++)
				cr_assert_eq(dst[i], 0xee, "n %zu: byte %zu past the end written", n, i);
		}
}
