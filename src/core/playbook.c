#include "core/playbook.h"

#include <stddef.h>
#include <string.h>

struct playbook {
	const char *category;
	const char *const tasks[8];
};

/* Kept short on purpose: the first hour's steps, not a manual. */
static const struct playbook playbooks[] = {
	{"unauthorised_access",
	 {"Identify the accounts and systems accessed", "Revoke the access path (credentials, keys, sessions)",
	  "Preserve access logs as evidence", "Determine what data was viewed or changed",
	  "Decide whether notification clocks apply", NULL}},
	{"malware",
	 {"Isolate the affected hosts from the network", "Collect a sample and its hashes as indicators",
	  "Scan the estate for the same indicators", "Reimage or clean the affected hosts",
	  "Confirm no persistence remains before reconnecting", NULL}},
	{"ransomware",
	 {"Isolate affected hosts and stop replication to backups",
	  "Identify the ransomware family and the ransom note", "Verify backups are intact and offline",
	  "Check for data exfiltration before encryption", "Brief leadership and legal on the ransom decision",
	  "Decide whether notification clocks apply", "Restore from known-good backups", NULL}},
	{"data_breach",
	 {"Stop the ongoing exposure", "Identify the data types and records involved",
	  "Decide whether personal data is involved (GDPR awareness time)",
	  "Preserve evidence of what was accessed", "Prepare regulator and customer notifications",
	  NULL}},
	{"denial_of_service",
	 {"Confirm the attack and its traffic pattern", "Engage the upstream provider or DDoS protection",
	  "Apply rate limits or filtering rules", "Communicate status to customers", NULL}},
	{"phishing",
	 {"Collect the message and its headers", "Block sender, domains and URLs as indicators",
	  "Find and remove the message from other mailboxes",
	  "Reset credentials of users who clicked or replied", NULL}},
	{"account_compromise",
	 {"Disable the account or force a password reset", "Revoke sessions, tokens and MFA devices",
	  "Review the account's recent activity", "Check for mailbox rules and new credentials",
	  NULL}},
	{"insider_threat",
	 {"Involve HR and legal before acting", "Preserve evidence quietly",
	  "Restrict the person's access as agreed with HR", "Determine what data was taken", NULL}},
	{"lost_device",
	 {"Record when and where the device was lost", "Wipe or lock the device remotely",
	  "Confirm disk encryption status", "Revoke the device's credentials and sessions", NULL}},
	{"third_party",
	 {"Obtain the supplier's incident report", "Identify our data and systems the supplier touches",
	  "Rotate shared credentials and keys", "Check contract notification duties", NULL}},
	{"other", {"Describe the incident and its scope", "Assign an incident commander", NULL}},
};

const char *const *playbook_tasks(const char *category)
{
	if (!category)
		return NULL;
	for (size_t i = 0; i < sizeof(playbooks) / sizeof(playbooks[0]); i++)
		if (strcmp(playbooks[i].category, category) == 0)
			return playbooks[i].tasks;
	return NULL;
}
