ALTER TABLE prediction_event ADD COLUMN label_received_at TIMESTAMPTZ;
CREATE INDEX prediction_event_label_received_at ON prediction_event (label_received_at);
