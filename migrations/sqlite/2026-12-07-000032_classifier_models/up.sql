-- Every model of the learned second opinion put in force (at start, or by POST /classifier/retrain),
-- named by its version, which each classified line records beside the rules' version (in the
-- line's classification). With the rule file of `rules_version` and the corpus of `corpus_version`
-- (both in the repository's history) and the decided vouchers listed here, the model — and so any
-- past verdict — is trained again exactly: training is deterministic. Evidence, so append-only.
CREATE TABLE classifier_models (
    version TEXT NOT NULL PRIMARY KEY,
    rules_version TEXT NOT NULL,
    corpus_version TEXT NOT NULL,
    corpus_examples INTEGER NOT NULL,
    decision_examples INTEGER NOT NULL,
    -- JSON array of the ids of the approved and declined vouchers it learned from.
    decided_vouchers TEXT NOT NULL,
    threshold TEXT NOT NULL,
    trained_at TEXT NOT NULL
);

CREATE TRIGGER classifier_models_no_update BEFORE UPDATE ON classifier_models BEGIN SELECT RAISE(ABORT, 'classifier models are append-only'); END;
CREATE TRIGGER classifier_models_no_delete BEFORE DELETE ON classifier_models BEGIN SELECT RAISE(ABORT, 'classifier models are append-only'); END;
