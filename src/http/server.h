#ifndef SIRT_SERVER_H
#define SIRT_SERVER_H

#include "app/app.h"
#include "http/http.h"
#include "util/err.h"

struct server;

/* Starts listening per app->cfg; err gets a message on failure. */
int server_start(struct app *app, struct server **out, char *err, size_t errlen) WUR;
/* Stops accepting, lets in-flight requests finish, frees the server. */
void server_stop(struct server *s);
/* The bound port (useful with --listen 127.0.0.1:0). */
int server_port(const struct server *s);

/* Optional authentication hook for session cookies (set by src/auth/session.c
 * users); returns 0 and fills r->who when a valid session is present. */
extern int (*server_session_hook)(struct req *r);
/* CSRF check for cookie-authenticated state-changing requests; 0 = valid. */
extern int (*server_csrf_hook)(struct req *r);

#endif
