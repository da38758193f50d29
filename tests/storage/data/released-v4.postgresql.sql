CREATE TABLE schema_version (
	version SERIAL NOT NULL, 
	applied_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	PRIMARY KEY (version)
);

CREATE TABLE sources (
	url VARCHAR(2000) NOT NULL, 
	etag VARCHAR(500), 
	last_modified VARCHAR(100), 
	checked_at TIMESTAMP WITH TIME ZONE, 
	PRIMARY KEY (url)
);

COMMENT ON TABLE sources IS 'HTTP validators per URL (listing page and report PDFs)';

COMMENT ON COLUMN sources.url IS 'a URL we poll with conditional GET';

CREATE TABLE documents (
	id SERIAL NOT NULL, 
	url VARCHAR(2000) NOT NULL, 
	sha256 VARCHAR(64) NOT NULL, 
	size BIGINT NOT NULL, 
	link_text TEXT, 
	date_line VARCHAR(200), 
	status VARCHAR(20) NOT NULL, 
	fetched_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (url, sha256)
);

COMMENT ON TABLE documents IS 'every distinct (URL, bytes) the crawler downloaded';

COMMENT ON COLUMN documents.sha256 IS 'digest of the bytes; the archive file name';

COMMENT ON COLUMN documents.date_line IS 'the date line above the link on the listing page';

COMMENT ON COLUMN documents.status IS 'report | alias | correction | quarantined';

CREATE TABLE reports (
	id SERIAL NOT NULL, 
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
	parsed_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (sha256), 
	FOREIGN KEY(supersedes) REFERENCES reports (id)
);

COMMENT ON TABLE reports IS 'one row per parsed report (a correction is a new row superseding the old)';

COMMENT ON COLUMN reports.kind IS 'weekly | quarterly';

COMMENT ON COLUMN reports.status IS 'good | suspect | superseded';

COMMENT ON COLUMN reports.problems IS 'JSON list of failed self-checks';

COMMENT ON COLUMN reports.supersedes IS 'the report this corrects';

COMMENT ON COLUMN reports.data IS 'the full parse as report-json';

CREATE TABLE notes (
	id SERIAL NOT NULL, 
	digest VARCHAR(64) NOT NULL, 
	date_line VARCHAR(200), 
	url VARCHAR(2000), 
	text TEXT NOT NULL, 
	first_seen TIMESTAMP WITH TIME ZONE NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (digest)
);

COMMENT ON TABLE notes IS '''Note posted on ICE.gov'' paragraphs from the listing page';

COMMENT ON COLUMN notes.url IS 'the report link the note sits under, if any';

CREATE TABLE quarantine (
	sha256 VARCHAR(64) NOT NULL, 
	url VARCHAR(2000) NOT NULL, 
	error_kind VARCHAR(40) NOT NULL, 
	message TEXT NOT NULL, 
	at TIMESTAMP WITH TIME ZONE NOT NULL, 
	PRIMARY KEY (sha256)
);

COMMENT ON TABLE quarantine IS 'downloads that could not be parsed; retried only when their bytes change';

CREATE TABLE runs (
	id SERIAL NOT NULL, 
	run_id VARCHAR(40) NOT NULL, 
	trigger VARCHAR(20) NOT NULL, 
	started_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	finished_at TIMESTAMP WITH TIME ZONE, 
	outcome VARCHAR(20), 
	stats TEXT, 
	error TEXT, 
	PRIMARY KEY (id), 
	UNIQUE (run_id)
);

COMMENT ON TABLE runs IS 'one row per monitoring cycle';

COMMENT ON COLUMN runs.trigger IS 'cli | daemon | catch-up | demo';

COMMENT ON COLUMN runs.outcome IS 'ok | not_modified | failed | killed';

COMMENT ON COLUMN runs.stats IS 'JSON crawl/parse counters';

CREATE TABLE health (
	check_name VARCHAR(40) NOT NULL, 
	consecutive_failures INTEGER NOT NULL, 
	alerting INTEGER NOT NULL, 
	last_error TEXT, 
	PRIMARY KEY (check_name)
);

COMMENT ON TABLE health IS 'consecutive failures per check, for ops alerts and their resolution';

COMMENT ON COLUMN health.check_name IS 'crawl | parse | delivery';

COMMENT ON COLUMN health.alerting IS '1 while an ops alert is open';

CREATE TABLE withdrawn (
	url VARCHAR(2000) NOT NULL, 
	acknowledged_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	PRIMARY KEY (url)
);

COMMENT ON TABLE withdrawn IS 'report links acknowledged as withdrawn: their absence from the page is not a crawl failure';

COMMENT ON COLUMN withdrawn.url IS 'a report link that left the listing page';

COMMENT ON COLUMN withdrawn.acknowledged_at IS 'when `ddor forget` was run';

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

COMMENT ON TABLE issued_rows IS 'Section I: detainers issued to the top non-cooperative jurisdictions';

COMMENT ON COLUMN issued_rows.jurisdiction_key IS 'STATE:county, e.g. TX:travis; CA:* = whole state';

COMMENT ON COLUMN issued_rows.issued_detainers IS 'detainers ICE issued to it in the period';

COMMENT ON COLUMN issued_rows.page IS 'PDF page (1-based) where the row starts';

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

COMMENT ON TABLE declined_rows IS 'Section II: one row per person released despite a detainer';

COMMENT ON COLUMN declined_rows.jurisdiction_key IS 'STATE:county, e.g. TX:travis; CA:* = whole state';

COMMENT ON COLUMN declined_rows.facility IS 'jail or facility, as ICE''s systems spell it';

COMMENT ON COLUMN declined_rows.criminal_activity IS 'the offence, without the Convicted/Charged marker';

COMMENT ON COLUMN declined_rows.conviction_status IS 'convicted | charged | NULL when not stated';

COMMENT ON COLUMN declined_rows.detainer_issued IS 'ISO date the detainer was issued';

COMMENT ON COLUMN declined_rows.detainer_declined IS 'ISO date it was recorded as declined';

COMMENT ON COLUMN declined_rows.page IS 'PDF page (1-based) where the row starts';

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

COMMENT ON TABLE policy_rows IS 'Section III: jurisdictions with policies restricting cooperation';

COMMENT ON COLUMN policy_rows.jurisdiction_key IS 'STATE:county, e.g. TX:travis; CA:* = whole state';

COMMENT ON COLUMN policy_rows.date_enacted IS 'as printed (Jul-14 or an ISO date)';

COMMENT ON COLUMN policy_rows.page IS 'PDF page (1-based) where the row starts';

CREATE TABLE alerts (
	id SERIAL NOT NULL, 
	key VARCHAR(200) NOT NULL, 
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
	created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	sent_at TIMESTAMP WITH TIME ZONE, 
	claimed_by VARCHAR(200), 
	lease_until TIMESTAMP WITH TIME ZONE, 
	in_doubt INTEGER DEFAULT '0' NOT NULL, 
	first_attempt_at TIMESTAMP WITH TIME ZONE, 
	next_attempt_at TIMESTAMP WITH TIME ZONE, 
	channel_id VARCHAR(40), 
	PRIMARY KEY (id), 
	UNIQUE (key), 
	FOREIGN KEY(report_id) REFERENCES reports (id)
);

COMMENT ON TABLE alerts IS 'the outbox: written with the data that caused it, drained in id order';

COMMENT ON COLUMN alerts.key IS 'deterministic: sha256 + kind + subject';

COMMENT ON COLUMN alerts.audience IS 'content | ops';

COMMENT ON COLUMN alerts.thread_key IS 'key of the alert this one replies to';

COMMENT ON COLUMN alerts.payload IS 'the alert as JSON; rendering happens at send time';

COMMENT ON COLUMN alerts.state IS 'pending | sending | sent | dead';

COMMENT ON COLUMN alerts.claimed_by IS 'the drainer (host:pid:token) holding a sending alert';

COMMENT ON COLUMN alerts.lease_until IS 'a sending alert''s claim lapses after this';

COMMENT ON COLUMN alerts.in_doubt IS '1 while Slack may hold a post we have not confirmed (checked before any re-post)';

COMMENT ON COLUMN alerts.first_attempt_at IS 'start of slack.give_up_after_hours';

COMMENT ON COLUMN alerts.next_attempt_at IS 'not claimed again before this (backoff)';

COMMENT ON COLUMN alerts.channel_id IS 'Slack''s ID of the channel, for reading its history';
