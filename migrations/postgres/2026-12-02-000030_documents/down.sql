DROP TABLE attachments;
DROP TABLE documents;
