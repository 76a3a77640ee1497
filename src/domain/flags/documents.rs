//! `missing_documents`: spending without the original documents (原始凭证) that prove it.
use super::config::MissingDocuments;
use super::{naming, Facts, Finding, ProjectBooks, Rule};

/// Posted expenses backed by fewer documents than the threshold, in one finding per project.
/// The input is `VoucherFacts::documents`, a plain count: the documents uploaded or the count the
/// unit declared, whichever is more (the store decides).
pub fn missing_documents(books: &ProjectBooks, t: &MissingDocuments) -> Option<Finding> {
    let short: Vec<_> = books.spending().filter(|v| v.documents < t.min_documents).collect();
    (!short.is_empty())
        .then(|| naming(books, Rule::MissingDocuments, t.severity, short, Facts::MissingDocuments { min_documents: t.min_documents }))
}
