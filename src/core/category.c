#include "core/category.h"

#include <string.h>

const char *const incident_categories[] = {
	"unauthorised_access", "malware", "ransomware", "data_breach", "denial_of_service",
	"phishing", "account_compromise", "insider_threat", "lost_device", "third_party",
	"other", NULL,
};

/* NIST SP 800-61r2 section 3.2.1 and the CISA guidelines (which add
 * "unknown" and call impersonation "impersonation/spoofing"). */
const char *const attack_vectors[] = {
	"unknown", "attrition", "web", "email", "external_removable_media", "impersonation",
	"improper_usage", "loss_or_theft", "other", NULL,
};

/* VERIS action categories (action.* in the VERIS schema). */
const char *const veris_actions[] = {
	"hacking", "malware", "social", "misuse", "physical", "error", "environmental",
	"unknown", NULL,
};

const char *const incident_resolutions[] = {
	"fixed", "mitigated", "accepted_risk", "false_positive", "duplicate", "no_action_needed",
	"other", NULL,
};

const char *const root_cause_categories[] = {
	"unpatched_vulnerability", "misconfiguration", "weak_or_stolen_credentials",
	"social_engineering", "human_error", "malicious_insider", "third_party",
	"software_defect", "process_gap", "physical", "unknown", "other", NULL,
};

/* NIST SP 800-61r2 table 3-2 */
const char *const impact_functional_levels[] = {"none", "low", "medium", "high", NULL};
/* table 3-3 */
const char *const impact_information_levels[] = {"none", "privacy", "proprietary", "integrity",
						  NULL};
/* table 3-4 */
const char *const impact_recoverability_levels[] = {"regular", "supplemented", "extended",
						    "not_recoverable", NULL};

/* TLP 2.0 */
const char *const tlp_levels[] = {"clear", "green", "amber", "amber+strict", "red", NULL};

const char *const incident_sources[] = {"manual", "alert", "import", NULL};
const char *const reject_reasons[] = {"false_positive", "duplicate", NULL};
const char *const timeline_kinds[] = {"action", "note", "decision", "communication", NULL};
const char *const task_statuses[] = {"open", "in_progress", "done", "cancelled", NULL};

bool enum_contains(const char *const *list, const char *s)
{
	if (!s)
		return false;
	for (; *list; list++)
		if (strcmp(*list, s) == 0)
			return true;
	return false;
}

void enum_join(const char *const *list, struct strbuf *sb)
{
	for (const char *const *p = list; *p; p++)
		sb_printf(sb, "%s%s", p == list ? "" : ", ", *p);
}

bool task_status_is_finished(const char *s)
{
	return s && (strcmp(s, "done") == 0 || strcmp(s, "cancelled") == 0);
}
