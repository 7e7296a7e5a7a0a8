#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "export/csv.h"
#include "export/import_map.h"

static void test_write_quoting(void **state)
{
	struct strbuf sb;
	sb_init(&sb, 4096);
	csv_put_cell(&sb, "plain", true, true);
	csv_put_cell(&sb, "a,b", false, true);
	csv_put_cell(&sb, "say \"hi\"", false, true);
	csv_put_cell(&sb, "two\nlines", false, true);
	csv_put_cell(&sb, "", false, true);
	csv_put_cell(&sb, NULL, false, true);
	csv_end_row(&sb);
	assert_string_equal(sb_str(&sb), "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",,\r\n");
	sb_free(&sb);
}

static void test_write_neutralises_formulas(void **state)
{
	const char *in[] = {"=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "=HYPERLINK(\"a\",\"b\")"};
	const char *out[] = {"'=1+1", "'+1", "'-1", "'@SUM(A1)", "'\tx", "\"'\rx\"",
			     "\"'=HYPERLINK(\"\"a\"\",\"\"b\"\")\""};
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		struct strbuf sb;
		sb_init(&sb, 4096);
		assert_true(csv_is_formula(in[i]));
		csv_put_cell(&sb, in[i], true, true);
		assert_string_equal(sb_str(&sb), out[i]);
		sb_reset(&sb);
		csv_put_cell(&sb, in[i], true, false); /* header cells are ours: not touched */
		assert_true(sb.buf[0] != '\'');
		sb_free(&sb);
	}
	assert_false(csv_is_formula("a=1"));
	assert_false(csv_is_formula("2024-01-01"));
	assert_false(csv_is_formula(""));
}

static int read_all(const char *data, struct csv_record *rec, char *err, int *nrec)
{
	struct csv_reader rd;
	csv_reader_init(&rd, data, strlen(data));
	int rc;
	*nrec = 0;
	while ((rc = csv_read(&rd, rec, err, 512)) == 1)
		(*nrec)++;
	csv_reader_free(&rd);
	return rc;
}

static void test_read(void **state)
{
	const char *data = "\xEF\xBB\xBFh1,h2,h3\r\n"
			   "a,\"b,c\",\"d \"\"q\"\"\"\n"
			   "\n"
			   "\"multi\nline\",,\xC3\xA9t\xC3\xA9\r\n"
			   "last,row,no-newline";
	struct csv_reader rd;
	struct csv_record rec;
	char err[512];
	csv_reader_init(&rd, data, strlen(data));
	assert_int_equal(csv_read(&rd, &rec, err, sizeof(err)), 1);
	assert_int_equal(rec.nfields, 3);
	assert_string_equal(rec.field[0], "h1"); /* BOM gone */
	assert_int_equal(rec.line, 1);
	assert_int_equal(csv_read(&rd, &rec, err, sizeof(err)), 1);
	assert_string_equal(rec.field[1], "b,c");
	assert_string_equal(rec.field[2], "d \"q\"");
	assert_int_equal(rec.line, 2);
	assert_int_equal(csv_read(&rd, &rec, err, sizeof(err)), 1);
	assert_int_equal(rec.line, 4); /* the blank line 3 is skipped */
	assert_string_equal(rec.field[0], "multi\nline");
	assert_string_equal(rec.field[1], "");
	assert_string_equal(rec.field[2], "\xC3\xA9t\xC3\xA9");
	assert_int_equal(csv_read(&rd, &rec, err, sizeof(err)), 1);
	assert_int_equal(rec.line, 6);
	assert_string_equal(rec.field[2], "no-newline");
	assert_int_equal(csv_read(&rd, &rec, err, sizeof(err)), 0);
	csv_reader_free(&rd);
}

static void test_read_errors(void **state)
{
	struct csv_record rec;
	char err[512];
	int n;
	assert_int_equal(read_all("a,b\nc,d\"e,f\n", &rec, err, &n), SIRT_EINVAL);
	assert_int_equal(n, 1);
	assert_non_null(strstr(err, "line 2, column 4"));
	assert_non_null(strstr(err, "quote inside an unquoted field"));
	assert_int_equal(read_all("a,b\n\"open,b\nmore\n", &rec, err, &n), SIRT_EINVAL);
	assert_non_null(strstr(err, "line 2"));
	assert_non_null(strstr(err, "never closed"));
	assert_int_equal(read_all("\"a\"x,b\n", &rec, err, &n), SIRT_EINVAL);
	assert_non_null(strstr(err, "after the closing quote"));
	assert_int_equal(read_all("a,b\nok,ok\nCaf\xE9,x\n", &rec, err, &n), SIRT_EINVAL);
	assert_non_null(strstr(err, "line 3, column 4"));
	assert_non_null(strstr(err, "0xE9"));
	assert_non_null(strstr(err, "UTF-8"));
	/* in a multi-line quoted field the bad byte's own line is named */
	assert_int_equal(read_all("a\n\"x\ny\xFF\"\n", &rec, err, &n), SIRT_EINVAL);
	assert_non_null(strstr(err, "line 3"));
}

static void test_map_parse(void **state)
{
	struct csv_map m = {0};
	char err[512];
	assert_int_equal(csv_map_parse("title=Summary, severity = Sev,description=\"Notes, misc\"",
				       &m, err, sizeof(err)), 0);
	assert_int_equal(m.n, 3);
	assert_string_equal(m.field[1], "severity");
	assert_string_equal(m.column[1], "Sev");
	assert_string_equal(m.column[2], "Notes, misc");
	csv_map_free(&m);
	assert_int_equal(csv_map_parse("colour=Col", &m, err, sizeof(err)), SIRT_EINVAL);
	assert_non_null(strstr(err, "not an incident field"));
	csv_map_free(&m);
	assert_int_equal(csv_map_parse("title=A,title=B", &m, err, sizeof(err)), SIRT_EINVAL);
	assert_non_null(strstr(err, "twice"));
	csv_map_free(&m);
	assert_int_equal(csv_map_parse("title", &m, err, sizeof(err)), SIRT_EINVAL);
	csv_map_free(&m);
}

static void test_csv_records(void **state)
{
	const char *data = "Ref,Summary,Sev,When,PD\r\n"
			   "K1,First,High,2024-01-02 03:04,yes\r\n"
			   "K2,'=Second,low,2024-01-03,no\r\n"
			   "K3,Third,nope,2024-01-03,maybe\r\n";
	struct csv_map m = {0};
	char err[512];
	assert_int_equal(csv_map_parse("external_ref=Ref,title=Summary,severity=Sev,"
				       "detected_at=When,personal_data=PD", &m, err, sizeof(err)), 0);
	struct import_result res;
	import_result_init(&res);
	json_t *recs;
	int64_t now = 1800000000;
	assert_int_equal(import_csv_records("f.csv", data, strlen(data), &m, false, now, &recs, &res),
			 SIRT_EINVAL);
	assert_int_equal(json_array_size(recs), 0); /* all or nothing */
	assert_int_equal(res.rejected, 1);
	json_t *rj = json_array_get(res.rejects, 0);
	assert_string_equal(json_string_value(json_object_get(rj, "where")), "f.csv:4");
	assert_non_null(strstr(json_string_value(json_object_get(rj, "field")), "severity"));
	assert_non_null(strstr(json_string_value(json_object_get(rj, "field")), "personal_data"));
	json_decref(recs);
	import_result_free(&res);
	import_result_init(&res);
	assert_int_equal(import_csv_records("f.csv", data, strlen(data), &m, true, now, &recs, &res), 0);
	assert_int_equal(json_array_size(recs), 2);
	json_t *r0 = json_array_get(recs, 0), *r1 = json_array_get(recs, 1);
	assert_string_equal(json_string_value(json_object_get(r0, "severity")), "high");
	assert_string_equal(json_string_value(json_object_get(r0, "detected_at")), "2024-01-02T03:04:00Z");
	assert_true(json_is_true(json_object_get(r0, "personal_data")));
	assert_string_equal(json_string_value(json_object_get(r0, "external_ref")), "K1");
	assert_string_equal(json_string_value(json_object_get(r0, "status")), "new");
	assert_string_equal(json_string_value(json_object_get(r1, "title")), "=Second"); /* un-neutralised */
	json_decref(recs);
	import_result_free(&res);
	csv_map_free(&m);
}

static void test_record_check(void **state)
{
	int64_t now = 1800000000;
	json_t *errors = NULL;
	json_t *r = json_pack("{s:s, s:s}", "title", "ok", "severity", "low");
	assert_int_equal(import_record_check(r, now, &errors), 0);
	assert_null(errors);
	json_object_set_new(r, "detected_at", json_string("2024-05-02T00:00:00Z"));
	json_object_set_new(r, "resolved_at", json_string("2024-05-01T00:00:00Z"));
	assert_int_equal(import_record_check(r, now, &errors), SIRT_EINVAL);
	assert_string_equal(json_string_value(json_object_get(json_array_get(errors, 0), "field")),
			    "resolved_at");
	json_decref(errors);
	errors = NULL;
	json_object_del(r, "resolved_at");
	json_object_set_new(r, "tlp", json_string("purple"));
	json_object_set_new(r, "colour", json_string("red"));
	assert_int_equal(import_record_check(r, now, &errors), SIRT_EINVAL);
	assert_int_equal(json_array_size(errors), 2);
	json_decref(errors);
	json_decref(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_quoting),
		cmocka_unit_test(test_write_neutralises_formulas),
		cmocka_unit_test(test_read),
		cmocka_unit_test(test_read_errors),
		cmocka_unit_test(test_map_parse),
		cmocka_unit_test(test_csv_records),
		cmocka_unit_test(test_record_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
