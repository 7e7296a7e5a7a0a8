/*
 * Built-in playbooks: a short list of tasks for each incident category,
 * added to an incident when it is created with a category or when its
 * category is first set. The plan issue moves playbooks into the
 * organisation's IR plan; these stay as the defaults.
 */
#ifndef SIRT_CORE_PLAYBOOK_H
#define SIRT_CORE_PLAYBOOK_H

#define PLAYBOOK_TASK_TITLE_MAX 200

/* The task titles for a category (NULL-terminated), or NULL for an unknown
 * category. */
const char *const *playbook_tasks(const char *category);

#endif
