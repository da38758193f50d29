CREATE TABLE schema_version (
	version INTEGER NOT NULL, 
	applied_at DATETIME NOT NULL, 
	PRIMARY KEY (version)
);

CREATE TABLE sources (
	url VARCHAR(2000) NOT NULL, 
	etag VARCHAR(500), 
	last_modified VARCHAR(100), 
	checked_at DATETIME, 
	PRIMARY KEY (url)
);

CREATE TABLE documents (
	id INTEGER NOT NULL, 
	url VARCHAR(2000) NOT NULL, 
	sha256 VARCHAR(64) NOT NULL, 
	size BIGINT NOT NULL, 
	link_text TEXT, 
	date_line VARCHAR(200), 
	status VARCHAR(20) NOT NULL, 
	fetched_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (url, sha256)
);

CREATE TABLE reports (
	id INTEGER NOT NULL, 
	sha256 VARCHAR(64) NOT NULL, 
	url VARCHAR(2000) NOT NULL, 
	kind VARCHAR(20) NOT NULL, 
	title TEXT NOT NULL, 
	period_start VARCHAR(10) NOT NULL, 
	period_end VARCHAR(10) NOT NULL, 
	pages INTEGER NOT NULL, 
	detainers_issued BIGINT, 
	status VARCHAR(20) NOT NULL, 
	problems TEXT NOT NULL, 
	supersedes INTEGER, 
	data TEXT NOT NULL, 
	parsed_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (sha256), 
	FOREIGN KEY(supersedes) REFERENCES reports (id)
);

CREATE TABLE notes (
	id INTEGER NOT NULL, 
	digest VARCHAR(64) NOT NULL, 
	date_line VARCHAR(200), 
	url VARCHAR(2000), 
	text TEXT NOT NULL, 
	first_seen DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (digest)
);

CREATE TABLE quarantine (
	sha256 VARCHAR(64) NOT NULL, 
	url VARCHAR(2000) NOT NULL, 
	error_kind VARCHAR(40) NOT NULL, 
	message TEXT NOT NULL, 
	at DATETIME NOT NULL, 
	PRIMARY KEY (sha256)
);

CREATE TABLE runs (
	id INTEGER NOT NULL, 
	run_id VARCHAR(40) NOT NULL, 
	"trigger" VARCHAR(20) NOT NULL, 
	started_at DATETIME NOT NULL, 
	finished_at DATETIME, 
	outcome VARCHAR(20), 
	stats TEXT, 
	error TEXT, 
	PRIMARY KEY (id), 
	UNIQUE (run_id)
);

CREATE TABLE health (
	check_name VARCHAR(40) NOT NULL, 
	consecutive_failures INTEGER NOT NULL, 
	alerting INTEGER NOT NULL, 
	last_error TEXT, 
	PRIMARY KEY (check_name)
);

CREATE TABLE withdrawn (
	url VARCHAR(2000) NOT NULL, 
	acknowledged_at DATETIME NOT NULL, 
	PRIMARY KEY (url)
);

CREATE TABLE issued_rows (
	report_id INTEGER NOT NULL, 
	seq INTEGER NOT NULL, 
	jurisdiction_key VARCHAR(200) NOT NULL, 
	county TEXT NOT NULL, 
	state VARCHAR(2) NOT NULL, 
	issued_detainers BIGINT NOT NULL, 
	page INTEGER NOT NULL, 
	PRIMARY KEY (report_id, seq), 
	FOREIGN KEY(report_id) REFERENCES reports (id)
);

CREATE TABLE declined_rows (
	report_id INTEGER NOT NULL, 
	seq INTEGER NOT NULL, 
	jurisdiction_key VARCHAR(200) NOT NULL, 
	state VARCHAR(2) NOT NULL, 
	county TEXT NOT NULL, 
	facility TEXT NOT NULL, 
	citizenship TEXT NOT NULL, 
	criminal_activity TEXT NOT NULL, 
	conviction_status VARCHAR(10), 
	detainer_issued VARCHAR(10), 
	detainer_declined VARCHAR(10), 
	page INTEGER NOT NULL, 
	PRIMARY KEY (report_id, seq), 
	FOREIGN KEY(report_id) REFERENCES reports (id)
);

CREATE TABLE policy_rows (
	report_id INTEGER NOT NULL, 
	seq INTEGER NOT NULL, 
	jurisdiction_key VARCHAR(200) NOT NULL, 
	jurisdiction TEXT NOT NULL, 
	state VARCHAR(2) NOT NULL, 
	policy TEXT NOT NULL, 
	criteria TEXT NOT NULL, 
	date_enacted VARCHAR(40) NOT NULL, 
	page INTEGER NOT NULL, 
	PRIMARY KEY (report_id, seq), 
	FOREIGN KEY(report_id) REFERENCES reports (id)
);

CREATE TABLE alerts (
	id INTEGER NOT NULL, 
	"key" VARCHAR(200) NOT NULL, 
	kind VARCHAR(40) NOT NULL, 
	audience VARCHAR(10) NOT NULL, 
	report_id INTEGER, 
	thread_key VARCHAR(200), 
	payload TEXT NOT NULL, 
	state VARCHAR(10) NOT NULL, 
	attempts INTEGER NOT NULL, 
	last_error TEXT, 
	channel VARCHAR(200), 
	slack_ts VARCHAR(40), 
	created_at DATETIME NOT NULL, 
	sent_at DATETIME, 
	claimed_by VARCHAR(200), 
	lease_until DATETIME, 
	in_doubt INTEGER DEFAULT '0' NOT NULL, 
	first_attempt_at DATETIME, 
	next_attempt_at DATETIME, 
	channel_id VARCHAR(40), 
	PRIMARY KEY (id), 
	UNIQUE ("key"), 
	FOREIGN KEY(report_id) REFERENCES reports (id)
);
