/*
 * Unit tests for src/web/multipart.c: a real libmicrohttpd daemon on
 * loopback feeds request bodies chunk by chunk (as server.c does) into the
 * multipart parser; the bodies are written by hand over a socket so that
 * broken and cut-off bodies can be sent too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>
#include <microhttpd.h>

#include "util/strbuf.h"
#include "web/multipart.h"

#define FILE_MAX 100000

static const char *const fields[] = {"csrf", "description", "source", NULL};

/* What the handler saw, for the tests to check. */
struct seen {
	bool created;
	int feed_rc, finish_rc;
	enum multipart_fail fail;
	char file_name[256], file_type[128];
	uint64_t file_size, sum;   /* bytes passed to the sink and their sum */
	int chunks;
	char csrf[64], description[256];
	char form[512];
};

static struct seen seen;
static bool refuse_file;

struct conn_state {
	struct multipart *mp;
	struct multipart_spec spec;
	bool failed;
};

static int file_begin(void *cls, const char *name, const char *type)
{
	snprintf(seen.file_name, sizeof(seen.file_name), "%s", name);
	snprintf(seen.file_type, sizeof(seen.file_type), "%s", type);
	return refuse_file ? -1 : 0;
}

static int file_data(void *cls, const char *data, size_t len)
{
	seen.chunks++;
	for (size_t i = 0; i < len; i++)
		seen.sum += (unsigned char)data[i];
	seen.file_size += len;
	return 0;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
			       const char *method, const char *version, const char *data,
			       size_t *size, void **con_cls)
{
	struct conn_state *st = *con_cls;
	if (!st) {
		st = calloc(1, sizeof(*st));
		st->spec = (struct multipart_spec){.file_field = "file", .fields = fields,
						   .field_max = 200, .file_max = FILE_MAX,
						   .file_begin = file_begin, .file_data = file_data};
		*con_cls = st;
		seen.created = multipart_new(c, &st->spec, &st->mp) == 0;
		return MHD_YES;
	}
	if (*size) {
		if (st->mp && !st->failed && multipart_feed(st->mp, data, *size) < 0) {
			st->failed = true;
			seen.feed_rc = -1;
		}
		*size = 0;
		return MHD_YES;
	}
	if (st->mp) {
		if (!st->failed)
			seen.finish_rc = multipart_finish(st->mp);
		seen.fail = multipart_failure(st->mp);
		const char *v = multipart_field(st->mp, "csrf");
		snprintf(seen.csrf, sizeof(seen.csrf), "%s", v ? v : "(none)");
		v = multipart_field(st->mp, "description");
		snprintf(seen.description, sizeof(seen.description), "%s", v ? v : "(none)");
		struct strbuf sb;
		sb_init(&sb, 4096);
		multipart_form(st->mp, &sb);
		snprintf(seen.form, sizeof(seen.form), "%s", sb_str(&sb));
		sb_free(&sb);
		assert_int_equal(multipart_file_size(st->mp), seen.file_size);
	}
	struct MHD_Response *r = MHD_create_response_from_buffer(2, (void *)"ok", MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	return ret;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct conn_state *st = *con_cls;
	if (st) {
		multipart_free(st->mp);
		free(st);
	}
	*con_cls = NULL;
}

static struct MHD_Daemon *daemon_;
static uint16_t port;

static int setup(void **state)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	daemon_ = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, handler, NULL,
				   MHD_OPTION_SOCK_ADDR, &a, MHD_OPTION_NOTIFY_COMPLETED,
				   completed, NULL, MHD_OPTION_END);
	assert_non_null(daemon_);
	port = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT)->port;
	return 0;
}

static int teardown(void **state)
{
	MHD_stop_daemon(daemon_);
	return 0;
}

/* Sends a request with body (declared length `declared`, or the body's),
 * in pieces of `piece` bytes; returns the status (0 when none came back). */
static int send_body(const char *ctype, const char *body, size_t len, size_t declared,
		     size_t piece)
{
	memset(&seen, 0, sizeof(seen));
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	char head[512];
	int n = snprintf(head, sizeof(head),
			 "POST /up HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
			 ctype, declared ? declared : len);
	assert_int_equal(write(fd, head, (size_t)n), n);
	for (size_t off = 0; off < len; off += piece) {
		size_t k = len - off < piece ? len - off : piece;
		assert_int_equal(write(fd, body + off, k), (ssize_t)k);
		usleep(200);
	}
	if (declared > len)
		shutdown(fd, SHUT_WR); /* the client gives up half-way */
	char buf[256] = "";
	ssize_t got = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	usleep(20000); /* let the completion callback run */
	int status = 0;
	if (got > 12)
		sscanf(buf, "HTTP/1.1 %d", &status);
	return status;
}

#define CT "multipart/form-data; boundary=XyZ"

static char *body_with_file(size_t file_len, uint64_t *sum, size_t *len)
{
	struct strbuf sb;
	sb_init(&sb, 0);
	sb_puts(&sb, "--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\ntok123\r\n");
	sb_puts(&sb, "--XyZ\r\nContent-Disposition: form-data; name=\"ignored\"\r\n\r\nzzz\r\n");
	sb_puts(&sb, "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"disk.img\"\r\n"
		     "Content-Type: application/octet-stream\r\n\r\n");
	*sum = 0;
	for (size_t i = 0; i < file_len; i++) {
		/* bytes that look like boundaries and CRLFs now and then */
		char ch = i % 997 == 0 ? '\r' : i % 991 == 0 ? '\n' : i % 983 == 0 ? '-' : (char)(i * 7);
		sb_putc(&sb, ch);
		*sum += (unsigned char)ch;
	}
	sb_puts(&sb, "\r\n--XyZ\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\n"
		     "Disk image of WS-042 & more=yes\r\n--XyZ--\r\n");
	*len = sb.len;
	return sb_steal(&sb, NULL);
}

static void test_file_and_fields(void **state)
{
	uint64_t sum;
	size_t len;
	char *body = body_with_file(60000, &sum, &len);
	assert_int_equal(send_body(CT, body, len, 0, 1500), 200);
	assert_true(seen.created);
	assert_int_equal(seen.feed_rc, 0);
	assert_int_equal(seen.finish_rc, 0);
	assert_int_equal(seen.fail, MULTIPART_OK);
	assert_string_equal(seen.file_name, "disk.img");
	assert_string_equal(seen.file_type, "application/octet-stream");
	assert_int_equal(seen.file_size, 60000);
	assert_int_equal(seen.sum, sum);
	assert_true(seen.chunks > 1); /* streamed, not buffered whole */
	assert_string_equal(seen.csrf, "tok123");
	assert_string_equal(seen.description, "Disk image of WS-042 & more=yes");
	assert_string_equal(seen.form,
			    "csrf=tok123&description=Disk%20image%20of%20WS-042%20%26%20more%3Dyes");
	free(body);
}

static void test_file_too_big(void **state)
{
	uint64_t sum;
	size_t len;
	char *body = body_with_file(FILE_MAX + 1, &sum, &len);
	assert_int_equal(send_body(CT, body, len, 0, 8000), 200);
	assert_int_equal(seen.feed_rc, -1);
	assert_int_equal(seen.fail, MULTIPART_FILE_TOO_BIG);
	assert_true(seen.file_size <= FILE_MAX);
	free(body);
}

static void test_field_too_big(void **state)
{
	struct strbuf sb;
	sb_init(&sb, 0);
	sb_puts(&sb, "--XyZ\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\n");
	for (int i = 0; i < 300; i++)
		sb_putc(&sb, 'a');
	sb_puts(&sb, "\r\n--XyZ--\r\n");
	assert_int_equal(send_body(CT, sb.buf, sb.len, 0, 64), 200);
	assert_int_equal(seen.fail, MULTIPART_FIELD_TOO_BIG);
	sb_free(&sb);
}

static void test_cut_off_body(void **state)
{
	/* complete by Content-Length, but the part never ends */
	const char *b = "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\n"
			"\r\nhalf of the data";
	assert_int_equal(send_body(CT, b, strlen(b), 0, 10), 200);
	assert_int_equal(seen.feed_rc, 0);
	assert_int_equal(seen.finish_rc, SIRT_EINVAL);
	assert_int_equal(seen.fail, MULTIPART_MALFORMED);
}

static void test_two_files_refused(void **state)
{
	const char *b = "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\nAAAA\r\n"
			"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"b\"\r\n\r\nBBBB\r\n"
			"--XyZ--\r\n";
	assert_int_equal(send_body(CT, b, strlen(b), 0, 4096), 200);
	assert_int_equal(seen.fail, MULTIPART_MALFORMED);
	assert_int_equal(seen.file_size, 4);
}

static void test_sink_refuses(void **state)
{
	uint64_t sum;
	size_t len;
	char *body = body_with_file(1000, &sum, &len);
	refuse_file = true;
	assert_int_equal(send_body(CT, body, len, 0, 4096), 200);
	assert_int_equal(seen.fail, MULTIPART_SINK);
	assert_int_equal(seen.file_size, 0);
	refuse_file = false;
	free(body);
}

static void test_not_multipart(void **state)
{
	const char *b = "csrf=x&description=y";
	/* MHD parses urlencoded bodies too, but that is not what a file form sends */
	assert_int_equal(send_body("application/x-www-form-urlencoded", b, strlen(b), 0, 100), 200);
	assert_false(seen.created);
	assert_int_equal(send_body("text/plain", b, strlen(b), 0, 100), 200);
	assert_false(seen.created);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_and_fields),
		cmocka_unit_test(test_file_too_big),
		cmocka_unit_test(test_field_too_big),
		cmocka_unit_test(test_cut_off_body),
		cmocka_unit_test(test_two_files_refused),
		cmocka_unit_test(test_sink_refuses),
		cmocka_unit_test(test_not_multipart),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
