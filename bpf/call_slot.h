/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VFIOTRACE_CALL_SLOT_H
#define VFIOTRACE_CALL_SLOT_H
/*
 * A call in progress in .bss instead of a map: the slot at the hash of the call's id (its
 * thread's), a plain load away. A hash map's lookup costs a jhash, a bucket walk and a memcmp,
 * each a function call: under TCG the per-thread lookups were 14% of vfiotrace's samples per
 * hit (docs/benchmarks.md, run 21). A thread whose slot another holds keeps its call in the map.
 * Claimed without compare-and-swap (5.12+; 5.10 has only an atomic add that returns nothing):
 * the claimer adds 1 to the slot's claims, and owns it if it then reads 1; two claimers on
 * one word cannot both read 1, and both may back off to the map. Plain C: the unit tests
 * (tests/unit/test_call_slot.c) race threads on it.
 */
#define CALL_SLOT_BITS 6
#define CALL_SLOTS (1 << CALL_SLOT_BITS)
#define CALL_OWNED 0x80000000u		/* ids are below 2^23: a thread's (PID_MAX_LIMIT 2^22) << 1 | level */

struct call_slot {
	unsigned int owner;	/* the call's id | CALL_OWNED; 0: free */
	unsigned int claims;
};

/* struct tag_slot: a struct call_slot and the call, a struct tag */
#define CALL_SLOT_TYPE(tag) struct tag##_slot { struct call_slot s; struct tag v; }
/* CALL_SLOTS slots of struct tag, in words: the slots that several sources share are global, and
 * the skeleton would have to name their type */
#define CALL_SLOT_WORDS(tag) (CALL_SLOTS * sizeof(struct tag##_slot) / 8)

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

static __always_inline struct call_slot *call_slot_at(void *slots, unsigned int stride, unsigned int id)
{
	return (struct call_slot *)((char *)slots + ((id * 0x9e3779b1u) >> (32 - CALL_SLOT_BITS)) * stride);
}

static __always_inline bool call_slot_claim(struct call_slot *s, unsigned int mark)
{
	if (*(volatile unsigned int *)&s->owner)
		return false;
	__sync_fetch_and_add(&s->claims, 1);
	if (*(volatile unsigned int *)&s->claims == 1) {
		s->owner = mark;
		return true;
	}
	__sync_fetch_and_add(&s->claims, -1);
	return false;
}

static __always_inline void call_slot_free(struct call_slot *s)
{
	s->owner = 0;
	__sync_fetch_and_add(&s->claims, -1);
}

#endif
