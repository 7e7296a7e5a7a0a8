/*
 * Tests for the template system: the compiled templates in
 * src/web/templates (rendered with normal and hostile view models, and each
 * page checked with tidy), the features of the template language (a
 * template compiled at test time with build/tmplc and the C compiler), and
 * the compiler's refusal of every unsafe template form.
 *
 * Run from the project root. The rendered pages are kept in
 * <build>/web-pages/ for people and for tests/web/validate-templates.sh.
 */
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <sodium.h>

#include "templates.h"
#include "util/xalloc.h"
#include "web/static.h"
#include "web/tmpl_runtime.h"

static const char hostile[] = "\"><script>alert(1)</script>javascript:alert(1)' onx='1";

static char build_dir[PATH_MAX];
static char tmp_dir[PATH_MAX];

static void find_build_dir(void)
{
	/* the test binary is <build>/tests/test_tmpl */
	ssize_t n = readlink("/proc/self/exe", build_dir, sizeof(build_dir) - 1);
	assert_true(n > 0);
	build_dir[n] = '\0';
	for (int i = 0; i < 2; i++) {
		char *slash = strrchr(build_dir, '/');
		assert_non_null(slash);
		*slash = '\0';
	}
}

static int setup(void **state)
{
	find_build_dir();
	snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/sirt-tmpl-XXXXXX");
	if (!mkdtemp(tmp_dir))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", tmp_dir);
	int rc = system(cmd);
	free(cmd);
	return rc == 0 ? 0 : -1;
}

static char *render(const char *name, json_t *model)
{
	const struct tmpl_entry *t = tmpl_find(name);
	assert_non_null(t);
	struct strbuf sb;
	sb_init(&sb, 0);
	t->render(&sb, model);
	assert_int_equal(sb_status(&sb), 0);
	return sb_steal(&sb, NULL);
}

static json_t *load_json(const char *path)
{
	json_error_t err;
	json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
	if (!j)
		fail_msg("%s:%d: %s", path, err.line, err.text);
	return j;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	struct strbuf sb;
	sb_init(&sb, 0);
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sb_append(&sb, buf, n);
	fclose(f);
	return sb_steal(&sb, NULL);
}

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("expected to find [%s] in:\n%s", needle, hay);
}

static void assert_lacks(const char *hay, const char *needle)
{
	if (strstr(hay, needle))
		fail_msg("did not expect [%s] in:\n%s", needle, hay);
}

static int run(const char *cmd)
{
	int rc = system(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* ---- the real templates ------------------------------------------------- */

static json_t *base_model(bool signed_in)
{
	json_t *m = json_pack("{s:{s:s, s:s, s:s, s:s}, s:s}",
			      "page", "title", "T", "url", "https://sirt.example.com/x",
			      "now_iso", "2026-03-04T17:43:00Z", "now_display", "2026-03-04 17:43 UTC",
			      "csrf", "tok123");
	if (signed_in) {
		json_object_set_new(m, "user", json_pack("{s:s, s:s}", "email", "alice@example.com",
							 "display_name", "Alice"));
		json_object_set_new(m, "org", json_pack("{s:s, s:s}", "name", "Example Ltd",
							"slug", "example"));
	}
	return m;
}

static void test_login_hostile(void **state)
{
	json_t *m = base_model(false);
	json_object_set_new(m, "form", json_pack("{s:s}", "email", hostile));
	json_object_set_new(m, "errors", json_pack("{s:s}", "email", hostile));
	json_object_set_new(m, "error", json_string(hostile));
	json_object_set_new(m, "next", json_string("javascript:alert(1)\"><script>x</script>"));
	json_object_set_new(m, "csrf", json_string("x\" autofocus onfocus=\"alert(1)"));
	json_object_set_new(json_object_get(m, "page"), "url", json_string(hostile));
	char *html = render("login", m);
	assert_lacks(html, "<script>alert");
	assert_lacks(html, "<script>x");
	assert_lacks(html, "\"><script");
	assert_lacks(html, "onfocus=\"");
	/* the input is kept, escaped for its attribute, and the error is shown
	 * next to its field */
	assert_contains(html, "value=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"
			      "javascript:alert(1)&#39; onx=&#39;1\"");
	assert_contains(html, "aria-invalid=\"true\" aria-describedby=\"login-email-error\"");
	assert_contains(html, "<p class=\"field-error\" id=\"login-email-error\">"
			      "\"&gt;&lt;script&gt;");
	assert_lacks(html, "login-password-error");
	/* the password is never echoed */
	assert_lacks(html, "type=\"password\" value");
	free(html);
	json_decref(m);
}

static void test_layout(void **state)
{
	json_t *m = base_model(true);
	json_object_set_new(json_object_get(m, "page"), "nav", json_string("plan"));
	json_object_set_new(m, "error", json_pack("{s:i}", "status", 404));
	char *html = render("error", m);
	assert_contains(html, "<a href=\"/plan\" aria-current=\"page\">Plan</a>");
	assert_contains(html, "<a href=\"/incidents\">Incidents</a>");
	assert_lacks(html, "href=\"/admin\""); /* not an admin */
	assert_lacks(html, "org-switch");      /* one organisation: no switcher */
	assert_contains(html, "Example Ltd");
	assert_contains(html, "Error 404");
	assert_contains(html, "Something went wrong");
	/* the evidence footer */
	assert_contains(html, "<strong>Signed in as:</strong> Alice &lt;alice@example.com&gt;</li>");
	assert_contains(html, "https://sirt.example.com/x");
	assert_contains(html, "<time datetime=\"2026-03-04T17:43:00Z\">2026-03-04 17:43 UTC</time>");
	assert_lacks(html, "{{");
	free(html);

	json_object_set_new(json_object_get(m, "user"), "is_admin", json_true());
	json_object_set_new(m, "orgs", json_pack("[{s:s, s:s}, {s:s, s:s}]", "slug", "acme", "name",
						 "ACME", "slug", "example", "name", "Example Ltd"));
	html = render("error", m);
	assert_contains(html, "<a href=\"/admin\">Admin</a>");
	assert_contains(html, "<option value=\"acme\">ACME</option>");
	assert_contains(html, "<option value=\"example\" selected>Example Ltd</option>");
	free(html);
	json_decref(m);

	m = json_object(); /* an empty model still renders a page */
	html = render("error", m);
	assert_contains(html, "nobody (not signed in)");
	assert_contains(html, "<a href=\"/login\">Sign in</a>");
	assert_lacks(html, "site-nav");
	free(html);
	json_decref(m);
}

/* Every /static/ URL the layout references is embedded, with the right type
 * and a strong ETag that is the SHA-256 of its bytes. */
static void test_static_assets(void **state)
{
	json_t *m = base_model(true);
	char *html = render("error", m);
	const char *p = html;
	int found = 0;
	while ((p = strstr(p, "\"/static/")) != NULL) {
		p++;
		size_t n = strcspn(p, "\"?");
		char *path = xstrndup(p, n);
		const struct static_asset *a = static_find(path);
		if (!a)
			fail_msg("the layout references %s, which is not embedded", path);
		free(path);
		found++;
		p += n;
	}
	assert_true(found >= 3); /* app.css, app.js, favicon.svg */
	free(html);
	json_decref(m);

	assert_null(static_find("/static/nope.css"));
	assert_null(static_find("/static/../Makefile"));
	assert_null(static_find(NULL));
	const struct static_asset *css = static_find("/static/app.css");
	assert_non_null(css);
	assert_string_equal(css->content_type, "text/css; charset=utf-8");
	assert_string_equal(static_find("/static/app.js")->content_type,
			    "text/javascript; charset=utf-8");
	assert_string_equal(static_find("/static/favicon.svg")->content_type, "image/svg+xml");
	assert_int_equal(sodium_init() >= 0, 1);
	for (size_t i = 0; i < static_assets_count; i++) {
		const struct static_asset *a = &static_assets[i];
		unsigned char h[crypto_hash_sha256_BYTES];
		char hex[crypto_hash_sha256_BYTES * 2 + 1];
		crypto_hash_sha256(h, a->data, a->len);
		sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
		char *want = xasprintf("\"%s\"", hex);
		assert_string_equal(a->etag, want);
		free(want);
		assert_true(a->len > 0);
		assert_int_equal(a->data[a->len], 0);
	}
}

/* ---- tidy validation of every page --------------------------------------- */

/* Every string in v replaced by the hostile payload, recursively; except
 * members named *_html: they hold HTML sirt produced for {{raw}} slots (SVG
 * charts, cmark output), whose escaping their producers' tests check. */
static void poison(json_t *v)
{
	const char *k;
	json_t *x;
	size_t i;
	if (json_is_object(v)) {
		json_object_foreach(v, k, x) {
			size_t kl = strlen(k);
			if (kl >= 5 && strcmp(k + kl - 5, "_html") == 0)
				continue;
			if (json_is_string(x))
				json_object_set_new(v, k, json_string(hostile));
			else
				poison(x);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x) {
			if (json_is_string(x))
				json_array_set_new(v, i, json_string(hostile));
			else
				poison(x);
		}
	}
}

/* tests/web/validate-templates.sh runs tidy and applies the allow-list of
 * tidy 5.6's HTML5 gaps; errors and other warnings fail. */
static void tidy_check(const char *path)
{
	char *cmd = xasprintf("sh tests/web/validate-templates.sh '%s'", path);
	int rc = run(cmd);
	free(cmd);
	if (rc != 0)
		fail_msg("%s is not valid HTML (see above)", path);
}

static void test_pages_validate(void **state)
{
	char *outdir = xasprintf("%s/web-pages", build_dir);
	if (mkdir(outdir, 0755) < 0 && errno != EEXIST)
		fail_msg("mkdir %s", outdir);
	for (size_t i = 0; i < tmpl_count; i++) {
		const struct tmpl_entry *t = &tmpl_all[i];
		if (t->partial)
			continue;
		char *pat = xasprintf("tests/web/models/%s.json", t->name);
		char *pat2 = xasprintf("tests/web/models/%s--*.json", t->name);
		glob_t g;
		memset(&g, 0, sizeof(g));
		glob(pat, 0, NULL, &g);
		glob(pat2, GLOB_APPEND, NULL, &g);
		if (g.gl_pathc == 0)
			fail_msg("page template %s has no sample model %s", t->name, pat);
		for (size_t k = 0; k < g.gl_pathc; k++) {
			const char *base = strrchr(g.gl_pathv[k], '/') + 1;
			for (int hostile_pass = 0; hostile_pass < 2; hostile_pass++) {
				json_t *m = load_json(g.gl_pathv[k]);
				if (hostile_pass)
					poison(m);
				char *html = render(t->name, m);
				char *out = xasprintf("%s/%.*s%s.html", outdir, (int)(strlen(base) - 5),
						      base, hostile_pass ? "--hostile" : "");
				write_file(out, html);
				tidy_check(out);
				assert_lacks(html, "<script>alert");
				assert_lacks(html, "\"><script");
				assert_lacks(html, "{{");
				free(out);
				free(html);
				json_decref(m);
			}
		}
		globfree(&g);
		free(pat);
		free(pat2);
	}
	free(outdir);
}

/* ---- the template language, compiled at test time ----------------------- */

/* Runs tmplc on the given template text (as t.html plus optional extra
 * templates) and returns its exit status; stderr goes to tmp_dir/err. */
static int tmplc(const char *text)
{
	char *path = xasprintf("%s/t.html", tmp_dir);
	write_file(path, text);
	char *cmd = xasprintf("'%s/tmplc' '%s/t.h' '%s' > '%s/t.c' 2> '%s/err'", build_dir, tmp_dir,
			      path, tmp_dir, tmp_dir);
	int rc = run(cmd);
	free(cmd);
	free(path);
	return rc;
}

static const char feat_tmpl[] =
	"{{! comment }}"
	"{{#each items}}[{{h @index}}:{{h name}}{{#if @first}} first{{/if}}{{#if @last}} last{{/if}}"
	" {{h ../title}}/{{h @root.title}}{{#each tags}}({{h .}},{{h ../name}},{{h ../@index}})"
	"{{/each}}]{{else}}none{{/each}}"
	"|{{#each empty}}x{{else}}empty{{/each}}|{{#each missing}}x{{/each}}|"
	"{{#eq kind \"b\"}}is-b{{else}}not-b{{/eq}}|{{#ne kind \"b\"}}ne-b{{/ne}}|"
	"{{#eq kind other}}same{{/eq}}|{{#eq num \"42\"}}num42{{/eq}}|{{#eq flag \"true\"}}flagtrue{{/eq}}|"
	"{{#unless zero}}zero-false{{/unless}}|{{#if emptystr}}x{{else}}emptystr-false{{/if}}|"
	"{{#if emptyarr}}x{{else}}emptyarr-false{{/if}}|{{#if obj}}obj-true{{/if}}|"
	"{{h num}}|{{h real}}|{{h flag}}|{{h nul}}|{{h missing.deep.path}}|{{h items.1.name}}|{{h obj}}|"
	"{{raw html}}|<a href=\"/i/{{p key}}/x?q={{u q}}&amp;r={{u key}}\">l</a>|"
	"<input value=\"{{a q}}\"{{#if flag}} checked{{/if}} type=\"checkbox\">|"
	"<script type=\"application/json\" id=\"d\">{{json data}}</script>|"
	"{{> feat_row}}{{#each items}}{{> feat_row}}{{/each}}";

static const char feat_model[] =
	"{\"title\":\"T\",\"name\":\"ROOT\",\"items\":[{\"name\":\"a\",\"tags\":[\"x\",\"y\"]},"
	"{\"name\":\"<b>\",\"tags\":[]}],\"empty\":[],\"kind\":\"b\",\"other\":\"b\",\"num\":42,"
	"\"real\":1.5,\"flag\":true,\"nul\":null,\"zero\":0,\"emptystr\":\"\",\"emptyarr\":[],"
	"\"obj\":{\"k\":1},\"html\":\"<em>ok</em>\",\"key\":\"javascript:alert(1)\","
	"\"q\":\"a b&c\\\"\",\"data\":{\"s\":\"</script><script>alert(1)</script>\"}}";

static const char feat_want[] =
	"[0:a first T/T(x,a,0)(y,a,0)][1:&lt;b&gt; last T/T]"
	"|empty||"
	"is-b||same|num42|flagtrue|"
	"zero-false|emptystr-false|emptyarr-false|obj-true|"
	"42|1.5|true|||&lt;b&gt;||"
	"<em>ok</em>|<a href=\"/i/javascript%3Aalert%281%29/x?q=a%20b%26c%22&amp;"
	"r=javascript%3Aalert%281%29\">l</a>|"
	"<input value=\"a b&amp;c&quot;\" checked type=\"checkbox\">|"
	"<script type=\"application/json\" id=\"d\">{\"s\":\"\\u003c/script\\u003e\\u003cscript"
	"\\u003ealert(1)\\u003c/script\\u003e\"}</script>|"
	"(ROOT)(a)(&lt;b&gt;)";

/* A sanitizer build's libsirt.a needs the sanitizer runtime to link. */
#ifdef __SANITIZE_ADDRESS__
#define SAN_FLAGS "-fsanitize=address,undefined "
#else
#define SAN_FLAGS ""
#endif

static const char feat_driver[] =
	"#include <stdio.h>\n#include <stdlib.h>\n#include \"t.h\"\n#include \"web/tmpl_runtime.h\"\n"
	"int main(int argc, char **argv)\n{\n"
	"\tjson_error_t e;\n\tjson_t *m = json_load_file(argv[1], 0, &e);\n"
	"\tstruct strbuf sb;\n\tsb_init(&sb, 0);\n\tif (!m || argc < 2)\n\t\treturn 2;\n"
	"\ttmpl_find(\"t\")->render(&sb, m);\n\tfputs(sb_str(&sb), stdout);\n"
	"\tjson_decref(m);\n\tsb_free(&sb);\n\treturn sb_status(&sb) ? 3 : 0;\n}\n";

static void test_language(void **state)
{
	char *t = xasprintf("%s/t.html", tmp_dir);
	char *row = xasprintf("%s/feat_row.html", tmp_dir);
	char *model = xasprintf("%s/model.json", tmp_dir);
	char *drv = xasprintf("%s/driver.c", tmp_dir);
	write_file(t, feat_tmpl);
	write_file(row, "({{h name}})");
	write_file(model, feat_model);
	write_file(drv, feat_driver);
	/* the generated code must pass the project's strict warnings */
	char *cmd = xasprintf(
		"cd '%s' && '%s/tmplc' t.h t.html feat_row.html > gen.c && "
		"cc " SAN_FLAGS "-std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wformat=2 "
		"-Wstrict-prototypes -Wmissing-prototypes -Wvla -I. -I'%s/../src' "
		"$(pkg-config --cflags jansson) -o feat gen.c driver.c '%s/libsirt.a' "
		"$(pkg-config --libs jansson) && ./feat model.json > out.html",
		tmp_dir, build_dir, build_dir, build_dir);
	if (run(cmd) != 0)
		fail_msg("building or running the feature template failed: %s", cmd);
	char *outp = xasprintf("%s/out.html", tmp_dir);
	char *got = read_all(outp);
	assert_string_equal(got, feat_want);
	free(got);
	free(outp);
	free(cmd);
	free(t);
	free(row);
	free(model);
	free(drv);
}

/* ---- the compiler refuses unsafe templates ------------------------------ */

static const char *const bad[] = {
	/* escaper does not fit the context */
	"<p title=\"{{h x}}\">a</p>",
	"<p title=\"{{raw x}}\">a</p>",
	"<p>{{a x}}</p>",
	"<p>{{u x}}</p>",
	"<p>{{p x}}</p>",
	"<p>{{json x}}</p>",
	"<textarea>{{raw x}}</textarea>",
	"<title>{{a x}}</title>",
	/* script and style */
	"<script>{{h x}}</script>",
	"<script>var a = 1;</script>",
	"<SCRIPT>alert(1)</SCRIPT>",
	"<script src=\"/static/app.js\"> </script>",
	"<script type=\"application/json\">{{h x}}</script>",
	"<script type=\"text/javascript\">{{json x}}</script>",
	"<script src=\"/static/{{p x}}\"></script>",
	"<style>p { color: red }</style>",
	"<style>{{h x}}</style>",
	/* unquoted attribute slots */
	"<p title={{a x}}>a</p>",
	"<p class=a{{a x}}>a</p>",
	"<p class=a\"b>a</p>",
	/* URL attributes */
	"<a href=\"{{a x}}\">a</a>",
	"<a href=\"/x/{{a x}}\">a</a>",
	"<a href=\"{{p x}}\">a</a>",
	"<a href=\"{{u x}}\">a</a>",
	"<a href=\"//{{p x}}\">a</a>",
	"<a href=\"/\\{{p x}}\">a</a>",
	"<a href=\"/&#47;{{p x}}\">a</a>",
	"<a href=\"/\n/{{p x}}\">a</a>",
	"<a href=\"/x/ /{{p x}}\">a</a>",
	"<a href=\"javascript:{{u x}}\">a</a>",
	"<a href=\"https:{{p x}}\">a</a>",
	"<a href=\"https://{{p x}}\">a</a>",
	"<a href=\"/x?q={{p x}}\">a</a>",
	"<a href=\"/x/{{u x}}\">a</a>",
	"<img src=\"{{u x}}\" alt=\"\">",
	"<form action=\"{{a x}}\"></form>",
	"<button formaction=\"{{a x}}\">b</button>",
	"<img srcset=\"/a/{{p x}} 2x\" alt=\"\">",
	"<svg><a xlink:href=\"{{a x}}\">a</a></svg>",
	/* inline handlers, style, srcdoc, meta */
	"<button onclick=\"go()\">b</button>",
	"<div onmouseover=\"{{a x}}\">d</div>",
	"<div ONLOAD=\"x\">d</div>",
	"<div style=\"color: {{a x}}\">d</div>",
	"<div style=\"color: red\">d</div>",
	"<iframe srcdoc=\"{{a x}}\"></iframe>",
	"<meta http-equiv=\"refresh\" content=\"0;url={{a x}}\">",
	/* slots where no value may stand */
	"<{{h x}}>",
	"<p {{a x}}>a</p>",
	"<p {{h x}}=\"1\">a</p>",
	"<!-- {{h x}} -->",
	"<!DOCTYPE {{h x}}>",
	"</p{{h x}}>",
	/* branches that disagree about where the next slot stands */
	"{{#if a}}<p title=\"{{else}}<p class=\"{{/if}}{{h x}}\">",
	"{{#each xs}}<p title=\"{{/each}}\">",
	"<p title=\"{{> t}}\">",
	/* syntax */
	"{{x}}",
	"{{ x }}",
	"{{h}}",
	"{{h a b}}",
	"{{h a..b}}",
	"{{h @nope}}",
	"{{#if x}}",
	"{{#if x}}{{/each}}",
	"{{/if}}",
	"{{else}}",
	"{{#if x}}{{else}}{{else}}{{/if}}",
	"{{#frob x}}{{/frob}}",
	"{{#eq x}}{{/eq}}",
	"{{> nosuch}}",
	"{{h x",
	"<p>a < b</p>",
	"<p title=\"unterminated>",
	"<p",
	NULL,
};

static const char *const good[] = {
	"<a href=\"/incidents/{{p key}}/edit?tab={{u tab}}&amp;x={{u y}}#{{u f}}\">k</a>",
	"<a class=\"x {{a c}}\" href=\"?page={{u n}}\">n</a>",
	"<a href=\"#{{u id}}\">n</a><a href=\"mailto:{{p e}}\">m</a>",
	"<a href=\"https://example.com/{{p e}}\">x</a><a href=\"tel:{{p t}}\">t</a>",
	"<select>{{#each xs}}<option value=\"{{a v}}\"{{#eq v @root.sel}} selected{{/eq}}>"
	"{{h v}}</option>{{/each}}</select>",
	"<script type=\"application/json\" id=\"m\">{{json m}}</script>"
	"<script src=\"/static/app.js\" defer></script>",
	"<textarea name=\"t\">{{h t}}</textarea><title>{{h t}}</title>",
	"<!DOCTYPE html><!-- a comment with <p> and {x} --><p>{{raw html}}</p>",
	"<input{{#if r}} required{{/if}} name=\"x\">",
	"<p title='{{a x}}' data-deadline=\"{{a d}}\">{{h ../x}} {{h @root.y}}</p>",
	"{{#each a}}{{#each b}}{{h ../../x}}{{h @index}}{{/each}}{{else}}none{{/each}}",
	"{{#if a}}<p>{{else}}<div>{{/if}}{{h x}}",
	"<p>{{> t}}</p>",
	NULL,
};

static void test_rejects(void **state)
{
	char *errp = xasprintf("%s/err", tmp_dir);
	for (int i = 0; bad[i]; i++) {
		int rc = tmplc(bad[i]);
		if (rc != 1)
			fail_msg("tmplc accepted (status %d) the bad template: %s", rc, bad[i]);
		char *err = read_all(errp);
		if (!strstr(err, "t.html:") || !strstr(err, ": error: "))
			fail_msg("no file:line in the message for %s:\n%s", bad[i], err);
		free(err);
	}
	free(errp);
}

static void test_accepts(void **state)
{
	for (int i = 0; good[i]; i++) {
		if (tmplc(good[i]) != 0) {
			char *errp = xasprintf("%s/err", tmp_dir);
			char *err = read_all(errp);
			fail_msg("tmplc refused the good template: %s\n%s", good[i], err);
		}
	}
}

static void test_error_line(void **state)
{
	assert_int_equal(tmplc("<p>\n\n{{#if x}}\n<a href=\"{{a y}}\">a</a>{{/if}}</p>"), 1);
	char *errp = xasprintf("%s/err", tmp_dir);
	char *err = read_all(errp);
	assert_contains(err, "t.html:4: error:");
	assert_contains(err, "href");
	free(err);
	free(errp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_login_hostile),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_static_assets),
		cmocka_unit_test(test_pages_validate),
		cmocka_unit_test(test_language),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_accepts),
		cmocka_unit_test(test_error_line),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
