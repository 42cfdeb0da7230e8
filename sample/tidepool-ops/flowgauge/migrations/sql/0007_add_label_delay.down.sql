DROP INDEX IF EXISTS prediction_event_label_received_at;
ALTER TABLE prediction_event DROP COLUMN IF EXISTS label_received_at;
