#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/plan_doc.h"

static json_t *J(const char *s)
{
	json_error_t e;
	json_t *v = json_loads(s, JSON_REJECT_DUPLICATES, &e);
	if (!v)
		fail_msg("bad JSON: %s (%s)", e.text, s);
	return v;
}

static bool has_error(json_t *errors, const char *field, const char *msg)
{
	size_t i;
	json_t *e;
	json_array_foreach(errors, i, e)
		if (!strcmp(json_string_value(json_object_get(e, "field")), field) &&
		    strstr(json_string_value(json_object_get(e, "message")), msg))
			return true;
	return false;
}

static void expect_error(const char *key, const char *data, const char *field, const char *msg)
{
	json_t *d = data ? J(data) : NULL, *errors = NULL;
	assert_int_equal(plan_section_validate(key, d, "data", &errors), SIRT_EINVAL);
	if (!has_error(errors, field, msg)) {
		char *s = json_dumps(errors, 0);
		fail_msg("%s: no error %s '%s' in %s", key, field, msg, s);
	}
	json_decref(errors);
	json_decref(d);
}

static json_t *starter(void)
{
	return J(plan_starter_json);
}

static void test_starter_is_complete(void **state)
{
	json_t *doc = starter(), *errors = NULL;
	int rc = plan_doc_check_complete(doc, &errors);
	if (rc != 0) {
		char *s = json_dumps(errors, 0);
		fail_msg("starter plan incomplete: %s", s);
	}
	/* the eight playbooks of issue 5 plus a general one; every category handled */
	json_t *pbs = json_object_get(json_object_get(plan_doc_section(doc, "playbooks"), "data"),
				      "playbooks");
	assert_true(json_array_size(pbs) >= 8);
	for (int i = 0; plan_categories[i]; i++) {
		bool found = false;
		size_t j, k;
		json_t *p, *c;
		json_array_foreach(pbs, j, p)
			json_array_foreach(json_object_get(p, "categories"), k, c)
				if (!strcmp(json_string_value(c), plan_categories[i]))
					found = true;
		if (!found)
			fail_msg("no playbook for %s", plan_categories[i]);
	}
	/* the communication plan names the parties control 25 lists */
	const char *kinds[] = {"customers", "supervisory_authority", "regulators", "payment_brands",
			       "directors", "microsoft", "stakeholders"};
	json_t *parties = json_object_get(json_object_get(plan_doc_section(doc, "communication"),
							  "data"), "parties");
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		bool found = false;
		size_t j;
		json_t *p;
		json_array_foreach(parties, j, p)
			if (!strcmp(json_string_value(json_object_get(p, "kind")), kinds[i]))
				found = true;
		if (!found)
			fail_msg("no party of kind %s", kinds[i]);
	}
	json_decref(doc);
}

static void test_section_schema_errors(void **state)
{
	expect_error("roles", "{\"roles\": [{\"key\": \"ic\", \"name\": \"IC\", \"responsibilities\": [\"x\"],"
		     " \"colour\": \"red\"}]}", "data.roles[0].colour", "unknown field");
	expect_error("roles", "{\"roles\": [{\"key\": \"IC\", \"name\": \"IC\", \"responsibilities\": [\"x\"]}]}",
		     "data.roles[0].key", "lower-case letter");
	expect_error("roles", "{\"roles\": [{\"key\": \"ic\", \"name\": \"IC\", \"responsibilities\": [\"x\"]},"
		     " {\"key\": \"ic\", \"name\": \"Again\", \"responsibilities\": [\"y\"]}]}",
		     "data.roles[1].key", "already used by item 0");
	expect_error("roles", NULL, "data", "is required");
	expect_error("scope", "{\"x\": 1}", "data", "Markdown body only");
	expect_error("appendix", "{}", "data", "only the standard sections");
	expect_error("severities", "{\"levels\": []}", "data.levels", "exactly 4 items");
#define LV "{\"key\": \"%s\", \"name\": \"n\", \"description\": \"d\"," \
	   " \"acknowledge_minutes\": %d, \"update_interval_minutes\": 60, \"notify\": [\"ic\"]}"
	char buf[2000];
	char l1[300], l2[300], l3[300], l4[300];
	snprintf(l1, sizeof(l1), LV, "critical", 60);
	snprintf(l2, sizeof(l2), LV, "high", 30);
	snprintf(l3, sizeof(l3), LV, "medium", 240);
	snprintf(l4, sizeof(l4), LV, "low", 0);
	snprintf(buf, sizeof(buf), "{\"levels\": [%s, %s, %s, %s]}", l1, l2, l3, l4);
	expect_error("severities", buf, "data.levels[3].acknowledge_minutes", "from 1 to 10080");
	snprintf(l4, sizeof(l4), LV, "low", 1440);
	snprintf(buf, sizeof(buf), "{\"levels\": [%s, %s, %s, %s]}", l1, l2, l3, l4);
	expect_error("severities", buf, "data.levels[0].acknowledge_minutes",
		     "critical must be acknowledged at least as fast as high");
	snprintf(l2, sizeof(l2), LV, "critical", 90);
	snprintf(buf, sizeof(buf), "{\"levels\": [%s, %s, %s, %s]}", l1, l2, l3, l4);
	expect_error("severities", buf, "data.levels[1].key", "already used");
	expect_error("playbooks", "{\"playbooks\": [{\"key\": \"a\", \"name\": \"A\", \"categories\": [\"malware\"],"
		     " \"tasks\": [{\"title\": \"t\", \"phase\": \"containment\"}]},"
		     " {\"key\": \"b\", \"name\": \"B\", \"categories\": [\"phishing\", \"malware\"],"
		     " \"tasks\": [{\"title\": \"t\", \"phase\": \"nap\"}]}]}",
		     "data.playbooks[1].tasks[0].phase", "must be one of");
	expect_error("playbooks", "{\"playbooks\": [{\"key\": \"a\", \"name\": \"A\", \"categories\": [\"malware\"],"
		     " \"tasks\": [{\"title\": \"t\", \"phase\": \"containment\"}]},"
		     " {\"key\": \"b\", \"name\": \"B\", \"categories\": [\"phishing\", \"malware\"],"
		     " \"tasks\": [{\"title\": \"t\", \"phase\": \"containment\"}]}]}",
		     "data.playbooks[1].categories[1]", "already has a playbook");
	expect_error("communication", "{\"parties\": [{\"key\": \"c\", \"name\": \"C\", \"audience\": \"external\","
		     " \"kind\": \"customers\", \"owner\": \"ic\", \"when\": \"w\","
		     " \"channels\": {\"primary\": \"email\", \"out_of_band\": \"email\"}}]}",
		     "data.parties[0].channels.out_of_band", "must differ");
	expect_error("escalation", "{\"paths\": [{\"severity\": \"high\", \"levels\": ["
		     "{\"level\": 1, \"after_minutes\": 30, \"notify\": [\"ic\"]},"
		     "{\"level\": 3, \"after_minutes\": 10, \"notify\": [\"ic\"]}]}]}",
		     "data.paths[0].levels[1].level", "must be 2");
	expect_error("escalation", "{\"paths\": [{\"severity\": \"high\", \"levels\": ["
		     "{\"level\": 1, \"after_minutes\": 30, \"notify\": [\"ic\"]},"
		     "{\"level\": 2, \"after_minutes\": 10, \"notify\": [\"ic\"]}]}]}",
		     "data.paths[0].levels[1].after_minutes", "later than");
	expect_error("reporting", "{\"requirements\": [{\"clock\": \"gdpr_art99\", \"applies_to\": [\"any\"],"
		     " \"notify\": \"x\", \"owner\": \"ic\"}]}",
		     "data.requirements[0].clock", "not a known clock");
	expect_error("reporting", "{\"requirements\": [{\"clock\": \"gdpr_art33\", \"applies_to\": [\"any\", \"malware\"],"
		     " \"notify\": \"x\", \"owner\": \"ic\"}]}",
		     "data.requirements[0].applies_to[0]", "only entry");
}

static void test_cross_references(void **state)
{
	json_t *doc = starter(), *errors = NULL;
	json_t *lv = json_array_get(json_object_get(json_object_get(plan_doc_section(doc, "severities"),
								      "data"), "levels"), 0);
	json_array_append_new(json_object_get(lv, "notify"), json_string("nobody_here"));
	json_t *sections = json_object_get(doc, "sections");
	json_array_remove(sections, 7); /* reporting */
	assert_int_equal(plan_doc_check_complete(doc, &errors), SIRT_EINVAL);
	assert_true(has_error(errors, "sections.reporting", "is missing"));
	json_decref(errors);
	errors = NULL;
	json_t *rep = json_pack("{s:s, s:s, s:s, s:n}", "key", "reporting", "title", "R", "body", "",
				"data");
	json_object_set_new(rep, "data", json_pack("{s:[]}", "requirements"));
	json_array_append_new(sections, rep);
	assert_int_equal(plan_doc_check_complete(doc, &errors), SIRT_EINVAL);
	assert_true(has_error(errors, "sections.severities.data.levels[0].notify[6]",
			      "neither a role"));
	json_decref(errors);
	json_decref(doc);
}

static void test_markdown_and_html(void **state)
{
	json_t *doc = starter();
	json_object_set_new(doc, "label", json_string("v1"));
	json_object_set_new(doc, "status", json_string("draft"));
	/* hostile text in a structured field and in a body */
	json_t *roles = json_object_get(json_object_get(plan_doc_section(doc, "roles"), "data"), "roles");
	json_object_set_new(json_array_get(roles, 0), "name",
			    json_string("<script>alert(1)</script> [x](javascript:alert(2)) *bold*"));
	json_object_set_new(plan_doc_section(doc, "scope"), "body",
			    json_string("Hello <img src=x onerror=alert(3)>\n\n[click](javascript:alert(4))\n\n"
					"| a | b |\n"));
	struct strbuf md, html;
	sb_init(&md, 1 << 22);
	sb_init(&html, 1 << 22);
	plan_doc_markdown(doc, &md);
	assert_int_equal(sb_status(&md), 0);
	assert_non_null(strstr(sb_str(&md), "# Incident response plan (v1)"));
	assert_non_null(strstr(sb_str(&md), "\\<script\\>"));
	assert_non_null(strstr(sb_str(&md), "## 5. Playbooks by incident category"));
	assert_int_equal(plan_doc_html(doc, &html), 0);
	const char *h = sb_str(&html);
	assert_null(strstr(h, "<script"));
	assert_null(strstr(h, "<img"));
	assert_null(strstr(h, "href=\"javascript"));
	assert_non_null(strstr(h, "[x](javascript:alert(2))")); /* shown as text, not a link */
	assert_non_null(strstr(h, "&lt;script&gt;"));
	assert_non_null(strstr(h, "<h2>2. Roles and responsibilities</h2>"));
	assert_non_null(strstr(h, "<title>Incident response plan (v1)</title>"));
	sb_free(&md);
	sb_free(&html);
	json_decref(doc);
	char buf[32];
	plan_fmt_minutes(90, buf, sizeof(buf));
	assert_string_equal(buf, "1 h 30 min");
	plan_fmt_minutes(2880, buf, sizeof(buf));
	assert_string_equal(buf, "2 d");
	plan_fmt_minutes(15, buf, sizeof(buf));
	assert_string_equal(buf, "15 min");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_starter_is_complete),
		cmocka_unit_test(test_section_schema_errors),
		cmocka_unit_test(test_cross_references),
		cmocka_unit_test(test_markdown_and_html),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
