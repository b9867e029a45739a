-- A lead's standard fields (email, document, city, state, country, zip_code: the
-- mapping fields of those names, normalised; streams/fields.py), set with every command
-- of a matched webhook. Leads stored before have none.
ALTER TABLE {db}.leads ADD COLUMN IF NOT EXISTS profile Map(String, String) AFTER fields;
