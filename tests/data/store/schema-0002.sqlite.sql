CREATE TABLE migration (
	name VARCHAR NOT NULL, 
	applied_at DATETIME NOT NULL, 
	PRIMARY KEY (name)
);

CREATE TABLE source (
	name VARCHAR NOT NULL, 
	kind VARCHAR NOT NULL, 
	last_sync DATETIME, 
	last_error VARCHAR, 
	PRIMARY KEY (name)
);

CREATE TABLE checkpoint (
	source VARCHAR NOT NULL, 
	folder VARCHAR NOT NULL, 
	state TEXT NOT NULL, 
	updated_at DATETIME NOT NULL, 
	PRIMARY KEY (source, folder)
);

CREATE TABLE message (
	id INTEGER NOT NULL, 
	source VARCHAR NOT NULL, 
	folder VARCHAR NOT NULL, 
	role VARCHAR NOT NULL, 
	uidvalidity VARCHAR NOT NULL, 
	uid VARCHAR NOT NULL, 
	message_id VARCHAR NOT NULL, 
	subject VARCHAR NOT NULL, 
	norm_subject VARCHAR NOT NULL, 
	from_email VARCHAR NOT NULL, 
	from_name VARCHAR NOT NULL, 
	date DATETIME NOT NULL, 
	in_reply_to VARCHAR, 
	refs TEXT NOT NULL, 
	excerpt TEXT NOT NULL, 
	attachments VARCHAR NOT NULL, 
	automated VARCHAR, 
	size INTEGER NOT NULL, 
	gmail_thread_id VARCHAR, 
	from_me BOOLEAN NOT NULL, 
	thread_id INTEGER, 
	analysed BOOLEAN NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_message_location UNIQUE (source, folder, uidvalidity, uid)
);

CREATE INDEX ix_message_norm_subject ON message (norm_subject);

CREATE INDEX ix_message_message_id ON message (message_id);

CREATE INDEX ix_message_thread_date ON message (thread_id, date);

CREATE INDEX ix_message_date ON message (date);

CREATE INDEX ix_message_analysed ON message (analysed);

CREATE INDEX ix_message_from_email ON message (from_email);

CREATE TABLE person (
	id INTEGER NOT NULL, 
	name VARCHAR NOT NULL, 
	important BOOLEAN NOT NULL, 
	muted BOOLEAN NOT NULL, 
	PRIMARY KEY (id)
);

CREATE TABLE event (
	id INTEGER NOT NULL, 
	source VARCHAR NOT NULL, 
	calendar VARCHAR NOT NULL, 
	uid VARCHAR NOT NULL, 
	summary VARCHAR NOT NULL, 
	start DATETIME NOT NULL, 
	"end" DATETIME NOT NULL, 
	status VARCHAR NOT NULL, 
	organizer_email VARCHAR, 
	all_day BOOLEAN NOT NULL, 
	location VARCHAR NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_event UNIQUE (source, calendar, uid)
);

CREATE INDEX ix_event_start ON event (start);

CREATE TABLE nudge (
	"key" VARCHAR NOT NULL, 
	number INTEGER NOT NULL, 
	kind VARCHAR NOT NULL, 
	person_email VARCHAR, 
	payload TEXT NOT NULL, 
	state VARCHAR NOT NULL, 
	snoozed_until DATETIME, 
	first_seen DATETIME NOT NULL, 
	last_seen DATETIME NOT NULL, 
	closed_at DATETIME, 
	PRIMARY KEY ("key")
);

CREATE UNIQUE INDEX ix_nudge_number ON nudge (number);

CREATE INDEX ix_nudge_kind ON nudge (kind);

CREATE INDEX ix_nudge_person_email ON nudge (person_email);

CREATE INDEX ix_nudge_state ON nudge (state);

CREATE TABLE digest (
	id INTEGER NOT NULL, 
	day VARCHAR NOT NULL, 
	recipient VARCHAR NOT NULL, 
	message_id VARCHAR NOT NULL, 
	status VARCHAR NOT NULL, 
	nudge_keys TEXT NOT NULL, 
	created_at DATETIME NOT NULL, 
	sent_at DATETIME, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_digest_day UNIQUE (day, recipient)
);

CREATE TABLE digest_reply (
	message_id VARCHAR NOT NULL, 
	digest_message_id VARCHAR NOT NULL, 
	applied_at DATETIME NOT NULL, 
	results TEXT NOT NULL, 
	PRIMARY KEY (message_id)
);

CREATE INDEX ix_digest_reply_digest_message_id ON digest_reply (digest_message_id);

CREATE TABLE participant (
	message_pk INTEGER NOT NULL, 
	email VARCHAR NOT NULL, 
	role VARCHAR NOT NULL, 
	name VARCHAR NOT NULL, 
	PRIMARY KEY (message_pk, email, role), 
	FOREIGN KEY(message_pk) REFERENCES message (id)
);

CREATE INDEX ix_participant_email ON participant (email);

CREATE TABLE address (
	email VARCHAR NOT NULL, 
	person_id INTEGER, 
	name VARCHAR NOT NULL, 
	PRIMARY KEY (email), 
	FOREIGN KEY(person_id) REFERENCES person (id)
);

CREATE INDEX ix_address_person_id ON address (person_id);

CREATE TABLE attendee (
	event_pk INTEGER NOT NULL, 
	email VARCHAR NOT NULL, 
	name VARCHAR NOT NULL, 
	status VARCHAR NOT NULL, 
	organizer BOOLEAN NOT NULL, 
	PRIMARY KEY (event_pk, email), 
	FOREIGN KEY(event_pk) REFERENCES event (id)
);

CREATE INDEX ix_attendee_email ON attendee (email);

CREATE TABLE finding (
	id INTEGER NOT NULL, 
	message_pk INTEGER NOT NULL, 
	kind VARCHAR NOT NULL, 
	owner VARCHAR NOT NULL, 
	text TEXT NOT NULL, 
	action VARCHAR NOT NULL, 
	due DATETIME, 
	due_text VARCHAR, 
	score FLOAT NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(message_pk) REFERENCES message (id)
);

CREATE INDEX ix_finding_message_pk ON finding (message_pk);

