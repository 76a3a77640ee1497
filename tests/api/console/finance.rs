//! The finance bureau's pages: the review queue, disbursement, recovery and remittance, the trial
//! balance and ledger with their downloads.
