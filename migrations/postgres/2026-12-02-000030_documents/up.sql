-- Original documents (原始凭证) on vouchers. `documents` holds each file once, named by the
-- SHA-256 of its bytes (content addressing: the same scan uploaded twice is stored once, and the
-- hash in the chain's `attachment.added` event names exactly these bytes). `attachments` says
-- which voucher a document belongs to. Both are evidence: append-only, like the audit events.
CREATE TABLE documents (
    sha256 TEXT NOT NULL PRIMARY KEY,
    size BIGINT NOT NULL,
    content_type TEXT NOT NULL,
    bytes BYTEA NOT NULL,
    stored_at TEXT NOT NULL
);

CREATE TABLE attachments (
    id TEXT NOT NULL PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES projects (id),
    voucher_id TEXT NOT NULL REFERENCES vouchers (id),
    sha256 TEXT NOT NULL REFERENCES documents (sha256),
    filename TEXT NOT NULL,
    kind TEXT NOT NULL,
    uploaded_at TEXT NOT NULL,
    uploaded_by TEXT NOT NULL
);

-- One voucher per document, in every project: the unique index is what refuses the second
-- voucher (409 duplicate_document), in one statement, however many processes race.
CREATE UNIQUE INDEX attachments_sha256 ON attachments (sha256);
CREATE INDEX attachments_voucher ON attachments (voucher_id, id);

CREATE TRIGGER documents_append_only BEFORE UPDATE OR DELETE ON documents
    FOR EACH ROW EXECUTE FUNCTION fundledger_append_only();
CREATE TRIGGER attachments_append_only BEFORE UPDATE OR DELETE ON attachments
    FOR EACH ROW EXECUTE FUNCTION fundledger_append_only();
