//! Group commit for PostgreSQL postings. Voucher submissions and disbursements only add rows (see
//! `store::journal`), so a batch of them needs no per-request statements: it locks every project
//! it touches at once with their audit chains, in id order (two batches, or a batch and a single
//! request, never wait on each other in a cycle), reads their books, runs each request's checks
//! and posting in memory against its locked project, and writes every row of the batch in one
//! statement (`store::batch_sql`). That is five round trips per batch (BEGIN, lock, books, write,
//! COMMIT; a sixth claims Idempotency-Keys when requests carry them) instead of ten per voucher.
//!
//! Each request sees the books as every earlier request of the batch left them. A refused request
//! leaves nothing but its refusal on the project's chain, as it would alone: its project's books
//! and the buffered rows are rewound to where they were before it.
use super::columns::Checked;
use super::flush::Flush;
use super::journal::Journal;
use super::ledger::{self, Locked};
use super::rows::KeyName;
use super::rows::{LineRow, ProjectRow, VoucherRow};
use super::unit::{self, Answer, Answered, Idem, Outcome, Request, Unit};
use crate::db::schema::{audit_chains, idempotency_keys, invoice_claims, projects};
use crate::db::DbConn;
use crate::domain::audit::{self, Actor, Event};
use crate::domain::merkle::Tree;
use crate::error::{AppError, AppResult};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, Text};
use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// Work that reads only its locked project and writes only through the journal.
pub type PostWork = Box<dyn FnOnce(&mut dyn Journal, &mut Locked) -> AppResult<(u16, Value)> + Send>;

/// One posting request: its envelope and its work.
pub struct PostJob {
    pub request: Request,
    pub work: PostWork,
    /// The invoice numbers the work will claim (`Journal::claim_invoices`): the batch claims them
    /// all at once, before any request runs (see `Invoices`).
    pub invoices: Vec<String>,
}

/// Rows the batch will write, and where each audit chain stands.
#[derive(Default)]
pub struct Buffer {
    /// Each locked project's chain: (seq, head) after the events buffered so far.
    pub chains: HashMap<String, (i64, String)>,
    pub vouchers: Vec<VoucherRow>,
    pub lines: Vec<LineRow>,
    pub events: Vec<(String, Event)>,
    pub invoices: Invoices,
}

/// The invoice numbers of a batch. A unique violation in the batch's one write would fail every
/// request of it, so the batch claims its requests' numbers first, in one statement that skips
/// those held already (waiting, as a single request would, for a holder not yet committed); a
/// request may then use only numbers the batch claimed and no earlier request of it used. Those
/// claimed but not used are given back before the write.
#[derive(Default)]
pub struct Invoices {
    claimed: HashSet<String>,
    used: Vec<String>,
}

impl Invoices {
    fn unused(&self) -> Vec<String> {
        self.claimed.iter().filter(|n| !self.used.contains(n)).cloned().collect()
    }
}

struct Mark {
    vouchers: usize,
    lines: usize,
    events: usize,
    invoices: usize,
}

impl Buffer {
    fn mark(&self) -> Mark {
        Mark { vouchers: self.vouchers.len(), lines: self.lines.len(), events: self.events.len(), invoices: self.invoices.used.len() }
    }

    /// Whether a voucher or line buffered since `m` holds a NUL character. Events cannot: their
    /// data is canonical JSON, which escapes it, and their other fields are the service's; nor
    /// can a voucher's typed fields (kind, status, date).
    fn holds_nul_since(&self, m: &Mark) -> bool {
        let nul = |s: &str| s.contains('\0');
        let voucher = |v: &VoucherRow| nul(&v.summary) || nul(&v.created_by) || v.reference.as_deref().is_some_and(nul);
        let line = |l: &LineRow| {
            nul(&l.account_code)
                || nul(&l.summary)
                || l.classification.as_deref().is_some_and(nul)
                || l.invoice_seller.as_deref().is_some_and(nul)
        };
        self.vouchers[m.vouchers..].iter().any(voucher) || self.lines[m.lines..].iter().any(line)
    }

    fn rewind(&mut self, m: Mark) {
        self.vouchers.truncate(m.vouchers);
        self.lines.truncate(m.lines);
        self.invoices.used.truncate(m.invoices);
        for (chain, e) in self.events.drain(m.events..).rev() {
            self.chains.insert(chain, (e.seq - 1, e.prev_hash));
        }
    }
}

impl Journal for Buffer {
    fn insert_voucher(&mut self, voucher: &VoucherRow, lines: &[LineRow]) -> AppResult<()> {
        self.vouchers.push(voucher.clone());
        self.lines.extend_from_slice(lines);
        Ok(())
    }

    fn append(&mut self, chain_id: &str, actor: &Actor, action: &str, object: &str, data: Value) -> AppResult<()> {
        let (seq, head) =
            self.chains.get_mut(chain_id).ok_or_else(|| AppError::internal(format!("chain {chain_id} is not locked by the batch")))?;
        let event = audit::seal(*seq + 1, super::now(), actor.clone(), action, object, data, head);
        *seq = event.seq;
        head.clone_from(&event.hash);
        self.events.push((chain_id.to_string(), event));
        Ok(())
    }

    fn claim_invoices(&mut self, numbers: &[String]) -> AppResult<()> {
        let Invoices { claimed, used } = &mut self.invoices;
        if let Some(taken) = numbers.iter().find(|n| !claimed.contains(*n) || used.contains(n)) {
            return Err(super::journal::duplicate_invoice(taken));
        }
        used.extend_from_slice(numbers);
        Ok(())
    }
}

fn pg(conn: &mut DbConn) -> AppResult<&mut PgConnection> {
    match conn {
        DbConn::Pg(c) => Ok(c),
        _ => Err(AppError::internal("the posting batch runs on PostgreSQL only")),
    }
}

/// Runs a batch of postings inside the caller's transaction (`writer::RunBatch`).
pub fn run(conn: &mut DbConn, jobs: Vec<PostJob>) -> AppResult<Vec<Outcome>> {
    let mut ids: Vec<&str> = jobs.iter().map(|j| j.request.project_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    // The lock comes first and reads only what it locks: a row lock re-reads the newest version of
    // every row it took, even after waiting, while other tables would be read with the snapshot
    // taken before the wait. Under READ COMMITTED each later statement takes a new snapshot, so it
    // sees whatever the transactions we waited for committed. Each project's chain row is locked
    // with it (a report is filed under the chain lock alone).
    // (id, project, (chain seq, head), (tree size, frontier))
    type Locking = (String, Checked<ProjectRow>, (i64, String), (i64, String));
    let rows: Vec<Locking> = projects::table
        .inner_join(audit_chains::table.on(audit_chains::chain_id.eq(projects::id)))
        .filter(projects::id.eq_any(&ids))
        .order(projects::id)
        // The lock the unbatched path's UPDATE takes: it still lets rows that reference the
        // project (a report, say) be inserted meanwhile.
        .for_no_key_update()
        // The id apart, so a row that cannot be read fails only the requests for its project.
        .select((
            projects::id,
            projects::all_columns,
            (audit_chains::seq, audit_chains::head),
            (audit_chains::tree_size, audit_chains::tree_frontier),
        ))
        .load(pg(conn)?)?;
    let mut unreadable: HashMap<String, String> = HashMap::new();
    let mut trees: HashMap<String, Tree> = HashMap::new();
    for (id, _, (seq, _), (size, frontier)) in &rows {
        let tree = super::tree::parse(*size, frontier)?;
        // A chain written before the tree existed is caught up under the lock just taken.
        let tree = if *size < *seq { super::tree::catch_up(conn, id, tree, *seq)? } else { tree };
        trees.insert(id.clone(), tree);
    }
    let rows: Vec<(ProjectRow, (i64, String))> = rows
        .into_iter()
        .filter_map(|(id, row, head, _)| match row.0 {
            Ok(row) => Some((row, head)),
            Err(cause) => {
                unreadable.insert(id, cause);
                None
            }
        })
        .collect();
    let ids: Vec<&str> = rows.iter().map(|r| r.0.id.as_str()).collect();
    let mut books = super::statements::current_of(conn, &ids)?;
    let mut keys = claim_keys(conn, &jobs)?;
    let claimed = claim_invoices(conn, &jobs)?;

    let mut locked: HashMap<String, Locked> = HashMap::new();
    let mut buffer = Buffer { invoices: Invoices { claimed, used: Vec::new() }, ..Buffer::default() };
    for (row, head) in rows {
        buffer.chains.insert(row.id.clone(), head);
        let (chart, totals) = books.remove(&row.id).unwrap_or_default();
        let chart = match ledger::cached_chart(&row.id) {
            Some((_, cached)) => cached,
            None => ledger::remember_chart(&row, chart),
        };
        locked.insert(row.id.clone(), ledger::assemble(row, chart, totals));
    }

    let mut batch = InBatch { buffer: &mut buffer, locked: &mut locked, unreadable: &unreadable, keys: &mut keys, open: None };
    let outcomes = jobs.into_iter().map(|job| batch.one(job)).collect();

    // A claimed key is given its answer, or given back if no request of the batch answered it.
    let (answered, released): (Vec<_>, Vec<_>) = keys.claimed.into_iter().partition(|k| keys.answers.contains_key(k));
    let answered = answered.into_iter().filter_map(|k| keys.answers.remove_entry(&k)).collect();
    // The trees grow at the flush, from the events that stayed: a refused request's events were
    // rewound before, so they never reach a tree.
    let mut records = Vec::with_capacity(buffer.events.len());
    for (chain, event) in &buffer.events {
        let tree = trees.get_mut(chain).ok_or_else(|| AppError::internal(format!("chain {chain} has no tree in the batch")))?;
        records.push((chain.clone(), event.seq, super::tree::record_hashes(&tree.append_canonical(event.canonical.as_bytes()))));
    }
    let unused = buffer.invoices.unused();
    if !unused.is_empty() {
        diesel::delete(invoice_claims::table.filter(invoice_claims::number.eq_any(unused))).execute(conn)?;
    }
    let flush = Flush::new(&buffer.vouchers, &buffer.lines, &buffer.events, (&records, &trees), locked.values(), answered, released);
    pg(conn)?.execute_returning_count(&flush)?;
    Ok(outcomes)
}

/// The batch's Idempotency-Keys, by (user_id, key).
#[derive(Default)]
struct Keys {
    /// Answers stored before, or given by this batch.
    answers: HashMap<(String, String), Answer>,
    /// Keys this batch inserted first, so only its requests may answer them. A request elsewhere
    /// with one of them waits for this commit and then finds the answer (or, if none was
    /// given, the key free again), instead of failing a whole batch with a duplicate key.
    claimed: HashSet<(String, String)>,
}

/// Claims the batch's Idempotency-Keys not stored yet, then reads the answers of the others.
fn claim_keys(conn: &mut DbConn, jobs: &[PostJob]) -> AppResult<Keys> {
    let mut wanted: Vec<&Idem> = jobs.iter().filter_map(|j| j.request.idem.as_ref()).collect();
    if wanted.is_empty() {
        return Ok(Keys::default());
    }
    // In one order in every batch, so two batches claiming the same keys wait rather than deadlock.
    wanted.sort_by(|a, b| (&a.user_id, &a.key).cmp(&(&b.user_id, &b.key)));
    wanted.dedup_by(|a, b| (&a.user_id, &a.key) == (&b.user_id, &b.key));
    let claimed: Vec<KeyName> = diesel::sql_query(
        "INSERT INTO idempotency_keys (user_id, key, request_hash, status_code, body, created_at) \
         SELECT u.user_id, u.key, u.request_hash, 0, '', $4 FROM UNNEST($1, $2, $3) AS u(user_id, key, request_hash) \
         ORDER BY 1, 2 ON CONFLICT DO NOTHING RETURNING user_id, key",
    )
    .bind::<Array<Text>, _>(wanted.iter().map(|i| i.user_id.clone()).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(wanted.iter().map(|i| i.key.clone()).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(wanted.iter().map(|i| i.request_hash.clone()).collect::<Vec<_>>())
    .bind::<Text, _>(super::now())
    .load(pg(conn)?)?;
    let claimed: HashSet<(String, String)> = claimed.into_iter().map(|k| (k.user_id, k.key)).collect();
    let users: Vec<&str> = wanted.iter().map(|i| i.user_id.as_str()).collect();
    let names: Vec<&str> = wanted.iter().map(|i| i.key.as_str()).collect();
    // Both columns, so the primary key (user_id, key) is used; pairs not asked for are dropped below.
    let rows: Vec<(String, String, String, i32, String)> = idempotency_keys::table
        .filter(idempotency_keys::user_id.eq_any(&users))
        .filter(idempotency_keys::key.eq_any(&names))
        .select((
            idempotency_keys::user_id,
            idempotency_keys::key,
            idempotency_keys::request_hash,
            idempotency_keys::status_code,
            idempotency_keys::body,
        ))
        .load(conn)?;
    let asked: HashSet<(&str, &str)> = wanted.iter().map(|i| (i.user_id.as_str(), i.key.as_str())).collect();
    let answers = rows
        .into_iter()
        .filter(|(u, k, ..)| asked.contains(&(u.as_str(), k.as_str())))
        .map(|(u, k, h, s, b)| ((u, k), (h, s, b)))
        .filter(|(k, _)| !claimed.contains(k))
        .collect();
    Ok(Keys { answers, claimed })
}

/// Claims the batch's invoice numbers that no voucher holds; returns those it claimed.
fn claim_invoices(conn: &mut DbConn, jobs: &[PostJob]) -> AppResult<HashSet<String>> {
    let mut wanted: Vec<&String> = jobs.iter().flat_map(|j| &j.invoices).collect();
    if wanted.is_empty() {
        return Ok(HashSet::new());
    }
    // In one order in every batch, so two batches claiming the same numbers wait, not deadlock.
    wanted.sort_unstable();
    wanted.dedup();
    let claimed: Vec<InvoiceNumber> = diesel::sql_query(
        "INSERT INTO invoice_claims (number, claimed_at) SELECT u.number, $2 FROM UNNEST($1) AS u(number) \
         ORDER BY 1 ON CONFLICT DO NOTHING RETURNING number",
    )
    .bind::<Array<Text>, _>(wanted)
    .bind::<Text, _>(super::now())
    .load(pg(conn)?)?;
    Ok(claimed.into_iter().map(|c| c.number).collect())
}

#[derive(QueryableByName)]
struct InvoiceNumber {
    #[diesel(sql_type = Text)]
    number: String,
}

/// The requests of a batch, each run by `unit::run` against the projects the batch locked: its
/// rows go to the batch's buffer, and a refused one is undone by putting its project's books back
/// and rewinding the buffer to where it was before it.
struct InBatch<'b> {
    buffer: &'b mut Buffer,
    locked: &'b mut HashMap<String, Locked>,
    /// Locked projects whose row could not be read, with why.
    unreadable: &'b HashMap<String, String>,
    keys: &'b mut Keys,
    /// The running request's project as it was before it, and the buffer's mark.
    open: Option<(Locked, Mark)>,
}

impl InBatch<'_> {
    fn one(&mut self, job: PostJob) -> Outcome {
        let work = job.work;
        // A panic fails this request alone; the batch goes on with the books as they were before it.
        let guarded = move |buffer: &mut Buffer, l: &mut Locked| {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(buffer, l)))
                .unwrap_or_else(|_| Err(AppError::internal("a posting panicked")))
        };
        unit::run(self, job.request, guarded)
    }
}

impl Unit for InBatch<'_> {
    type Rows = Buffer;

    fn begin(&mut self, project_id: &str) -> AppResult<Locked> {
        let l = self.locked.remove(project_id).ok_or_else(|| match self.unreadable.get(project_id) {
            Some(cause) => AppError::internal(cause),
            None => AppError::not_found("project"),
        })?;
        self.open = Some((l.clone(), self.buffer.mark()));
        Ok(l)
    }

    fn rows(&mut self) -> &mut Buffer {
        self.buffer
    }

    fn answer(&mut self, i: &Idem) -> AppResult<Option<Answer>> {
        let name = (i.user_id.clone(), i.key.clone());
        if let Some(answer) = self.keys.answers.get(&name) {
            return Ok(Some(answer.clone()));
        }
        if !self.keys.claimed.contains(&name) {
            return Err(unit::key_in_use());
        }
        Ok(None)
    }

    fn finish(&mut self, locked: Locked, answered: Option<Answered<'_>>) -> AppResult<()> {
        // PostgreSQL stores no NUL in text: alone, such a request fails at its INSERT; here it must
        // fail before the batch's one write does, for everyone.
        if let Some((_, mark)) = &self.open {
            if self.buffer.holds_nul_since(mark) {
                return Err(AppError::nul_text());
            }
        }
        if let Some(Answered { idem: Some(i), status, body }) = answered {
            self.keys.answers.insert((i.user_id.clone(), i.key.clone()), (i.request_hash.clone(), status as i32, body.to_string()));
        }
        self.open = None;
        self.locked.insert(locked.row.id.clone(), locked);
        Ok(())
    }

    fn undo(&mut self) -> AppResult<()> {
        if let Some((saved, mark)) = self.open.take() {
            self.locked.insert(saved.row.id.clone(), saved);
            self.buffer.rewind(mark);
        }
        Ok(())
    }

    fn record_refusal(&mut self, project_id: &str, actor: &Actor, action: &str, data: Value) -> AppResult<()> {
        self.buffer.append(project_id, actor, action, &format!("project/{project_id}"), data)
    }
}

#[cfg(test)]
mod tests;
