-- Not reversible: an empty canonical column would make the previous version report every chain
-- broken at its first event. It fails on purpose, naming what to do, so nothing is half undone.
-- (An exception rather than a missing table's name: PostgreSQL cuts identifiers to 63 bytes.)
DO $$ BEGIN RAISE EXCEPTION 'derive_canonical cannot be reverted: restore a backup taken before it'; END $$;
