/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Included by test_main.c: the claim of a call's .bss slot (bpf/call_slot.h), raced by threads
 * on one slot as the BPF programs of two CPUs would race on it: never two owners at once, and
 * every claim that fails leaves the slot as it found it.
 */
#include <pthread.h>
#include <stdbool.h>
#include "call_slot.h"

#define SLOT_RACERS 4
#define SLOT_ROUNDS 200000

struct slot_race {
	struct call_slot *s;
	unsigned int mark;
	unsigned int *inside;	/* owners at this moment, shared */
	unsigned long owned, refused, overlaps, wrong_owner;
};

static void *slot_racer(void *arg)
{
	struct slot_race *r = arg;
	int i;

	for (i = 0; i < SLOT_ROUNDS; i++) {
		if (!call_slot_claim(r->s, r->mark)) {
			r->refused++;
			continue;
		}
		r->owned++;
		if (__sync_add_and_fetch(r->inside, 1) != 1)
			r->overlaps++;
		if (*(volatile unsigned int *)&r->s->owner != r->mark)
			r->wrong_owner++;
		__sync_sub_and_fetch(r->inside, 1);
		call_slot_free(r->s);
	}
	return NULL;
}

static void test_call_slot(void)
{
	struct call_slot slot = {}, slots[CALL_SLOTS] = {};
	struct slot_race r[SLOT_RACERS];
	pthread_t t[SLOT_RACERS];
	unsigned int inside = 0, id, hit[CALL_SLOTS] = {}, used = 0;
	unsigned long owned = 0, overlaps = 0, wrong = 0;
	int i;

	for (i = 0; i < SLOT_RACERS; i++) {
		r[i] = (struct slot_race){ .s = &slot, .mark = (100 + i) | CALL_OWNED, .inside = &inside };
		CHECK(pthread_create(&t[i], NULL, slot_racer, &r[i]) == 0, "racer %d", i);
	}
	for (i = 0; i < SLOT_RACERS; i++) {
		pthread_join(t[i], NULL);
		owned += r[i].owned;
		overlaps += r[i].overlaps;
		wrong += r[i].wrong_owner;
	}
	CHECK(overlaps == 0, "%lu claims overlapped another owner's", overlaps);
	CHECK(wrong == 0, "%lu owners found another's mark", wrong);
	CHECK(slot.owner == 0 && slot.claims == 0, "left owner %#x claims %u", slot.owner, slot.claims);
	/* no claim is promised to win (both of two racers may back off): only that some do */
	CHECK(owned > 0, "none of %d claims by %d threads owned the slot", SLOT_RACERS * SLOT_ROUNDS, SLOT_RACERS);

	/* a held slot refuses, its owner's id finds it, and consecutive thread ids spread */
	CHECK(call_slot_claim(&slot, 7 | CALL_OWNED) && !call_slot_claim(&slot, 8 | CALL_OWNED) &&
	      slot.owner == (7 | CALL_OWNED) && slot.claims == 1, "owner %#x claims %u", slot.owner, slot.claims);
	call_slot_free(&slot);
	for (id = 1000; id < 1000 + CALL_SLOTS; id++) {
		struct call_slot *s = call_slot_at(slots, sizeof(slots[0]), id);

		CHECK(s >= slots && s < slots + CALL_SLOTS, "id %u: slot out of the array", id);
		if (s >= slots && s < slots + CALL_SLOTS && !hit[s - slots]++)
			used++;
	}
	CHECK(used >= CALL_SLOTS / 2, "%d consecutive ids in %u of %d slots", CALL_SLOTS, used, CALL_SLOTS);
}
