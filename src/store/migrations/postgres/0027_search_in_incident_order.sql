-- Issue 4, search at scale: the SQLite schema keys its timeline and
-- indicator full-text indexes in incident order (see the SQLite 0027).
-- PostgreSQL searches its GIN indexes directly; nothing changes here.
SELECT 1;
