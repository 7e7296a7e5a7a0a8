/*
 * VERIS (Vocabulary for Event Recording and Incident Sharing) 1.3.4 <-> the
 * sirt incident record. Pure functions on JSON, no I/O.
 *
 * The sirt record is the JSON of an incident with the column names of the
 * incidents table (0020_incident_record.sql) as keys, times as RFC 3339 UTC
 * strings, list fields as arrays, personal_data as a boolean, plus "tags".
 *
 * Import (veris_to_record) checks what the schema requires at the top level
 * and every enumeration it maps, then derives:
 *   external_ref      incident_id
 *   title             the first sentence of summary (at most 200 characters)
 *   description       summary
 *   severity          impact.overall_rating: Catastrophic critical, Damaging
 *                     high, Painful medium, Distracting/Insignificant low,
 *                     Unknown or none medium
 *   veris_action      the first of hacking, malware, social, misuse,
 *                     physical, error, environmental, unknown present
 *   occurred_at       timeline.incident (missing month/day: the 1st)
 *   detected_at       occurred_at + timeline.discovery when unit and value
 *                     are known; contained_at likewise from containment
 *   data_types        attribute.confidentiality.data[].variety
 *   personal_data     one of those is Personal, Medical, Payment or Bank
 *   impact_information privacy / proprietary / integrity from the attributes
 *   affected_systems  asset.assets[].variety (Unknown ones left out)
 *   status            closed (rejected with reason false_positive when
 *                     security_incident is "False positive")
 *   reporter          source_id; tags: "veris" and source_id
 * The whole document is kept beside the record (incident_veris) so export
 * can give back what sirt has no column for.
 *
 * Export (veris_from_record) starts from that original document when there
 * is one and regenerates every section sirt owns from the record, keeping
 * the original section when the record still says what it said (so an
 * untouched import exports to the same document, and an edited one shows
 * the edit). Incidents born in sirt get "Unknown" where sirt knows nothing
 * (actor, asset, victim details). sirt-only fields go to plus.sirt.
 */
#ifndef SIRT_VERIS_H
#define SIRT_VERIS_H

#include <jansson.h>
#include <stdint.h>

#include "util/err.h"

#define VERIS_SCHEMA_VERSION "1.3.4"

/*
 * Validates doc and maps it. On success *record is a new sirt record. On
 * failure SIRT_EINVAL and *errors (new array of {"field","message"}) names
 * every offending field by its path, e.g. "timeline.incident.month".
 * now: the import time (closed_at of imported incidents).
 */
int veris_to_record(json_t *doc, int64_t now, json_t **record, json_t **errors) WUR;

/*
 * The VERIS document of a sirt record. original (may be NULL) is the
 * document the incident was imported from; org_name names the victim.
 * Returns a new reference.
 */
json_t *veris_from_record(json_t *record, json_t *original, const char *org_name);

/* Helpers shared with the tests. */
const char *veris_severity_of_rating(const char *rating);
const char *veris_rating_of_severity(const char *severity);
/* "Patient data was stolen. More text" -> "Patient data was stolen" */
char *veris_title_of_summary(const char *summary); /* caller frees */

#endif
