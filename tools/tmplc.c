/*
 * tmplc — sirt's HTML template compiler.
 *
 *     tmplc OUT_HEADER.h TEMPLATE.html...   > templates.c
 *
 * Each NAME.html becomes `void tmpl_NAME(struct strbuf *out, json_t *model)`,
 * which renders the template from a jansson view model. Templates are checked
 * at build time: every slot names its escaper, and the compiler follows the
 * HTML tokenizer state around each slot and refuses an escaper that does not
 * fit there. A template that compiles cannot inject markup or script through
 * a model value.
 *
 * Syntax
 *   {{h path}}       HTML text (element content, <title>, <textarea>)
 *   {{a path}}       a quoted ("..." or '...') attribute value
 *   {{p path}}       a URL path segment: in href/src/action/... after a literal
 *                    prefix such as "/incidents/", before any literal '?'
 *   {{u path}}       a URL query component: in a URL attribute after a literal
 *                    '?' or '#', e.g. href="/log?q={{u q}}&amp;page={{u n}}"
 *   {{raw path}}     HTML that sirt produced itself and vouches for (cmark
 *                    output, SVG charts); element content only
 *   {{json path}}    the value as JSON, only inside
 *                    <script type="application/json">...</script>
 *   {{#if path}}...{{else}}...{{/if}}        truthiness test
 *   {{#unless path}}...{{else}}...{{/unless}}
 *   {{#eq path "text"}}...{{else}}...{{/eq}}  also {{#eq path other.path}};
 *   {{#ne path "text"}}...{{/ne}}             values compare by their text
 *   {{#each path}}...{{else}}...{{/each}}     over an array; the else part
 *                    renders when the array is missing or empty
 *   {{> name}}       the template name.html, rendered in the current scope
 *   {{! comment }}   dropped
 *
 * Paths: `a.b.c` (object members; an all-digit segment indexes an array),
 * `.` (the current value), `..` / `../a.b` (the enclosing scope), `@root.a`,
 * `@index` (0-based), `@first`, `@last` (inside #each; `../@index` reaches
 * an outer loop). A missing value renders as nothing and is false; strings
 * render as themselves, numbers and booleans as their text, null, arrays and
 * objects as nothing. False values: missing, null, false, 0, "", [], {}.
 *
 * Rules enforced (each is a build error with file:line):
 * - a slot outside the contexts listed above: in a tag or attribute name, in
 *   an unquoted attribute value, in a comment or doctype, after '<';
 * - {{h}} or {{raw}} inside an attribute, {{a}} in element content, etc.;
 * - any slot in a URL attribute (href, src, action, formaction, xlink:href,
 *   ...) unless it is {{p}} in the path or {{u}} in the query/fragment after a
 *   literal prefix that fixes the scheme and origin: "/x" (not "//"), "?",
 *   "#", "mailto:", "tel:", "https://host", "http://host"; slots in srcset;
 * - event handler attributes (on*=), style= and srcdoc= at all, slots in
 *   <meta> and <script> attributes: the CSP forbids inline script and style;
 * - <style> elements, and <script> elements with content, except
 *   <script type="application/json"> data blocks (which take only {{json}});
 * - a stray '<' in text (write &lt;), an unquoted attribute value with
 *   quotes, '<', '=' or '`' in it;
 * - a section whose branches leave the tokenizer in states that a later slot
 *   cannot agree on, an #each body that does not end in the state it began
 *   in, a partial called anywhere but in element content, a template that
 *   does not end in element content, an unknown partial.
 * There is no way to write a literal "{{" except as "&#123;&#123;".
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_STATES 8

enum esc { E_H, E_A, E_U, E_P, E_RAW, E_JSON };
static const char *const esc_names[] = { "h", "a", "u", "p", "raw", "json" };
static const char *const esc_enums[] = {
	"TMPL_ESC_HTML", "TMPL_ESC_ATTR", "TMPL_ESC_QUERY",
	"TMPL_ESC_PATH", "TMPL_ESC_RAW", "TMPL_ESC_JSON",
};

enum sect { S_IF, S_UNLESS, S_EQ, S_NE, S_EACH };
static const char *const sect_names[] = { "if", "unless", "eq", "ne", "each" };

enum special { SP_NONE, SP_INDEX, SP_FIRST, SP_LAST };
static const char *const special_enums[] = {
	"TMPL_AT_NONE", "TMPL_AT_INDEX", "TMPL_AT_FIRST", "TMPL_AT_LAST",
};

struct path {
	int up;           /* number of "../" */
	bool root;        /* "@root." */
	enum special special;
	int nseg;
	char **segs;
	char *src;        /* as written, for messages */
};

enum node_kind { N_TEXT, N_SLOT, N_SECTION, N_PARTIAL };

struct node;
struct list {
	struct node **v;
	int n, cap;
};

struct node {
	enum node_kind kind;
	int line;
	/* N_TEXT */
	const char *text;
	size_t len;
	/* N_SLOT */
	enum esc esc;
	/* N_SLOT, N_SECTION */
	struct path path;
	/* N_SECTION */
	enum sect sect;
	bool has_lit;     /* eq/ne against a string literal */
	char *lit;
	struct path path2; /* eq/ne against another path */
	bool has_else;
	struct list body, alt;
	/* N_PARTIAL */
	char *partial;
};

struct tmpl {
	char *name;
	const char *file;
	char *src;
	size_t srclen;
	struct list nodes;
	bool partial;     /* called by another template */
};

/* HTML tokenizer state, a simplification of the HTML5 one that is exact
 * enough for templates we write ourselves. States compare with memcmp, so
 * every field not meaningful in a state is kept zero. */
enum hstate {
	H_TEXT, H_RCDATA, H_JSON, H_SCRIPT_EMPTY, H_LT, H_TAGNAME, H_ENDTAG,
	H_BEFORE_ATTR, H_ATTR_NAME, H_AFTER_ATTR_NAME, H_BEFORE_VALUE,
	H_VALUE_DQ, H_VALUE_SQ, H_VALUE_UNQ, H_MARKUP, H_COMMENT,
};
static const char *const hstate_names[] = {
	"element content", "<title>/<textarea> content",
	"a JSON data block", "a <script> element", "a tag opening", "a tag name",
	"an end tag", "a tag", "an attribute name", "a tag",
	"the start of an attribute value", "a quoted attribute value",
	"a quoted attribute value", "an unquoted attribute value",
	"a <!...> declaration", "an HTML comment",
};

struct hctx {
	unsigned char st;
	unsigned char vlen;   /* literal bytes of the value seen (saturating) */
	unsigned char m;      /* end-tag match progress / comment dashes */
	bool json_type;       /* <script type="application/json"> */
	bool val_slot;        /* a slot already stands in this value */
	bool url_query;       /* a literal '?' or '#' stands in this URL value */
	char tag[16];
	char attr[24];
	char val[24];
};

struct hset {
	int n;
	struct hctx s[MAX_STATES];
};

static struct tmpl *tmpls;
static int ntmpls;
static int path_counter;

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void err_at(const struct tmpl *t, int line, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 3, 4)));
static void *xmalloc(size_t n);
static char *xstrndup(const char *s, size_t n);
static void list_push(struct list *l, struct node *n);
static void parse_template(struct tmpl *t);
static void analyse_list(const struct tmpl *t, const struct list *l, struct hset *hs);
static void gen_list(FILE *o, const struct tmpl *t, const struct list *l, int depth, int indent);

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("tmplc: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static void err_at(const struct tmpl *t, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s:%d: error: ", t->file, line);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static void *xmalloc(size_t n)
{
	void *p = calloc(1, n ? n : 1);
	if (!p)
		die("out of memory");
	return p;
}

static char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static void list_push(struct list *l, struct node *n)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->v = realloc(l->v, (size_t)l->cap * sizeof(*l->v));
		if (!l->v)
			die("out of memory");
	}
	l->v[l->n++] = n;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		die("cannot open %s", path);
	size_t cap = 4096, n = 0;
	char *buf = xmalloc(cap);
	for (;;) {
		if (n + 1 >= cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			if (!buf)
				die("out of memory");
		}
		size_t r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(f))
		die("cannot read %s", path);
	fclose(f);
	buf[n] = '\0';
	if (strlen(buf) != n)
		die("%s: NUL byte in template", path);
	*len = n;
	return buf;
}

/* ---- parsing ---------------------------------------------------------- */

struct parser {
	struct tmpl *t;
	const char *p, *end;
	int line;
};

static int count_lines(const char *s, const char *e)
{
	int n = 0;
	for (; s < e; s++)
		n += *s == '\n';
	return n;
}

static bool is_seg_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-';
}

static struct path parse_path(const struct tmpl *t, int line, const char *s)
{
	struct path p = { 0 };
	p.src = xstrndup(s, strlen(s));
	if (!*s)
		err_at(t, line, "missing path");
	if (strcmp(s, ".") == 0)
		return p;
	if (strncmp(s, "@root.", 6) == 0) {
		p.root = true;
		s += 6;
	} else if (strcmp(s, "@root") == 0) {
		p.root = true;
		return p;
	}
	while (strncmp(s, "..", 2) == 0 && (s[2] == '/' || s[2] == '\0')) {
		p.up++;
		s += s[2] ? 3 : 2;
	}
	if (p.up && !*s)
		return p;
	if (*s == '@') {
		if (strcmp(s, "@index") == 0)
			p.special = SP_INDEX;
		else if (strcmp(s, "@first") == 0)
			p.special = SP_FIRST;
		else if (strcmp(s, "@last") == 0)
			p.special = SP_LAST;
		else
			err_at(t, line, "unknown variable '%s' (@index, @first, @last, @root)", s);
		if (p.root)
			err_at(t, line, "@root has no %s", s);
		return p;
	}
	const char *q = s;
	for (;;) {
		const char *b = q;
		while (is_seg_char(*q))
			q++;
		if (q == b)
			err_at(t, line, "bad path '%s' (segments are [A-Za-z0-9_-], joined by '.')", p.src);
		p.segs = realloc(p.segs, (size_t)(p.nseg + 1) * sizeof(*p.segs));
		if (!p.segs)
			die("out of memory");
		p.segs[p.nseg++] = xstrndup(b, (size_t)(q - b));
		if (*q == '\0')
			break;
		if (*q != '.')
			err_at(t, line, "bad path '%s'", p.src);
		q++;
	}
	return p;
}

/* Splits a tag body into whitespace-separated words; a "..." word is kept
 * with its quotes so the caller can tell a literal from a path. */
static int split_words(const struct tmpl *t, int line, char *s, char **w, int max)
{
	int n = 0;
	while (*s) {
		while (isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		if (n == max)
			err_at(t, line, "too many words in tag");
		w[n++] = s;
		if (*s == '"') {
			s++;
			while (*s && *s != '"')
				s++;
			if (!*s)
				err_at(t, line, "unterminated string literal");
			s++;
		} else {
			while (*s && !isspace((unsigned char)*s))
				s++;
		}
		if (*s)
			*s++ = '\0';
	}
	return n;
}

static bool parse_list(struct parser *ps, struct list *out, const char **term, int *term_line);

static struct node *new_node(enum node_kind k, int line)
{
	struct node *n = xmalloc(sizeof(*n));
	n->kind = k;
	n->line = line;
	return n;
}

static bool valid_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '_'))
			return false;
	return true;
}

/* Parses nodes up to the end of input or a {{/x}} / {{else}} tag, which it
 * returns in *term ("/if", "else", ...). Returns false at end of input. */
static bool parse_list(struct parser *ps, struct list *out, const char **term, int *term_line)
{
	const struct tmpl *t = ps->t;
	while (ps->p < ps->end) {
		const char *open = strstr(ps->p, "{{");
		if (!open)
			open = ps->end;
		if (open > ps->p) {
			struct node *n = new_node(N_TEXT, ps->line);
			n->text = ps->p;
			n->len = (size_t)(open - ps->p);
			list_push(out, n);
			ps->line += count_lines(ps->p, open);
			ps->p = open;
		}
		if (ps->p >= ps->end)
			break;
		int line = ps->line;
		const char *close = strstr(ps->p + 2, "}}");
		if (!close)
			err_at(t, line, "unterminated {{");
		ps->line += count_lines(ps->p, close);
		char *body = xstrndup(ps->p + 2, (size_t)(close - ps->p - 2));
		ps->p = close + 2;
		if (body[0] == '!')
			continue;
		if (strstr(body, "{{"))
			err_at(t, line, "'{{' inside a tag");
		char *w[4];
		int nw = split_words(t, line, body, w, 4);
		if (nw == 0)
			err_at(t, line, "empty tag");
		if (w[0][0] == '/' || strcmp(w[0], "else") == 0) {
			if (nw != 1)
				err_at(t, line, "unexpected words after {{%s}}", w[0]);
			*term = w[0];
			*term_line = line;
			return true;
		}
		if (w[0][0] == '>') {
			const char *name = w[0][1] ? w[0] + 1 : (nw > 1 ? w[1] : "");
			if (nw > (w[0][1] ? 1 : 2))
				err_at(t, line, "a partial takes no arguments");
			if (!valid_name(name))
				err_at(t, line, "bad partial name '%s'", name);
			struct node *n = new_node(N_PARTIAL, line);
			n->partial = xstrndup(name, strlen(name));
			list_push(out, n);
			continue;
		}
		if (w[0][0] == '#') {
			const char *kw = w[0] + 1;
			int k;
			for (k = 0; k <= S_EACH; k++)
				if (strcmp(kw, sect_names[k]) == 0)
					break;
			if (k > S_EACH)
				err_at(t, line, "unknown section '#%s' (#if #unless #eq #ne #each)", kw);
			struct node *n = new_node(N_SECTION, line);
			n->sect = (enum sect)k;
			int want = (k == S_EQ || k == S_NE) ? 3 : 2;
			if (nw != want)
				err_at(t, line, "{{#%s}} takes %s", kw,
				       want == 3 ? "a path and a \"string\" or a second path" : "one path");
			if (w[1][0] == '"')
				err_at(t, line, "{{#%s}} needs a path first, not a string", kw);
			n->path = parse_path(t, line, w[1]);
			if (want == 3) {
				if (w[2][0] == '"') {
					n->has_lit = true;
					n->lit = xstrndup(w[2] + 1, strlen(w[2]) - 2);
				} else {
					n->path2 = parse_path(t, line, w[2]);
				}
			}
			const char *tm = NULL;
			int tl = 0;
			if (!parse_list(ps, &n->body, &tm, &tl))
				err_at(t, line, "{{#%s}} is never closed", kw);
			if (strcmp(tm, "else") == 0) {
				n->has_else = true;
				if (!parse_list(ps, &n->alt, &tm, &tl))
					err_at(t, line, "{{#%s}} is never closed", kw);
				if (strcmp(tm, "else") == 0)
					err_at(t, tl, "a second {{else}}");
			}
			if (strcmp(tm + 1, kw) != 0)
				err_at(t, tl, "{{%s}} closes {{#%s}} opened on line %d", tm, kw, line);
			list_push(out, n);
			continue;
		}
		int e;
		for (e = 0; e <= E_JSON; e++)
			if (strcmp(w[0], esc_names[e]) == 0)
				break;
		if (e > E_JSON)
			err_at(t, line, "unknown tag '{{%s}}': a slot names its escaper, "
			       "{{h|a|u|p|raw|json path}}", w[0]);
		if (nw != 2)
			err_at(t, line, "{{%s}} takes one path", w[0]);
		struct node *n = new_node(N_SLOT, line);
		n->esc = (enum esc)e;
		n->path = parse_path(t, line, w[1]);
		list_push(out, n);
	}
	return false;
}

static void parse_template(struct tmpl *t)
{
	struct parser ps = { t, t->src, t->src + t->srclen, 1 };
	const char *term = NULL;
	int tl = 0;
	if (parse_list(&ps, &t->nodes, &term, &tl))
		err_at(t, tl, "{{%s}} without an open section", term);
}

/* ---- HTML context analysis --------------------------------------------- */

static const char *const url_attrs[] = {
	"href", "src", "action", "formaction", "xlink:href", "poster", "cite",
	"data", "background", "ping", "manifest", "longdesc", "usemap", "icon",
	"codebase", "archive", "profile", "classid", "lowsrc", "dynsrc", NULL,
};

static bool in_list(const char *s, const char *const *l)
{
	for (; *l; l++)
		if (strcmp(s, *l) == 0)
			return true;
	return false;
}

static void append(char *buf, size_t size, char c)
{
	size_t n = strlen(buf);
	if (n + 1 < size)
		buf[n] = (char)tolower((unsigned char)c);
}

static void enter_text(struct hctx *h)
{
	memset(h, 0, sizeof(*h));
	h->st = H_TEXT;
}

static void enter_before_attr(struct hctx *h)
{
	h->st = H_BEFORE_ATTR;
	memset(h->attr, 0, sizeof(h->attr));
	memset(h->val, 0, sizeof(h->val));
	h->vlen = 0;
	h->val_slot = h->url_query = false;
}

static void check_attr_name(const struct tmpl *t, int line, const struct hctx *h)
{
	if (strncmp(h->attr, "on", 2) == 0)
		err_at(t, line, "event handler attribute '%s': the CSP forbids inline script; "
		       "attach behaviour in app.js", h->attr);
	if (strcmp(h->attr, "style") == 0)
		err_at(t, line, "style= attribute: the CSP forbids inline style; use a class in app.css");
	if (strcmp(h->attr, "srcdoc") == 0)
		err_at(t, line, "srcdoc= attribute is not allowed");
}

static void end_value(struct hctx *h)
{
	if (strcmp(h->tag, "script") == 0 && strcmp(h->attr, "type") == 0)
		h->json_type = strcmp(h->val, "application/json") == 0;
	enter_before_attr(h);
}

static void end_start_tag(const struct tmpl *t, int line, struct hctx *h)
{
	char tag[sizeof(h->tag)];
	memcpy(tag, h->tag, sizeof(tag));
	bool json = h->json_type;
	enter_text(h);
	if (strcmp(tag, "style") == 0)
		err_at(t, line, "<style> element: the CSP forbids inline style; use app.css");
	if (strcmp(tag, "script") == 0) {
		h->st = json ? H_JSON : H_SCRIPT_EMPTY;
		memcpy(h->tag, tag, sizeof(tag));
	} else if (strcmp(tag, "title") == 0 || strcmp(tag, "textarea") == 0) {
		h->st = H_RCDATA;
		memcpy(h->tag, tag, sizeof(tag));
	}
}

/* Inside raw text: looks for "</tag" (case-insensitively); true once the
 * whole end-tag opening has been seen. */
static bool match_end(struct hctx *h, char c)
{
	char want[sizeof(h->tag) + 2] = "</";
	memcpy(want + 2, h->tag, sizeof(h->tag));
	if ((char)tolower((unsigned char)c) == want[h->m]) {
		h->m++;
		if (want[h->m] == '\0')
			return true;
	} else {
		h->m = c == '<' ? 1 : 0;
	}
	return false;
}

static void feed(const struct tmpl *t, int line, struct hctx *h, char c)
{
	bool ws = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
	switch ((enum hstate)h->st) {
	case H_TEXT:
		if (c == '<')
			h->st = H_LT;
		break;
	case H_RCDATA:
	case H_JSON:
		if (match_end(h, c)) {
			enter_text(h);
			h->st = H_ENDTAG;
		}
		break;
	case H_SCRIPT_EMPTY: {
		unsigned char before = h->m;
		if (match_end(h, c)) {
			enter_text(h);
			h->st = H_ENDTAG;
		} else if (h->m != before + 1) {
			err_at(t, line, "inline script: the CSP forbids it; a <script> element must "
			       "be empty and load app.js with src=, or be type=\"application/json\"");
		}
		break;
	}
	case H_LT:
		if (c == '!' || c == '?') {
			h->st = H_MARKUP;
			h->m = c == '!' ? 0 : 9;
		} else if (c == '/') {
			h->st = H_ENDTAG;
		} else if (isalpha((unsigned char)c)) {
			h->st = H_TAGNAME;
			append(h->tag, sizeof(h->tag), c);
		} else {
			err_at(t, line, "stray '<' in text: write &lt;");
		}
		break;
	case H_TAGNAME:
		if (isalnum((unsigned char)c) || c == '-' || c == ':')
			append(h->tag, sizeof(h->tag), c);
		else if (ws || c == '/')
			enter_before_attr(h);
		else if (c == '>')
			end_start_tag(t, line, h);
		else
			err_at(t, line, "bad character '%c' in tag name", c);
		break;
	case H_ENDTAG:
		if (c == '>')
			enter_text(h);
		break;
	case H_BEFORE_ATTR:
		if (ws || c == '/')
			break;
		if (c == '>') {
			end_start_tag(t, line, h);
		} else if (c == '"' || c == '\'' || c == '<' || c == '=') {
			err_at(t, line, "unexpected '%c' where an attribute name belongs", c);
		} else {
			h->st = H_ATTR_NAME;
			append(h->attr, sizeof(h->attr), c);
		}
		break;
	case H_ATTR_NAME:
		if (ws || c == '=' || c == '>' || c == '/')
			check_attr_name(t, line, h);
		if (ws) {
			h->st = H_AFTER_ATTR_NAME;
		} else if (c == '=') {
			h->st = H_BEFORE_VALUE;
		} else if (c == '>') {
			end_start_tag(t, line, h);
		} else if (c == '/') {
			enter_before_attr(h);
		} else if (c == '"' || c == '\'' || c == '<') {
			err_at(t, line, "unexpected '%c' in attribute name", c);
		} else {
			append(h->attr, sizeof(h->attr), c);
		}
		break;
	case H_AFTER_ATTR_NAME:
		if (ws)
			break;
		if (c == '=') {
			h->st = H_BEFORE_VALUE;
		} else if (c == '>') {
			end_start_tag(t, line, h);
		} else if (c == '/') {
			enter_before_attr(h);
		} else {
			enter_before_attr(h);
			feed(t, line, h, c);
		}
		break;
	case H_BEFORE_VALUE:
		if (ws)
			break;
		if (c == '"') {
			h->st = H_VALUE_DQ;
		} else if (c == '\'') {
			h->st = H_VALUE_SQ;
		} else if (c == '>') {
			err_at(t, line, "attribute '%s' has '=' but no value", h->attr);
		} else {
			h->st = H_VALUE_UNQ;
			feed(t, line, h, c);
		}
		break;
	case H_VALUE_DQ:
	case H_VALUE_SQ:
	case H_VALUE_UNQ:
		if ((h->st == H_VALUE_DQ && c == '"') || (h->st == H_VALUE_SQ && c == '\'') ||
		    (h->st == H_VALUE_UNQ && ws)) {
			end_value(h);
			break;
		}
		if (h->st == H_VALUE_UNQ) {
			if (c == '>') {
				end_value(h);
				end_start_tag(t, line, h);
				break;
			}
			if (c == '"' || c == '\'' || c == '<' || c == '=' || c == '`')
				err_at(t, line, "'%c' in an unquoted attribute value: quote it", c);
		}
		if (c == '?' || c == '#')
			h->url_query = true;
		if (!h->val_slot && h->vlen + 1 < (int)sizeof(h->val))
			h->val[h->vlen] = c;
		if (h->vlen < 255)
			h->vlen++;
		break;
	case H_MARKUP:
		/* "<!--" opens a comment; anything else runs to '>' */
		if (h->m < 2 && c == '-') {
			if (++h->m == 2) {
				h->st = H_COMMENT;
				h->m = 0;
			}
		} else if (c == '>') {
			enter_text(h);
		} else {
			h->m = 9;
		}
		break;
	case H_COMMENT:
		if (c == '>' && h->m >= 2)
			enter_text(h);
		else
			h->m = c == '-' ? (unsigned char)(h->m < 2 ? h->m + 1 : 2) : 0;
		break;
	}
}

static bool url_prefix_ok(const struct hctx *h)
{
	const char *v = h->val;
	size_t n = strlen(v);
	if (n == 0)
		return false;
	/* browsers decode entities and drop tabs and newlines before parsing a
	 * URL, so "/&#47;x" or "/\n/x" would be "//x": allow neither in the path */
	for (size_t i = 0; i < n && v[i] != '?' && v[i] != '#'; i++)
		if (v[i] == '&' || v[i] == '\\' || isspace((unsigned char)v[i]))
			return false;
	if (v[0] == '/')
		return n == 1 || (v[1] != '/' && v[1] != '\\');
	if (v[0] == '?' || v[0] == '#')
		return true;
	if (strncmp(v, "mailto:", 7) == 0 || strncmp(v, "tel:", 4) == 0)
		return true;
	const char *s = NULL;
	if (strncmp(v, "https://", 8) == 0)
		s = v + 8;
	else if (strncmp(v, "http://", 7) == 0)
		s = v + 7;
	return s && *s && *s != '/' && *s != '\\';
}

static void check_slot(const struct tmpl *t, const struct node *n, struct hctx *h)
{
	enum esc e = n->esc;
	const char *en = esc_names[e];
	switch ((enum hstate)h->st) {
	case H_TEXT:
		if (e == E_H || e == E_RAW)
			return;
		err_at(t, n->line, "{{%s %s}} in element content: use {{h}} (or {{raw}} for "
		       "HTML sirt produced)", en, n->path.src);
	case H_RCDATA:
		if (e == E_H)
			return;
		err_at(t, n->line, "{{%s %s}} inside <%s>: only {{h}} fits there", en,
		       n->path.src, h->tag);
	case H_JSON:
		if (e == E_JSON)
			return;
		err_at(t, n->line, "{{%s %s}} inside a JSON data block: only {{json}} fits there",
		       en, n->path.src);
	case H_SCRIPT_EMPTY:
		err_at(t, n->line, "{{%s %s}} inside <script>: the CSP forbids inline script; "
		       "pass data in <script type=\"application/json\"> with {{json}}", en,
		       n->path.src);
	case H_VALUE_DQ:
	case H_VALUE_SQ:
		if (strcmp(h->tag, "script") == 0 || strcmp(h->tag, "meta") == 0)
			err_at(t, n->line, "{{%s %s}} in a <%s> attribute: those stay literal", en,
			       n->path.src, h->tag);
		if (strcmp(h->attr, "srcset") == 0)
			err_at(t, n->line, "{{%s %s}} in srcset: not supported", en, n->path.src);
		if (in_list(h->attr, url_attrs)) {
			if (e != E_P && e != E_U)
				err_at(t, n->line, "{{%s %s}} in URL attribute %s=: use {{p}} for a path "
				       "segment or {{u}} for a query component", en, n->path.src, h->attr);
			if (!url_prefix_ok(h))
				err_at(t, n->line, "{{%s %s}} in %s= must follow a literal prefix that "
				       "fixes scheme and host, such as \"/incidents/\" or \"?q=\"", en,
				       n->path.src, h->attr);
			if (e == E_P && h->url_query)
				err_at(t, n->line, "{{p %s}} after '?' or '#': use {{u}} in a query",
				       n->path.src);
			if (e == E_U && !h->url_query)
				err_at(t, n->line, "{{u %s}} before any '?' or '#': use {{p}} in a path",
				       n->path.src);
		} else if (e != E_A) {
			err_at(t, n->line, "{{%s %s}} in attribute %s=: use {{a}}", en,
			       n->path.src, h->attr);
		}
		h->val_slot = true;
		return;
	case H_VALUE_UNQ:
		err_at(t, n->line, "{{%s %s}} in an unquoted attribute value: quote it and use {{a}}",
		       en, n->path.src);
	case H_BEFORE_VALUE:
		err_at(t, n->line, "{{%s %s}} as an unquoted attribute value: write %s=\"{{a ...}}\"",
		       en, n->path.src, h->attr);
	default:
		err_at(t, n->line, "{{%s %s}} in %s: no slot may stand there", en, n->path.src,
		       hstate_names[h->st]);
	}
}

static void hset_add(struct hset *hs, const struct hctx *h, const struct tmpl *t, int line)
{
	for (int i = 0; i < hs->n; i++)
		if (memcmp(&hs->s[i], h, sizeof(*h)) == 0)
			return;
	if (hs->n == MAX_STATES)
		err_at(t, line, "sections leave too many different HTML states; simplify");
	hs->s[hs->n++] = *h;
}

static bool hset_equal(const struct hset *a, const struct hset *b)
{
	if (a->n != b->n)
		return false;
	for (int i = 0; i < a->n; i++) {
		bool found = false;
		for (int j = 0; j < b->n && !found; j++)
			found = memcmp(&a->s[i], &b->s[j], sizeof(a->s[i])) == 0;
		if (!found)
			return false;
	}
	return true;
}

static void analyse_text(const struct tmpl *t, const struct node *n, struct hset *hs)
{
	struct hset next = { 0 };
	for (int i = 0; i < hs->n; i++) {
		struct hctx h = hs->s[i];
		int line = n->line;
		for (size_t k = 0; k < n->len; k++) {
			feed(t, line, &h, n->text[k]);
			line += n->text[k] == '\n';
		}
		hset_add(&next, &h, t, line);
	}
	*hs = next;
}

static const struct tmpl *find_tmpl(const char *name)
{
	for (int i = 0; i < ntmpls; i++)
		if (strcmp(tmpls[i].name, name) == 0)
			return &tmpls[i];
	return NULL;
}

static void analyse_list(const struct tmpl *t, const struct list *l, struct hset *hs)
{
	for (int i = 0; i < l->n; i++) {
		const struct node *n = l->v[i];
		switch (n->kind) {
		case N_TEXT:
			analyse_text(t, n, hs);
			break;
		case N_SLOT: {
			struct hset next = { 0 };
			for (int k = 0; k < hs->n; k++) {
				struct hctx h = hs->s[k];
				check_slot(t, n, &h);
				hset_add(&next, &h, t, n->line);
			}
			*hs = next;
			break;
		}
		case N_PARTIAL:
			for (int k = 0; k < hs->n; k++)
				if (hs->s[k].st != H_TEXT)
					err_at(t, n->line, "{{> %s}} in %s: partials go in element content",
					       n->partial, hstate_names[hs->s[k].st]);
			if (!find_tmpl(n->partial))
				err_at(t, n->line, "no template '%s' for {{> %s}}", n->partial, n->partial);
			break;
		case N_SECTION: {
			struct hset start = *hs, body = *hs, alt = *hs;
			analyse_list(t, &n->body, &body);
			analyse_list(t, &n->alt, &alt);
			if (n->sect == S_EACH && !hset_equal(&start, &body))
				err_at(t, n->line, "the {{#each %s}} body must end in the HTML state it "
				       "starts in (close what it opens)", n->path.src);
			*hs = body;
			for (int k = 0; k < alt.n; k++)
				hset_add(hs, &alt.s[k], t, n->line);
			break;
		}
		}
	}
}

/* ---- code generation --------------------------------------------------- */

static void put_c_string(FILE *o, const char *s, size_t n, int indent)
{
	fputc('"', o);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\\' || c == '"')
			fprintf(o, "\\%c", c);
		else if (c == '\n') {
			fputs("\\n", o);
			if (i + 1 < n) {
				fputs("\"\n", o);
				for (int k = 0; k < indent; k++)
					fputc('\t', o);
				fputc('"', o);
			}
		} else if (c == '?')
			fputs("\\?", o); /* no trigraphs */
		else if (c == '\t')
			fputs("\\t", o);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(o, "\\%03o", c);
		else
			fputc(c, o);
	}
	fputc('"', o);
}

static void tabs(FILE *o, int n)
{
	while (n-- > 0)
		fputc('\t', o);
}

/* Paths emitted so far, by source text: one static per distinct path. */
static char **path_srcs;

static int path_id(const struct path *p)
{
	for (int i = 0; i < path_counter; i++)
		if (strcmp(path_srcs[i], p->src) == 0)
			return i + 1;
	return 0;
}

/* Emits a static struct tmpl_path unless an equal one exists. */
static void gen_path(FILE *o, const struct path *p)
{
	if (path_id(p))
		return;
	path_srcs = realloc(path_srcs, (size_t)(path_counter + 1) * sizeof(*path_srcs));
	if (!path_srcs)
		die("out of memory");
	path_srcs[path_counter] = p->src;
	int id = ++path_counter;
	if (p->nseg) {
		fprintf(o, "static const char *const P%d_s[] = {", id);
		for (int i = 0; i < p->nseg; i++) {
			fputs(i ? ", " : " ", o);
			put_c_string(o, p->segs[i], strlen(p->segs[i]), 0);
		}
		fputs(" };\n", o);
	}
	fprintf(o, "static const struct tmpl_path P%d = { %d, %s, %s, %d, %s%.0d%s };\n",
		id, p->up, p->root ? "true" : "false", special_enums[p->special], p->nseg,
		p->nseg ? "P" : "NULL", p->nseg ? id : 0, p->nseg ? "_s" : "");
}

/* Paths are emitted before the function that uses them. */
static void gen_paths(FILE *o, const struct list *l)
{
	for (int i = 0; i < l->n; i++) {
		const struct node *n = l->v[i];
		if (n->kind == N_SLOT || n->kind == N_SECTION)
			gen_path(o, &n->path);
		if (n->kind == N_SECTION) {
			if ((n->sect == S_EQ || n->sect == S_NE) && !n->has_lit)
				gen_path(o, &n->path2);
			gen_paths(o, &n->body);
			gen_paths(o, &n->alt);
		}
	}
}

static void gen_list(FILE *o, const struct tmpl *t, const struct list *l, int depth, int ind)
{
	for (int i = 0; i < l->n; i++) {
		const struct node *n = l->v[i];
		switch (n->kind) {
		case N_TEXT:
			tabs(o, ind);
			fputs("sb_append(out, ", o);
			put_c_string(o, n->text, n->len, ind + 1);
			fprintf(o, ", %zu);\n", n->len);
			break;
		case N_SLOT:
			tabs(o, ind);
			fprintf(o, "tmpl_put(out, %s, tmpl_lookup(s%d, &P%d));\n", esc_enums[n->esc],
				depth, path_id(&n->path));
			break;
		case N_PARTIAL:
			tabs(o, ind);
			fprintf(o, "r_%s(out, s%d);\n", n->partial, depth);
			break;
		case N_SECTION: {
			int p1 = path_id(&n->path);
			if (n->sect == S_EACH) {
				int d = depth + 1;
				tabs(o, ind);
				fprintf(o, "{\n");
				tabs(o, ind + 1);
				fprintf(o, "json_t *a%d = tmpl_lookup(s%d, &P%d);\n", d, depth, p1);
				tabs(o, ind + 1);
				fprintf(o, "size_t n%d = tmpl_length(a%d);\n", d, d);
				tabs(o, ind + 1);
				fprintf(o, "if (n%d) {\n", d);
				tabs(o, ind + 2);
				fprintf(o, "struct tmpl_scope l%d;\n", d);
				tabs(o, ind + 2);
				fprintf(o, "const struct tmpl_scope *s%d = &l%d;\n", d, d);
				tabs(o, ind + 2);
				fprintf(o, "(void)s%d;\n", d);
				tabs(o, ind + 2);
				fprintf(o, "tmpl_loop_begin(&l%d, s%d, a%d);\n", d, depth, d);
				tabs(o, ind + 2);
				fprintf(o, "for (size_t i%d = 0; i%d < n%d; i%d++) {\n", d, d, d, d);
				tabs(o, ind + 3);
				fprintf(o, "tmpl_loop_at(&l%d, i%d);\n", d, d);
				gen_list(o, t, &n->body, d, ind + 3);
				tabs(o, ind + 2);
				fputs("}\n", o);
				tabs(o, ind + 2);
				fprintf(o, "tmpl_loop_end(&l%d);\n", d);
				tabs(o, ind + 1);
				fputs("}", o);
				if (n->alt.n) {
					fputs(" else {\n", o);
					gen_list(o, t, &n->alt, depth, ind + 2);
					tabs(o, ind + 1);
					fputs("}", o);
				}
				fputs("\n", o);
				tabs(o, ind);
				fputs("}\n", o);
				break;
			}
			tabs(o, ind);
			switch (n->sect) {
			case S_IF:
				fprintf(o, "if (tmpl_truthy(tmpl_lookup(s%d, &P%d))) {\n", depth, p1);
				break;
			case S_UNLESS:
				fprintf(o, "if (!tmpl_truthy(tmpl_lookup(s%d, &P%d))) {\n", depth, p1);
				break;
			case S_EQ:
			case S_NE:
				fprintf(o, "if (%stmpl_", n->sect == S_NE ? "!" : "");
				if (n->has_lit) {
					fprintf(o, "eq_str(tmpl_lookup(s%d, &P%d), ", depth, p1);
					put_c_string(o, n->lit, strlen(n->lit), 0);
					fputs(")) {\n", o);
				} else {
					fprintf(o, "eq(tmpl_lookup(s%d, &P%d), tmpl_lookup(s%d, &P%d))) {\n",
						depth, p1, depth, path_id(&n->path2));
				}
				break;
			case S_EACH:
				break;
			}
			gen_list(o, t, &n->body, depth, ind + 1);
			tabs(o, ind);
			fputs("}", o);
			if (n->alt.n) {
				fputs(" else {\n", o);
				gen_list(o, t, &n->alt, depth, ind + 1);
				tabs(o, ind);
				fputs("}", o);
			}
			fputs("\n", o);
			break;
		}
		}
	}
}

static void mark_partials(const struct list *l)
{
	for (int i = 0; i < l->n; i++) {
		const struct node *n = l->v[i];
		if (n->kind == N_PARTIAL) {
			struct tmpl *p = (struct tmpl *)find_tmpl(n->partial);
			if (p)
				p->partial = true;
		} else if (n->kind == N_SECTION) {
			mark_partials(&n->body);
			mark_partials(&n->alt);
		}
	}
}

static char *base_name(const char *path)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	size_t n = strlen(b);
	if (n < 6 || strcmp(b + n - 5, ".html") != 0)
		die("%s: template names end in .html", path);
	char *name = xstrndup(b, n - 5);
	if (!valid_name(name))
		die("%s: a template name is [a-z0-9_]+", path);
	return name;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		die("usage: tmplc OUT_HEADER.h TEMPLATE.html... > OUT.c");
	const char *hdr_path = argv[1];
	ntmpls = argc - 2;
	tmpls = xmalloc((size_t)(ntmpls ? ntmpls : 1) * sizeof(*tmpls));
	for (int i = 0; i < ntmpls; i++) {
		struct tmpl *t = &tmpls[i];
		t->file = argv[i + 2];
		t->name = base_name(t->file);
		for (int j = 0; j < i; j++)
			if (strcmp(tmpls[j].name, t->name) == 0)
				die("two templates named %s", t->name);
		t->src = read_file(t->file, &t->srclen);
		parse_template(t);
	}
	for (int i = 0; i < ntmpls; i++) {
		struct tmpl *t = &tmpls[i];
		struct hset hs = { 1, { { .st = H_TEXT } } };
		analyse_list(t, &t->nodes, &hs);
		for (int k = 0; k < hs.n; k++)
			if (hs.s[k].st != H_TEXT)
				err_at(t, count_lines(t->src, t->src + t->srclen) + 1,
				       "template ends inside %s", hstate_names[hs.s[k].st]);
		mark_partials(&t->nodes);
	}

	FILE *h = fopen(hdr_path, "w");
	if (!h)
		die("cannot write %s", hdr_path);
	fputs("/* generated by tools/tmplc; do not edit */\n"
	      "#ifndef SIRT_GEN_TEMPLATES_H\n#define SIRT_GEN_TEMPLATES_H\n\n"
	      "#include <jansson.h>\n#include \"util/strbuf.h\"\n\n", h);
	for (int i = 0; i < ntmpls; i++)
		fprintf(h, "void tmpl_%s(struct strbuf *out, json_t *model);\n", tmpls[i].name);
	fputs("\n#endif\n", h);
	if (fclose(h) != 0)
		die("cannot write %s", hdr_path);

	FILE *o = stdout;
	const char *hdr_base = strrchr(hdr_path, '/');
	hdr_base = hdr_base ? hdr_base + 1 : hdr_path;
	fprintf(o, "/* generated by tools/tmplc; do not edit */\n"
		"#include <stdbool.h>\n#include <stddef.h>\n\n"
		"#include \"%s\"\n#include \"web/tmpl_runtime.h\"\n\n", hdr_base);
	for (int i = 0; i < ntmpls; i++)
		fprintf(o, "static void r_%s(struct strbuf *out, const struct tmpl_scope *s0);\n",
			tmpls[i].name);
	for (int i = 0; i < ntmpls; i++) {
		struct tmpl *t = &tmpls[i];
		fprintf(o, "\n/* %s */\n", t->file);
		gen_paths(o, &t->nodes);
		fprintf(o, "\nstatic void r_%s(struct strbuf *out, const struct tmpl_scope *s0)\n{\n"
			"\t(void)s0;\n", t->name);
		gen_list(o, t, &t->nodes, 0, 1);
		fprintf(o, "}\n\nvoid tmpl_%s(struct strbuf *out, json_t *model)\n{\n"
			"\tstruct tmpl_scope s;\n\ttmpl_scope_root(&s, model);\n"
			"\tr_%s(out, &s);\n}\n", t->name, t->name);
	}
	fputs("\nconst struct tmpl_entry tmpl_all[] = {\n", o);
	for (int i = 0; i < ntmpls; i++)
		fprintf(o, "\t{ \"%s\", tmpl_%s, %s },\n", tmpls[i].name, tmpls[i].name,
			tmpls[i].partial ? "true" : "false");
	fputs("\t{ NULL, NULL, false },\n};\n", o);
	fprintf(o, "const size_t tmpl_count = %d;\n", ntmpls);
	if (fflush(o) != 0 || ferror(o))
		die("cannot write output");
	return 0;
}
