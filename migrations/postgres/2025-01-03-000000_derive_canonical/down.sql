-- Not reversible: an empty canonical column would make the previous version report every chain
-- broken at its first event. It fails on purpose, naming what to do, so nothing is half undone.
SELECT * FROM "derive_canonical cannot be reverted: restore a backup taken before it";
