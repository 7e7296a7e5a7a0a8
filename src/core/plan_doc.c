#include "core/plan_doc.h"

#include <cmark.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/validate.h"
#include "core/clock.h"
#include "util/timeutil.h"
#include "web/escape.h"

const char *const plan_section_keys[] = {"scope", "roles", "severities", "procedures",
					 "playbooks", "communication", "escalation", "reporting",
					 NULL};
static const char *const section_titles[] = {
	"Scope and objectives", "Roles and responsibilities", "Severity levels and response targets",
	"Procedures by phase", "Playbooks by incident category", "Communication plan",
	"Escalation paths", "Reporting requirements"};
const char *const plan_categories[] = {"unauthorised_access", "malware", "ransomware",
				       "data_breach", "denial_of_service", "phishing",
				       "account_compromise", "insider_threat", "lost_device",
				       "third_party", "other", NULL};
const char *const plan_phases[] = {"preparation", "detection_analysis", "containment",
				   "eradication", "recovery", "post_incident", NULL};
static const char *const phase_titles[] = {"Preparation", "Detection and analysis",
					   "Containment", "Eradication", "Recovery",
					   "Post-incident activity"};
const char *const plan_severities[] = {"critical", "high", "medium", "low", NULL};
const char *const plan_builtin_roles[] = {"incident_commander", "deputy_commander",
					  "technical_lead", "communications_lead",
					  "legal_privacy", "executive_sponsor", NULL};
const char *const plan_reasons[] = {"tabletop_exercise", "real_incident",
				    "organisational_change", "periodic_review", "other", NULL};
static const char *const audiences[] = {"internal", "external", NULL};
static const char *const party_kinds[] = {
	"incident_team", "staff", "stakeholders", "directors", "customers", "data_subjects",
	"regulators", "supervisory_authority", "payment_brands", "acquirers", "microsoft",
	"law_enforcement", "insurers", "suppliers", "media", "other", NULL};
static const char *const channels[] = {"email", "phone", "sms", "chat", "video_call",
				       "in_person", "status_page", "customer_portal",
				       "regulator_portal", "letter", "other", NULL};
static const char *const applies_values[] = {"any", "unauthorised_access", "malware",
					     "ransomware", "data_breach", "denial_of_service",
					     "phishing", "account_compromise", "insider_threat",
					     "lost_device", "third_party", "other", NULL};

/* ---------------- a small strict schema language ---------------- */

enum sk { SK_STR, SK_TEXT, SK_INT, SK_BOOL, SK_ENUM, SK_KEY, SK_OBJ, SK_ARR };

struct sfield {
	const char *name;
	enum sk kind;
	bool required;
	long min, max;               /* length of strings, range of ints, items of arrays */
	const char *const *values;   /* SK_ENUM */
	const struct sfield *fields; /* SK_OBJ: NULL-name-terminated */
	const struct sfield *item;   /* SK_ARR: the items */
};

static void err_at(json_t **errors, const char *path, const char *fmt, ...) PRINTF(3, 4);
static void check_value(json_t *v, const struct sfield *f, const char *path, json_t **errors);
static size_t utf8_chars(const char *s);
static void md_inline(struct strbuf *sb, const char *s);
static void md_list_inline(struct strbuf *sb, json_t *arr);
static void md_fence(struct strbuf *sb, const char *s);

static void err_at(json_t **errors, const char *path, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	validate_add(errors, path, msg);
}

static size_t utf8_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

bool plan_key_valid(const char *s)
{
	if (!s || !(*s >= 'a' && *s <= 'z'))
		return false;
	size_t n = 0;
	for (; *s; s++, n++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return n <= PLAN_KEY_MAX;
}

bool plan_in_list(const char *const *list, const char *s)
{
	if (!s)
		return false;
	for (; *list; list++)
		if (strcmp(*list, s) == 0)
			return true;
	return false;
}

static void enum_msg(json_t **errors, const char *path, const char *const *values)
{
	struct strbuf sb;
	sb_init(&sb, 2000);
	sb_puts(&sb, "must be one of: ");
	for (const char *const *e = values; *e; e++)
		sb_printf(&sb, "%s%s", e == values ? "" : ", ", *e);
	validate_add(errors, path, sb_str(&sb));
	sb_free(&sb);
}

static void check_value(json_t *v, const struct sfield *f, const char *path, json_t **errors)
{
	char sub[512];
	switch (f->kind) {
	case SK_STR:
	case SK_TEXT:
	case SK_ENUM:
	case SK_KEY: {
		if (!json_is_string(v)) {
			err_at(errors, path, "must be a string");
			return;
		}
		const char *s = json_string_value(v);
		if (strlen(s) != json_string_length(v) || !text_is_utf8(s, strlen(s))) {
			err_at(errors, path, "must be valid UTF-8 without NUL characters");
			return;
		}
		if (f->kind == SK_ENUM) {
			if (!plan_in_list(f->values, s))
				enum_msg(errors, path, f->values);
			return;
		}
		if (f->kind == SK_KEY) {
			if (!plan_key_valid(s))
				err_at(errors, path,
				       "must be a key: a lower-case letter, then up to 47 lower-case"
				       " letters, digits or underscores");
			return;
		}
		size_t n = utf8_chars(s);
		long min = f->min ? f->min : 1, max = f->max ? f->max : 500;
		if ((long)n < min || (long)n > max) {
			err_at(errors, path, "must be %ld to %ld characters", min, max);
			return;
		}
		if (f->kind == SK_STR && !text_is_single_line(s)) {
			err_at(errors, path, "must be a single line without control characters");
			return;
		}
		for (const char *p = s; *p; p++)
			if (((unsigned char)*p < 0x20 && *p != '\n' && *p != '\r' && *p != '\t') ||
			    *p == 0x7f) {
				err_at(errors, path, "contains control characters");
				return;
			}
		return;
	}
	case SK_INT:
		if (!json_is_integer(v) || json_integer_value(v) < f->min ||
		    json_integer_value(v) > f->max)
			err_at(errors, path, "must be a whole number from %ld to %ld", f->min, f->max);
		return;
	case SK_BOOL:
		if (!json_is_boolean(v))
			err_at(errors, path, "must be true or false");
		return;
	case SK_ARR: {
		long max = f->max ? f->max : 100;
		if (!json_is_array(v)) {
			err_at(errors, path, "must be an array");
			return;
		}
		if ((long)json_array_size(v) < f->min || (long)json_array_size(v) > max) {
			if (f->min == max)
				err_at(errors, path, "must have exactly %ld items", max);
			else
				err_at(errors, path, "must have %ld to %ld items", f->min, max);
			return;
		}
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x) {
			snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
			check_value(x, f->item, sub, errors);
		}
		return;
	}
	case SK_OBJ: {
		if (!json_is_object(v)) {
			err_at(errors, path, "must be an object");
			return;
		}
		const char *k;
		json_t *x;
		json_object_foreach(v, k, x) {
			const struct sfield *c = f->fields;
			while (c->name && strcmp(c->name, k) != 0)
				c++;
			snprintf(sub, sizeof(sub), "%s.%s", path, k);
			if (!c->name)
				err_at(errors, sub, "unknown field");
			else if (json_is_null(x))
				err_at(errors, sub, c->required ? "is required and may not be null"
								: "may not be null (leave it out)");
			else
				check_value(x, c, sub, errors);
		}
		for (const struct sfield *c = f->fields; c->name; c++)
			if (c->required && !json_object_get(v, c->name)) {
				snprintf(sub, sizeof(sub), "%s.%s", path, c->name);
				err_at(errors, sub, "is required");
			}
		return;
	}
	}
}

/* ---------------- the section schemas ---------------- */

static const struct sfield s_line = {NULL, SK_STR, true, 1, 1000, NULL, NULL, NULL};
static const struct sfield s_key = {NULL, SK_KEY, true, 0, 0, NULL, NULL, NULL};
static const struct sfield s_category = {NULL, SK_ENUM, true, 0, 0, plan_categories, NULL, NULL};
static const struct sfield s_applies = {NULL, SK_ENUM, true, 0, 0, applies_values, NULL, NULL};

static const struct sfield role_f[] = {
	{"key", SK_KEY, true, 0, 0, NULL, NULL, NULL},
	{"name", SK_STR, true, 1, 100, NULL, NULL, NULL},
	{"responsibilities", SK_ARR, true, 1, 30, NULL, NULL, &s_line},
	{"authority", SK_TEXT, false, 1, 2000, NULL, NULL, NULL},
	{NULL},
};
static const struct sfield role_item = {NULL, SK_OBJ, true, 0, 0, NULL, role_f, NULL};
static const struct sfield roles_f[] = {
	{"roles", SK_ARR, true, 1, 50, NULL, NULL, &role_item},
	{NULL},
};

static const struct sfield level_f[] = {
	{"key", SK_ENUM, true, 0, 0, plan_severities, NULL, NULL},
	{"name", SK_STR, true, 1, 100, NULL, NULL, NULL},
	{"description", SK_TEXT, true, 1, 2000, NULL, NULL, NULL},
	{"examples", SK_ARR, false, 0, 20, NULL, NULL, &s_line},
	{"acknowledge_minutes", SK_INT, true, 1, 10080, NULL, NULL, NULL},
	{"update_interval_minutes", SK_INT, true, 5, 10080, NULL, NULL, NULL},
	{"resolve_target_hours", SK_INT, false, 1, 8760, NULL, NULL, NULL},
	{"notify", SK_ARR, true, 1, 30, NULL, NULL, &s_key},
	{NULL},
};
static const struct sfield level_item = {NULL, SK_OBJ, true, 0, 0, NULL, level_f, NULL};
static const struct sfield severities_f[] = {
	{"levels", SK_ARR, true, 4, 4, NULL, NULL, &level_item},
	{NULL},
};

static const struct sfield phase_f[] = {
	{"phase", SK_ENUM, true, 0, 0, plan_phases, NULL, NULL},
	{"steps", SK_ARR, true, 1, 50, NULL, NULL, &s_line},
	{NULL},
};
static const struct sfield phase_item = {NULL, SK_OBJ, true, 0, 0, NULL, phase_f, NULL};
static const struct sfield procedures_f[] = {
	{"phases", SK_ARR, true, 6, 6, NULL, NULL, &phase_item},
	{NULL},
};

static const struct sfield task_f[] = {
	{"title", SK_STR, true, 1, 200, NULL, NULL, NULL},
	{"phase", SK_ENUM, true, 0, 0, plan_phases, NULL, NULL},
	{"role", SK_KEY, false, 0, 0, NULL, NULL, NULL},
	{"due_minutes", SK_INT, false, 1, 525600, NULL, NULL, NULL},
	{"description", SK_TEXT, false, 1, 4000, NULL, NULL, NULL},
	{NULL},
};
static const struct sfield task_item = {NULL, SK_OBJ, true, 0, 0, NULL, task_f, NULL};
static const struct sfield playbook_f[] = {
	{"key", SK_KEY, true, 0, 0, NULL, NULL, NULL},
	{"name", SK_STR, true, 1, 200, NULL, NULL, NULL},
	{"categories", SK_ARR, true, 1, 11, NULL, NULL, &s_category},
	{"summary", SK_TEXT, false, 1, 4000, NULL, NULL, NULL},
	{"tasks", SK_ARR, true, 1, 100, NULL, NULL, &task_item},
	{NULL},
};
static const struct sfield playbook_item = {NULL, SK_OBJ, true, 0, 0, NULL, playbook_f, NULL};
static const struct sfield playbooks_f[] = {
	{"playbooks", SK_ARR, true, 1, 30, NULL, NULL, &playbook_item},
	{NULL},
};

static const struct sfield chan_f[] = {
	{"primary", SK_ENUM, true, 0, 0, channels, NULL, NULL},
	{"out_of_band", SK_ENUM, true, 0, 0, channels, NULL, NULL},
	{NULL},
};
static const struct sfield template_f[] = {
	{"key", SK_KEY, true, 0, 0, NULL, NULL, NULL},
	{"name", SK_STR, true, 1, 200, NULL, NULL, NULL},
	{"subject", SK_STR, false, 1, 300, NULL, NULL, NULL},
	{"body", SK_TEXT, true, 1, 20000, NULL, NULL, NULL},
	{NULL},
};
static const struct sfield template_item = {NULL, SK_OBJ, true, 0, 0, NULL, template_f, NULL};
static const struct sfield party_f[] = {
	{"key", SK_KEY, true, 0, 0, NULL, NULL, NULL},
	{"name", SK_STR, true, 1, 200, NULL, NULL, NULL},
	{"audience", SK_ENUM, true, 0, 0, audiences, NULL, NULL},
	{"kind", SK_ENUM, true, 0, 0, party_kinds, NULL, NULL},
	{"owner", SK_KEY, true, 0, 0, NULL, NULL, NULL},
	{"when", SK_TEXT, true, 1, 2000, NULL, NULL, NULL},
	{"contact", SK_STR, false, 1, 500, NULL, NULL, NULL},
	{"channels", SK_OBJ, true, 0, 0, NULL, chan_f, NULL},
	{"templates", SK_ARR, false, 0, 10, NULL, NULL, &template_item},
	{NULL},
};
static const struct sfield party_item = {NULL, SK_OBJ, true, 0, 0, NULL, party_f, NULL};
static const struct sfield communication_f[] = {
	{"parties", SK_ARR, true, 1, 50, NULL, NULL, &party_item},
	{NULL},
};

static const struct sfield esc_level_f[] = {
	{"level", SK_INT, true, 1, 10, NULL, NULL, NULL},
	{"after_minutes", SK_INT, true, 0, 10080, NULL, NULL, NULL},
	{"notify", SK_ARR, true, 1, 30, NULL, NULL, &s_key},
	{"note", SK_STR, false, 1, 500, NULL, NULL, NULL},
	{NULL},
};
static const struct sfield esc_level_item = {NULL, SK_OBJ, true, 0, 0, NULL, esc_level_f, NULL};
static const struct sfield path_f[] = {
	{"severity", SK_ENUM, true, 0, 0, plan_severities, NULL, NULL},
	{"levels", SK_ARR, true, 1, 10, NULL, NULL, &esc_level_item},
	{NULL},
};
static const struct sfield path_item = {NULL, SK_OBJ, true, 0, 0, NULL, path_f, NULL};
static const struct sfield escalation_f[] = {
	{"paths", SK_ARR, true, 1, 4, NULL, NULL, &path_item},
	{NULL},
};

static const struct sfield req_f[] = {
	{"clock", SK_KEY, true, 0, 0, NULL, NULL, NULL},
	{"applies_to", SK_ARR, true, 1, 12, NULL, NULL, &s_applies},
	{"personal_data_only", SK_BOOL, false, 0, 0, NULL, NULL, NULL},
	{"min_severity", SK_ENUM, false, 0, 0, plan_severities, NULL, NULL},
	{"notify", SK_STR, true, 1, 200, NULL, NULL, NULL},
	{"owner", SK_KEY, true, 0, 0, NULL, NULL, NULL},
	{"note", SK_TEXT, false, 1, 2000, NULL, NULL, NULL},
	{NULL},
};
static const struct sfield req_item = {NULL, SK_OBJ, true, 0, 0, NULL, req_f, NULL};
static const struct sfield reporting_f[] = {
	{"requirements", SK_ARR, true, 0, 50, NULL, NULL, &req_item},
	{NULL},
};

static void sem_roles(json_t *d, const char *p, json_t **e);
static void sem_severities(json_t *d, const char *p, json_t **e);
static void sem_procedures(json_t *d, const char *p, json_t **e);
static void sem_playbooks(json_t *d, const char *p, json_t **e);
static void sem_communication(json_t *d, const char *p, json_t **e);
static void sem_escalation(json_t *d, const char *p, json_t **e);
static void sem_reporting(json_t *d, const char *p, json_t **e);

struct section_def {
	const char *key;
	const struct sfield *fields; /* NULL: body only */
	void (*semantic)(json_t *data, const char *prefix, json_t **errors);
};

static const struct section_def sections[] = {
	{"scope", NULL, NULL},
	{"roles", roles_f, sem_roles},
	{"severities", severities_f, sem_severities},
	{"procedures", procedures_f, sem_procedures},
	{"playbooks", playbooks_f, sem_playbooks},
	{"communication", communication_f, sem_communication},
	{"escalation", escalation_f, sem_escalation},
	{"reporting", reporting_f, sem_reporting},
};

static const struct section_def *section_def(const char *key)
{
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
		if (strcmp(sections[i].key, key) == 0)
			return &sections[i];
	return NULL;
}

const char *plan_section_title(const char *key)
{
	for (int i = 0; plan_section_keys[i]; i++)
		if (strcmp(plan_section_keys[i], key) == 0)
			return section_titles[i];
	return NULL;
}

bool plan_section_is_standard(const char *key)
{
	return section_def(key) != NULL;
}

/* Reports the second and later occurrences of field `name` among the items of arr. */
static void unique_field(json_t *arr, const char *name, const char *arrpath, json_t **e)
{
	size_t i, j;
	json_t *x, *y;
	json_array_foreach(arr, i, x) {
		const char *a = json_string_value(json_object_get(x, name));
		if (!a)
			continue;
		for (j = 0; j < i; j++) {
			y = json_array_get(arr, j);
			const char *b = json_string_value(json_object_get(y, name));
			if (b && strcmp(a, b) == 0) {
				char path[512];
				snprintf(path, sizeof(path), "%s[%zu].%s", arrpath, i, name);
				err_at(e, path, "'%s' is already used by item %zu", a, j);
				break;
			}
		}
	}
}

static void sem_roles(json_t *d, const char *p, json_t **e)
{
	char path[256];
	snprintf(path, sizeof(path), "%s.roles", p);
	unique_field(json_object_get(d, "roles"), "key", path, e);
}

static int sev_rank(const char *s)
{
	for (int i = 0; plan_severities[i]; i++)
		if (s && strcmp(plan_severities[i], s) == 0)
			return i;
	return -1;
}

static void sem_severities(json_t *d, const char *p, json_t **e)
{
	char path[256];
	json_t *levels = json_object_get(d, "levels");
	snprintf(path, sizeof(path), "%s.levels", p);
	unique_field(levels, "key", path, e);
	/* a more severe level may not have a slower acknowledgement target */
	json_int_t ack[4] = {-1, -1, -1, -1};
	size_t at[4] = {0};
	size_t i;
	json_t *x;
	json_array_foreach(levels, i, x) {
		int r = sev_rank(json_string_value(json_object_get(x, "key")));
		if (r >= 0 && json_is_integer(json_object_get(x, "acknowledge_minutes"))) {
			ack[r] = json_integer_value(json_object_get(x, "acknowledge_minutes"));
			at[r] = i;
		}
	}
	for (int r = 1; r < 4; r++)
		if (ack[r] >= 0 && ack[r - 1] > ack[r]) {
			snprintf(path, sizeof(path), "%s.levels[%zu].acknowledge_minutes", p, at[r - 1]);
			err_at(e, path, "%s must be acknowledged at least as fast as %s (%lld > %lld minutes)",
			       plan_severities[r - 1], plan_severities[r], (long long)ack[r - 1],
			       (long long)ack[r]);
		}
}

static void sem_procedures(json_t *d, const char *p, json_t **e)
{
	char path[256];
	snprintf(path, sizeof(path), "%s.phases", p);
	unique_field(json_object_get(d, "phases"), "phase", path, e);
}

static void sem_playbooks(json_t *d, const char *p, json_t **e)
{
	char path[256];
	json_t *pbs = json_object_get(d, "playbooks");
	snprintf(path, sizeof(path), "%s.playbooks", p);
	unique_field(pbs, "key", path, e);
	/* each category is handled by at most one playbook */
	size_t i, j, k;
	json_t *x, *y, *c, *c2;
	json_array_foreach(pbs, i, x) {
		json_array_foreach(json_object_get(x, "categories"), j, c) {
			const char *cat = json_string_value(c);
			if (!cat)
				continue;
			bool dup = false;
			for (size_t i2 = 0; i2 <= i && !dup; i2++) {
				y = json_array_get(pbs, i2);
				json_array_foreach(json_object_get(y, "categories"), k, c2) {
					if (i2 == i && k >= j)
						break;
					const char *cat2 = json_string_value(c2);
					if (cat2 && strcmp(cat, cat2) == 0) {
						snprintf(path, sizeof(path), "%s.playbooks[%zu].categories[%zu]",
							 p, i, j);
						err_at(e, path, "category '%s' already has a playbook (item %zu)",
						       cat, i2);
						dup = true;
						break;
					}
				}
			}
		}
	}
}

static void sem_communication(json_t *d, const char *p, json_t **e)
{
	char path[256];
	json_t *parties = json_object_get(d, "parties");
	snprintf(path, sizeof(path), "%s.parties", p);
	unique_field(parties, "key", path, e);
	size_t i;
	json_t *x;
	json_array_foreach(parties, i, x) {
		json_t *ch = json_object_get(x, "channels");
		const char *a = json_string_value(json_object_get(ch, "primary"));
		const char *b = json_string_value(json_object_get(ch, "out_of_band"));
		if (a && b && strcmp(a, b) == 0) {
			snprintf(path, sizeof(path), "%s.parties[%zu].channels.out_of_band", p, i);
			err_at(e, path,
			       "must differ from the primary channel: it is the way to reach this party"
			       " when the primary channel is down or compromised");
		}
		char tp[300];
		snprintf(tp, sizeof(tp), "%s.parties[%zu].templates", p, i);
		unique_field(json_object_get(x, "templates"), "key", tp, e);
	}
}

static void sem_escalation(json_t *d, const char *p, json_t **e)
{
	char path[256];
	json_t *paths = json_object_get(d, "paths");
	snprintf(path, sizeof(path), "%s.paths", p);
	unique_field(paths, "severity", path, e);
	size_t i, j;
	json_t *x, *l;
	json_array_foreach(paths, i, x) {
		json_int_t prev = -1;
		json_array_foreach(json_object_get(x, "levels"), j, l) {
			json_t *lv = json_object_get(l, "level"), *af = json_object_get(l, "after_minutes");
			if (json_is_integer(lv) && json_integer_value(lv) != (json_int_t)j + 1) {
				snprintf(path, sizeof(path), "%s.paths[%zu].levels[%zu].level", p, i, j);
				err_at(e, path, "must be %zu: levels are numbered 1, 2, 3 ... in order",
				       j + 1);
			}
			if (json_is_integer(af)) {
				if (json_integer_value(af) <= prev) {
					snprintf(path, sizeof(path), "%s.paths[%zu].levels[%zu].after_minutes",
						 p, i, j);
					err_at(e, path, "must be later than the previous level's (%lld minutes)",
					       (long long)prev);
				}
				prev = json_integer_value(af);
			}
		}
	}
}

static void sem_reporting(json_t *d, const char *p, json_t **e)
{
	char path[256];
	size_t i, j;
	json_t *x, *a;
	json_array_foreach(json_object_get(d, "requirements"), i, x) {
		const char *clk = json_string_value(json_object_get(x, "clock"));
		struct clock_def *cd = NULL;
		if (clk && plan_key_valid(clk)) {
			if (clock_builtin_load(clk, &cd) < 0) {
				snprintf(path, sizeof(path), "%s.requirements[%zu].clock", p, i);
				err_at(e, path,
				       "'%s' is not a known clock: use gdpr_art33, gdpr_art34, nis2_art23,"
				       " dora_art19, sec_8k_105, hipaa_breach, nydfs_500_17, circia or"
				       " customer_contract",
				       clk);
			}
			clock_def_free(cd);
		}
		json_t *ap = json_object_get(x, "applies_to");
		if (json_array_size(ap) > 1)
			json_array_foreach(ap, j, a) {
				if (json_is_string(a) && strcmp(json_string_value(a), "any") == 0) {
					snprintf(path, sizeof(path), "%s.requirements[%zu].applies_to[%zu]",
						 p, i, j);
					err_at(e, path, "'any' must be the only entry when used");
				}
			}
	}
}

int plan_section_validate(const char *key, json_t *data, const char *prefix, json_t **errors)
{
	json_t *before = *errors;
	size_t n0 = json_array_size(before);
	const struct section_def *d = section_def(key);
	if (!d || !d->fields) {
		if (data && !json_is_null(data))
			err_at(errors, prefix,
			       d ? "must be null: the %s section has a Markdown body only"
				 : "must be null: only the standard sections have structured data (%s is not one)",
			       key);
		return json_array_size(*errors) > n0 ? SIRT_EINVAL : 0;
	}
	if (!data || json_is_null(data)) {
		err_at(errors, prefix, "is required: the %s section has structured data", key);
		return SIRT_EINVAL;
	}
	struct sfield top = {NULL, SK_OBJ, true, 0, 0, NULL, d->fields, NULL};
	check_value(data, &top, prefix, errors);
	if (json_array_size(*errors) > n0)
		return SIRT_EINVAL; /* shape first; semantics only on a well-formed document */
	d->semantic(data, prefix, errors);
	return json_array_size(*errors) > n0 ? SIRT_EINVAL : 0;
}

json_t *plan_doc_section(json_t *doc, const char *key)
{
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(doc, "sections"), i, s) {
		const char *k = json_string_value(json_object_get(s, "key"));
		if (k && strcmp(k, key) == 0)
			return s;
	}
	return NULL;
}

static bool key_in(json_t *arr, const char *field, const char *key)
{
	size_t i;
	json_t *x;
	json_array_foreach(arr, i, x) {
		const char *k = json_string_value(json_object_get(x, field));
		if (k && strcmp(k, key) == 0)
			return true;
	}
	return false;
}

static void check_ref(json_t *roles, json_t *parties, json_t *v, const char *path, bool party_ok,
		      json_t **e)
{
	const char *k = json_string_value(v);
	if (!k || key_in(roles, "key", k) || (party_ok && key_in(parties, "key", k)))
		return;
	err_at(e, path,
	       party_ok ? "'%s' is neither a role (roles section) nor a party (communication section)"
			: "'%s' is not a role defined in the roles section",
	       k);
}

int plan_doc_check_complete(json_t *doc, json_t **errors)
{
	size_t n0 = json_array_size(*errors);
	char path[512];
	for (int i = 0; plan_section_keys[i]; i++) {
		json_t *s = plan_doc_section(doc, plan_section_keys[i]);
		snprintf(path, sizeof(path), "sections.%s", plan_section_keys[i]);
		if (!s) {
			err_at(errors, path, "is missing: every plan has the %s section",
			       plan_section_keys[i]);
			continue;
		}
		if (i == 0) {
			const char *body = json_string_value(json_object_get(s, "body"));
			if (!body || strspn(body, " \t\r\n") == strlen(body)) {
				snprintf(path, sizeof(path), "sections.scope.body");
				err_at(errors, path, "must describe the plan's scope and objectives");
			}
		}
		snprintf(path, sizeof(path), "sections.%s.data", plan_section_keys[i]);
		if (plan_section_validate(plan_section_keys[i], json_object_get(s, "data"), path,
					  errors) < 0)
			continue;
	}
	size_t i, j;
	json_t *x, *y;
	json_array_foreach(json_object_get(doc, "sections"), i, x) {
		const char *k = json_string_value(json_object_get(x, "key"));
		if (k && !plan_section_is_standard(k)) {
			snprintf(path, sizeof(path), "sections.%s.data", k);
			if (plan_section_validate(k, json_object_get(x, "data"), path, errors) < 0)
				continue;
		}
	}
	if (json_array_size(*errors) > n0)
		return SIRT_EINVAL;
	/* cross-references, on a document whose sections are each valid */
	json_t *roles = json_object_get(json_object_get(plan_doc_section(doc, "roles"), "data"), "roles");
	json_t *parties = json_object_get(
		json_object_get(plan_doc_section(doc, "communication"), "data"), "parties");
	json_t *levels = json_object_get(
		json_object_get(plan_doc_section(doc, "severities"), "data"), "levels");
	json_array_foreach(levels, i, x) {
		json_array_foreach(json_object_get(x, "notify"), j, y) {
			snprintf(path, sizeof(path), "sections.severities.data.levels[%zu].notify[%zu]", i, j);
			check_ref(roles, parties, y, path, true, errors);
		}
	}
	json_array_foreach(json_object_get(json_object_get(plan_doc_section(doc, "playbooks"), "data"),
					   "playbooks"), i, x) {
		json_array_foreach(json_object_get(x, "tasks"), j, y) {
			json_t *r = json_object_get(y, "role");
			if (!r)
				continue;
			snprintf(path, sizeof(path), "sections.playbooks.data.playbooks[%zu].tasks[%zu].role",
				 i, j);
			check_ref(roles, parties, r, path, false, errors);
		}
	}
	json_array_foreach(parties, i, x) {
		snprintf(path, sizeof(path), "sections.communication.data.parties[%zu].owner", i);
		check_ref(roles, parties, json_object_get(x, "owner"), path, false, errors);
	}
	json_t *paths = json_object_get(
		json_object_get(plan_doc_section(doc, "escalation"), "data"), "paths");
	json_array_foreach(paths, i, x) {
		size_t l;
		json_t *lv;
		json_array_foreach(json_object_get(x, "levels"), l, lv) {
			json_array_foreach(json_object_get(lv, "notify"), j, y) {
				snprintf(path, sizeof(path),
					 "sections.escalation.data.paths[%zu].levels[%zu].notify[%zu]", i, l, j);
				check_ref(roles, parties, y, path, true, errors);
			}
		}
	}
	for (int s = 0; plan_severities[s]; s++)
		if (!key_in(paths, "severity", plan_severities[s])) {
			snprintf(path, sizeof(path), "sections.escalation.data.paths");
			err_at(errors, path, "has no escalation path for %s incidents",
			       plan_severities[s]);
		}
	json_array_foreach(json_object_get(json_object_get(plan_doc_section(doc, "reporting"), "data"),
					   "requirements"), i, x) {
		snprintf(path, sizeof(path), "sections.reporting.data.requirements[%zu].owner", i);
		check_ref(roles, parties, json_object_get(x, "owner"), path, false, errors);
	}
	return json_array_size(*errors) > n0 ? SIRT_EINVAL : 0;
}

/* ---------------- rendering ---------------- */

void plan_fmt_minutes(long m, char *out, size_t n)
{
	if (m <= 0)
		snprintf(out, n, "immediately");
	else if (m % 1440 == 0)
		snprintf(out, n, "%ld d", m / 1440);
	else if (m >= 60 && m % 60 == 0)
		snprintf(out, n, "%ld h", m / 60);
	else if (m > 60)
		snprintf(out, n, "%ld h %ld min", m / 60, m % 60);
	else
		snprintf(out, n, "%ld min", m);
}

/* User text inside a Markdown paragraph, heading or list item: characters
 * that Markdown could read as inline syntax (emphasis, code, links, raw
 * HTML, entities) are backslash-escaped, as is anything at the start that
 * could open a block (heading, list, thematic break); line breaks become
 * spaces. */
static void md_inline(struct strbuf *sb, const char *s)
{
	if (!s)
		return;
	size_t digits = strspn(s, "0123456789");
	for (size_t i = 0; s[i]; i++) {
		char c = s[i];
		if (c == '\n' || c == '\r' || c == '\t')
			c = ' ';
		bool esc = strchr("\\`*_[]<>|~&!", c) != NULL ||
			   (i == 0 && strchr("#+-=", c)) ||
			   (digits && i == digits && (c == '.' || c == ')'));
		if (esc)
			sb_putc(sb, '\\');
		sb_putc(sb, c);
	}
}

static void md_list_inline(struct strbuf *sb, json_t *arr)
{
	size_t i;
	json_t *x;
	json_array_foreach(arr, i, x) {
		if (i)
			sb_puts(sb, ", ");
		md_inline(sb, json_string_value(x));
	}
}

/* A fenced block longer than any run of backticks inside s. */
static void md_fence(struct strbuf *sb, const char *s)
{
	int run = 0, max = 0;
	for (const char *p = s; *p; p++) {
		run = *p == '`' ? run + 1 : 0;
		if (run > max)
			max = run;
	}
	int n = max < 3 ? 3 : max + 1;
	for (int i = 0; i < n; i++)
		sb_putc(sb, '`');
	sb_puts(sb, "text\n");
	sb_puts(sb, s);
	if (*s && s[strlen(s) - 1] != '\n')
		sb_putc(sb, '\n');
	for (int i = 0; i < n; i++)
		sb_putc(sb, '`');
	sb_puts(sb, "\n\n");
}

static const char *phase_title(const char *p)
{
	for (int i = 0; plan_phases[i]; i++)
		if (p && strcmp(plan_phases[i], p) == 0)
			return phase_titles[i];
	return p ? p : "";
}

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static void render_data(const char *key, json_t *d, struct strbuf *sb)
{
	char a[64], b[64];
	size_t i, j;
	json_t *x, *y;
	if (!strcmp(key, "roles")) {
		json_array_foreach(json_object_get(d, "roles"), i, x) {
			sb_puts(sb, "### ");
			md_inline(sb, str(x, "name"));
			sb_puts(sb, " (");
			md_inline(sb, str(x, "key"));
			sb_puts(sb, ")\n\n");
			json_array_foreach(json_object_get(x, "responsibilities"), j, y) {
				sb_puts(sb, "- ");
				md_inline(sb, json_string_value(y));
				sb_putc(sb, '\n');
			}
			if (*str(x, "authority")) {
				sb_puts(sb, "\nAuthority: ");
				md_inline(sb, str(x, "authority"));
				sb_putc(sb, '\n');
			}
			sb_putc(sb, '\n');
		}
	} else if (!strcmp(key, "severities")) {
		json_array_foreach(json_object_get(d, "levels"), i, x) {
			plan_fmt_minutes((long)json_integer_value(json_object_get(x, "acknowledge_minutes")), a, sizeof(a));
			plan_fmt_minutes((long)json_integer_value(json_object_get(x, "update_interval_minutes")), b, sizeof(b));
			sb_puts(sb, "### ");
			md_inline(sb, str(x, "name"));
			sb_puts(sb, " (");
			md_inline(sb, str(x, "key"));
			sb_puts(sb, ")\n\n");
			md_inline(sb, str(x, "description"));
			sb_printf(sb, "\n\n- Acknowledge within: %s\n- Status updates every: %s\n", a, b);
			json_t *rt = json_object_get(x, "resolve_target_hours");
			if (rt)
				sb_printf(sb, "- Resolution target: %lld h\n", (long long)json_integer_value(rt));
			sb_puts(sb, "- Who must be told: ");
			md_list_inline(sb, json_object_get(x, "notify"));
			sb_putc(sb, '\n');
			json_t *ex = json_object_get(x, "examples");
			if (json_array_size(ex)) {
				sb_puts(sb, "- Examples: ");
				md_list_inline(sb, ex);
				sb_putc(sb, '\n');
			}
			sb_putc(sb, '\n');
		}
	} else if (!strcmp(key, "procedures")) {
		json_array_foreach(json_object_get(d, "phases"), i, x) {
			sb_printf(sb, "### %s\n\n", phase_title(str(x, "phase")));
			json_array_foreach(json_object_get(x, "steps"), j, y) {
				sb_printf(sb, "%zu. ", j + 1);
				md_inline(sb, json_string_value(y));
				sb_putc(sb, '\n');
			}
			sb_putc(sb, '\n');
		}
	} else if (!strcmp(key, "playbooks")) {
		json_array_foreach(json_object_get(d, "playbooks"), i, x) {
			sb_puts(sb, "### ");
			md_inline(sb, str(x, "name"));
			sb_puts(sb, "\n\nCategories: ");
			md_list_inline(sb, json_object_get(x, "categories"));
			sb_puts(sb, "\n\n");
			if (*str(x, "summary")) {
				md_inline(sb, str(x, "summary"));
				sb_puts(sb, "\n\n");
			}
			json_array_foreach(json_object_get(x, "tasks"), j, y) {
				sb_printf(sb, "%zu. **%s**: ", j + 1, phase_title(str(y, "phase")));
				md_inline(sb, str(y, "title"));
				if (*str(y, "role")) {
					sb_puts(sb, " (");
					md_inline(sb, str(y, "role"));
					sb_putc(sb, ')');
				}
				json_t *due = json_object_get(y, "due_minutes");
				if (due) {
					plan_fmt_minutes((long)json_integer_value(due), a, sizeof(a));
					sb_printf(sb, ", within %s", a);
				}
				if (*str(y, "description")) {
					sb_puts(sb, ". ");
					md_inline(sb, str(y, "description"));
				}
				sb_putc(sb, '\n');
			}
			sb_putc(sb, '\n');
		}
	} else if (!strcmp(key, "communication")) {
		json_array_foreach(json_object_get(d, "parties"), i, x) {
			json_t *ch = json_object_get(x, "channels");
			sb_puts(sb, "### ");
			md_inline(sb, str(x, "name"));
			sb_printf(sb, " (%s)\n\n- When: ", !strcmp(str(x, "audience"), "internal") ? "internal" : "external");
			md_inline(sb, str(x, "when"));
			sb_puts(sb, "\n- Owner: ");
			md_inline(sb, str(x, "owner"));
			sb_puts(sb, "\n- Primary channel: ");
			md_inline(sb, str(ch, "primary"));
			sb_puts(sb, "\n- Out-of-band channel: ");
			md_inline(sb, str(ch, "out_of_band"));
			sb_putc(sb, '\n');
			if (*str(x, "contact")) {
				sb_puts(sb, "- Contact: ");
				md_inline(sb, str(x, "contact"));
				sb_putc(sb, '\n');
			}
			sb_putc(sb, '\n');
			json_array_foreach(json_object_get(x, "templates"), j, y) {
				sb_puts(sb, "#### Template: ");
				md_inline(sb, str(y, "name"));
				sb_puts(sb, "\n\n");
				if (*str(y, "subject")) {
					sb_puts(sb, "Subject: ");
					md_inline(sb, str(y, "subject"));
					sb_puts(sb, "\n\n");
				}
				md_fence(sb, str(y, "body"));
			}
		}
	} else if (!strcmp(key, "escalation")) {
		json_array_foreach(json_object_get(d, "paths"), i, x) {
			sb_puts(sb, "### ");
			md_inline(sb, str(x, "severity"));
			sb_puts(sb, "\n\n");
			json_array_foreach(json_object_get(x, "levels"), j, y) {
				plan_fmt_minutes((long)json_integer_value(json_object_get(y, "after_minutes")), a, sizeof(a));
				sb_printf(sb, "%lld. after %s: ", (long long)json_integer_value(json_object_get(y, "level")), a);
				md_list_inline(sb, json_object_get(y, "notify"));
				if (*str(y, "note")) {
					sb_puts(sb, " (");
					md_inline(sb, str(y, "note"));
					sb_putc(sb, ')');
				}
				sb_putc(sb, '\n');
			}
			sb_putc(sb, '\n');
		}
	} else if (!strcmp(key, "reporting")) {
		json_array_foreach(json_object_get(d, "requirements"), i, x) {
			sb_puts(sb, "- **");
			md_inline(sb, str(x, "clock"));
			sb_puts(sb, "**: notify ");
			md_inline(sb, str(x, "notify"));
			sb_puts(sb, "; applies to ");
			md_list_inline(sb, json_object_get(x, "applies_to"));
			if (json_is_true(json_object_get(x, "personal_data_only")))
				sb_puts(sb, " when personal data is involved");
			if (*str(x, "min_severity")) {
				sb_puts(sb, ", severity ");
				md_inline(sb, str(x, "min_severity"));
				sb_puts(sb, " or higher");
			}
			sb_puts(sb, "; owner ");
			md_inline(sb, str(x, "owner"));
			if (*str(x, "note")) {
				sb_puts(sb, ". ");
				md_inline(sb, str(x, "note"));
			}
			sb_putc(sb, '\n');
		}
		sb_putc(sb, '\n');
	}
}

void plan_doc_markdown(json_t *v, struct strbuf *sb)
{
	sb_puts(sb, "# ");
	md_inline(sb, str(v, "title"));
	sb_printf(sb, " (%s)\n\n", str(v, "label"));
	sb_printf(sb, "- Version: %s, status: %s\n", str(v, "label"), str(v, "status"));
	json_t *rev = json_object_get(v, "revision");
	sb_puts(sb, "- Reason for this revision: ");
	md_inline(sb, str(rev, "reason"));
	json_t *trig = json_object_get(rev, "trigger");
	if (json_is_object(trig)) {
		sb_puts(sb, " (");
		md_inline(sb, str(trig, "type"));
		sb_puts(sb, ": ");
		md_inline(sb, str(trig, "ref"));
		sb_putc(sb, ')');
	}
	sb_putc(sb, '\n');
	if (*str(rev, "note")) {
		sb_puts(sb, "- Note: ");
		md_inline(sb, str(rev, "note"));
		sb_putc(sb, '\n');
	}
	if (*str(v, "submitted_at")) {
		sb_puts(sb, "- Submitted for review by ");
		md_inline(sb, str(v, "submitted_by"));
		sb_printf(sb, " at %s\n", str(v, "submitted_at"));
	}
	size_t i;
	json_t *x;
	json_array_foreach(json_object_get(v, "approvals"), i, x) {
		sb_puts(sb, "- Approved by ");
		md_inline(sb, str(x, "name"));
		sb_puts(sb, " (");
		md_inline(sb, str(x, "approver"));
		sb_printf(sb, ") at %s", str(x, "approved_at"));
		if (*str(x, "comment")) {
			sb_puts(sb, ": ");
			md_inline(sb, str(x, "comment"));
		}
		sb_putc(sb, '\n');
	}
	if (*str(v, "approved_at"))
		sb_printf(sb, "- In force from %s\n", str(v, "approved_at"));
	if (*str(v, "next_review_due"))
		sb_printf(sb, "- Next review due %s\n", str(v, "next_review_due"));
	json_t *set = json_object_get(v, "settings");
	sb_printf(sb, "- Approvals required: %lld; review every %lld months\n\n",
		  (long long)json_integer_value(json_object_get(set, "approvals_required")),
		  (long long)json_integer_value(json_object_get(set, "review_interval_months")));
	sb_puts(sb, "## Contents\n\n");
	json_array_foreach(json_object_get(v, "sections"), i, x) {
		sb_printf(sb, "%zu. ", i + 1);
		md_inline(sb, str(x, "title"));
		sb_putc(sb, '\n');
	}
	sb_putc(sb, '\n');
	json_array_foreach(json_object_get(v, "sections"), i, x) {
		sb_printf(sb, "## %zu. ", i + 1);
		md_inline(sb, str(x, "title"));
		sb_puts(sb, "\n\n");
		const char *body = str(x, "body");
		if (*body) {
			sb_puts(sb, body);
			sb_puts(sb, body[strlen(body) - 1] == '\n' ? "\n" : "\n\n");
		}
		json_t *d = json_object_get(x, "data");
		if (json_is_object(d))
			render_data(str(x, "key"), d, sb);
	}
}

int plan_markdown_html(const char *md, size_t len, struct strbuf *out)
{
	char *html = cmark_markdown_to_html(md, len, CMARK_OPT_SAFE | CMARK_OPT_VALIDATE_UTF8);
	if (!html)
		return SIRT_EINVAL;
	sb_puts(out, html);
	free(html);
	return sb_status(out);
}

int plan_doc_html(json_t *v, struct strbuf *out)
{
	struct strbuf md;
	sb_init(&md, 16 << 20);
	plan_doc_markdown(v, &md);
	int rc = sb_status(&md);
	if (rc < 0) {
		sb_free(&md);
		return rc;
	}
	sb_puts(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>");
	const char *t = str(v, "title");
	escape_html(out, t, strlen(t));
	sb_printf(out, " (%s)</title>\n", str(v, "label"));
	sb_puts(out, "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em;"
		     "line-height:1.45}table{border-collapse:collapse}th,td{border:1px solid #999;"
		     "padding:.25em .5em;text-align:left;vertical-align:top}pre{white-space:pre-wrap;"
		     "background:#f4f4f4;padding:.5em}</style>\n</head>\n<body>\n");
	rc = plan_markdown_html(sb_str(&md), md.len, out);
	sb_free(&md);
	sb_puts(out, "</body>\n</html>\n");
	return rc < 0 ? rc : sb_status(out);
}
