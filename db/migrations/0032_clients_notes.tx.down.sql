DROP TABLE client_erasures;
ALTER TABLE privacy_settings DROP COLUMN notes_keep_years;
DROP TABLE treatment_note_versions;
DROP TABLE treatment_notes;
DROP FUNCTION treatment_note_versions_append_only();
DROP FUNCTION treatment_note_keep_version();
DROP TABLE client_merges;
