/*
 * libFuzzer harness for the alert parsers (src/alerts). The first input byte
 * picks the parser (byte % 8, in alert_sources order, so the digits '0'..'7'
 * in the seed files read as alertmanager..generic); the rest is the body.
 * Every successful parse is checked against the record's invariants, so a
 * mapping bug shows as a crash, not only memory errors. See README.md.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alerts/alert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct alert_batch *b)
{
	if (b->n == 0 || b->n > ALERT_MAX_BATCH)
		abort();
	for (size_t i = 0; i < b->n; i++) {
		const struct alert *a = &b->items[i];
		if (!a->title || !*a->title || strlen(a->title) > ALERT_MAX_TITLE)
			abort();
		if (!a->fingerprint || !*a->fingerprint || !a->description)
			abort();
		if (a->severity > ALERT_SEV_CRITICAL || a->n_entities > ALERT_MAX_ENTITIES)
			abort();
		if (!json_is_object(a->labels) || !json_is_object(a->annotations))
			abort();
		for (size_t j = 0; j < a->n_entities; j++)
			if (!alert_entity_valid(a->entities[j].kind, a->entities[j].value))
				abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t n = 0;
	while (alert_sources[n])
		n++;
	const char *source = alert_sources[data[0] % n];
	struct alert_batch b;
	struct strbuf err;
	sb_init(&err, 4096);
	int rc = alert_parse(source, (const char *)data + 1, size - 1, &b, &err);
	if (rc == 0)
		check(&b);
	else if (b.n != 0 || err.len == 0)
		abort(); /* an error must leave the batch empty and say why */
	alert_batch_free(&b);
	sb_free(&err);
	return 0;
}
