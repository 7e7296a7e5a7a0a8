-- Notification rules (issue 6): the time-based rules (overdue tasks and
-- action items) raise each notice once across all nodes: a mark is inserted
-- with ON CONFLICT DO NOTHING in the transaction that queues the notice.
CREATE TABLE notify_marks (
	org_id INTEGER NOT NULL REFERENCES orgs(id),
	mark TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (org_id, mark)
) STRICT;
CREATE INDEX outbox_incident_event ON outbox(incident_id, event, status);
