// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include "nameset.h"

#define SLOTS (2 * NAMESET_MAX)

unsigned int name_hash(const char *s, size_t len)
{
	unsigned int h = 2166136261u;

	while (len--)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

/* never 0, which marks an empty slot */
static unsigned int slot_hash(const char *s, size_t len)
{
	return name_hash(s, len) | 1;
}

int nameset_init(struct nameset *s, const char *const *names, int n)
{
	int i;

	memset(s, 0, sizeof(*s));
	if (n > NAMESET_MAX)
		return -1;
	s->names = names;
	s->n = n;
	for (i = 0; i < n; i++) {
		size_t len = strlen(names[i]);
		unsigned int h = slot_hash(names[i], len), k;

		if (len)
			s->first[len & 63] |= 1ULL << ((unsigned char)names[i][0] & 63);
		for (k = h % SLOTS; s->hashes[k] && s->hashes[k] != h; k = (k + 1) % SLOTS)
			;
		s->hashes[k] = h;
	}
	return 0;
}

bool nameset_has(const struct nameset *s, const char *name, size_t len)
{
	unsigned int h, i;
	int k;

	if (!len || !(s->first[len & 63] >> ((unsigned char)name[0] & 63) & 1))
		return false;
	h = slot_hash(name, len);
	for (i = h % SLOTS; s->hashes[i]; i = (i + 1) % SLOTS) {
		if (s->hashes[i] != h)
			continue;
		for (k = 0; k < s->n; k++)
			if (strnlen(s->names[k], len + 1) == len && !memcmp(s->names[k], name, len))
				return true;
	}
	return false;
}
