DROP TABLE archive_entries;
DROP TABLE acceptances;
