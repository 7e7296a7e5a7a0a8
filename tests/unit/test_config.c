/* src/app/config.c: settings, the file format, the environment, listen addresses. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "app/config.h"

static void test_defaults_and_set(void **state)
{
	struct config c;
	config_defaults(&c);
	assert_string_equal(c.listen, "127.0.0.1:8080");
	assert_int_equal(c.threads, 64);
	const char *why;
	assert_int_equal(config_set(&c, "threads", "16", &why), 0);
	assert_int_equal(c.threads, 16);
	assert_int_equal(config_set(&c, "threads", "0", &why), SIRT_EINVAL);
	assert_int_equal(config_set(&c, "threads", "12x", &why), SIRT_EINVAL);
	assert_int_equal(config_set(&c, "max-body", "2M", &why), 0);
	assert_int_equal(c.max_body, 2 << 20);
	assert_int_equal(config_set(&c, "nonsense", "1", &why), SIRT_EINVAL);
	assert_string_equal(why, "unknown setting");
	config_free(&c);
}

static void test_file_and_env(void **state)
{
	char path[] = "/tmp/sirt-conf-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *text = "# comment\n\n db = sqlite:/tmp/x.db  # trailing\nlisten=0.0.0.0:9000\n";
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	struct config c;
	char err[256];
	config_defaults(&c);
	assert_int_equal(config_load_file(&c, path, err, sizeof(err)), 0);
	assert_string_equal(c.db, "sqlite:/tmp/x.db");
	assert_string_equal(c.listen, "0.0.0.0:9000");
	setenv("SIRT_LISTEN", "127.0.0.1:9999", 1);
	assert_int_equal(config_load_env(&c, err, sizeof(err)), 0);
	assert_string_equal(c.listen, "127.0.0.1:9999");
	unsetenv("SIRT_LISTEN");
	setenv("SIRT_THREADS", "many", 1);
	assert_int_equal(config_load_env(&c, err, sizeof(err)), SIRT_EINVAL);
	assert_non_null(strstr(err, "SIRT_THREADS"));
	unsetenv("SIRT_THREADS");
	FILE *f = fopen(path, "w");
	fputs("db = x\nthis line has no equals sign\n", f);
	fclose(f);
	assert_int_equal(config_load_file(&c, path, err, sizeof(err)), SIRT_EINVAL);
	assert_non_null(strstr(err, ":2:"));
	unlink(path);
	assert_int_equal(config_load_file(&c, path, err, sizeof(err)), SIRT_EIO);
	config_free(&c);
}

static void test_split_listen(void **state)
{
	char host[64];
	int port;
	assert_int_equal(config_split_listen("127.0.0.1:8080", host, sizeof(host), &port), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 8080);
	assert_int_equal(config_split_listen("[::1]:0", host, sizeof(host), &port), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 0);
	assert_int_equal(config_split_listen("localhost", host, sizeof(host), &port), SIRT_EINVAL);
	assert_int_equal(config_split_listen(":80", host, sizeof(host), &port), SIRT_EINVAL);
	assert_int_equal(config_split_listen("h:70000", host, sizeof(host), &port), SIRT_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_and_set),
		cmocka_unit_test(test_file_and_env),
		cmocka_unit_test(test_split_listen),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
