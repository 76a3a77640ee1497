// The tables of migrations/{sqlite,postgres}; only types both backends share are used.
diesel::table! {
    orgs (id) {
        id -> Text,
        name -> Text,
        kind -> Text,
        region -> Text,
        created_at -> Text,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        username -> Text,
        password_hash -> Text,
        role -> Text,
        org_id -> Nullable<Text>,
        display_name -> Nullable<Text>,
        active -> Bool,
        created_at -> Text,
        token_version -> Integer,
    }
}

diesel::table! {
    projects (id) {
        id -> Text,
        kind -> Text,
        name -> Text,
        org_id -> Text,
        start_date -> Text,
        end_date -> Text,
        fund_source -> Text,
        specialties -> Text,
        leader -> Nullable<Text>,
        grant_fen -> BigInt,
        status -> Text,
        next_voucher_no -> BigInt,
        reserved_bank_fen -> BigInt,
        reserved_expense_fen -> BigInt,
        version -> BigInt,
        created_at -> Text,
        bank_debit_fen -> BigInt,
        bank_credit_fen -> BigInt,
        receivable_debit_fen -> BigInt,
        receivable_credit_fen -> BigInt,
        payables_debit_fen -> BigInt,
        payables_credit_fen -> BigInt,
        refund_owed_debit_fen -> BigInt,
        refund_owed_credit_fen -> BigInt,
        grant_fund_debit_fen -> BigInt,
        grant_fund_credit_fen -> BigInt,
        utilization_bp -> BigInt,
        recoverable_fen -> BigInt,
    }
}

diesel::table! {
    accounts (project_id, code) {
        project_id -> Text,
        code -> Text,
        name -> Text,
        side -> Text,
        category -> Nullable<Text>,
        debit_fen -> BigInt,
        credit_fen -> BigInt,
    }
}

diesel::table! {
    vouchers (id) {
        id -> Text,
        project_id -> Text,
        number -> Nullable<BigInt>,
        status -> Text,
        kind -> Text,
        date -> Text,
        summary -> Text,
        attachments -> Integer,
        reference -> Nullable<Text>,
        reserved_bank_fen -> BigInt,
        reserved_expense_fen -> BigInt,
        created_by -> Text,
        created_at -> Text,
        reverses_id -> Nullable<Text>,
        reversed_by_id -> Nullable<Text>,
        decision -> Nullable<Text>,
    }
}

diesel::table! {
    voucher_lines (voucher_id, line_no) {
        voucher_id -> Text,
        line_no -> Integer,
        project_id -> Text,
        account_code -> Text,
        debit_fen -> BigInt,
        credit_fen -> BigInt,
        summary -> Text,
        classification -> Nullable<Text>,
        invoice_number -> Nullable<Text>,
        invoice_seller -> Nullable<Text>,
        invoice_seller_tax_id -> Nullable<Text>,
    }
}

diesel::table! {
    invoice_claims (number) {
        number -> Text,
        claimed_at -> Text,
    }
}

diesel::table! {
    idempotency_keys (user_id, key) {
        user_id -> Text,
        key -> Text,
        request_hash -> Text,
        status_code -> Integer,
        body -> Text,
        created_at -> Text,
    }
}

diesel::table! {
    audit_chains (chain_id) {
        chain_id -> Text,
        seq -> BigInt,
        head -> Text,
        tree_size -> BigInt,
        tree_frontier -> Text,
    }
}

diesel::table! {
    audit_tree (chain_id, seq) {
        chain_id -> Text,
        seq -> BigInt,
        hashes -> Binary,
    }
}

diesel::table! {
    audit_events (chain_id, seq) {
        chain_id -> Text,
        seq -> BigInt,
        at -> Text,
        actor_user_id -> Text,
        actor_username -> Text,
        actor_role -> Text,
        action -> Text,
        object -> Text,
        data -> Text,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    imports (project_id, sha256) {
        project_id -> Text,
        sha256 -> Text,
        created_by -> Text,
        created_at -> Text,
        status_code -> Integer,
        body -> Text,
    }
}

diesel::joinable!(voucher_lines -> vouchers (voucher_id));
diesel::joinable!(accounts -> projects (project_id));
diesel::joinable!(vouchers -> projects (project_id));
diesel::joinable!(projects -> orgs (org_id));
diesel::allow_tables_to_appear_in_same_query!(
    annual_reports,
    orgs,
    users,
    projects,
    accounts,
    vouchers,
    voucher_lines,
    invoice_claims,
    idempotency_keys,
    audit_chains,
    audit_events,
    audit_tree
);
diesel::joinable!(audit_tree -> audit_chains (chain_id));

diesel::table! {
    annual_reports (id) {
        id -> Text,
        project_id -> Text,
        year -> Integer,
        summary -> Text,
        next_year_plan -> Text,
        trained_total -> Integer,
        trained_advanced -> Integer,
        filed_by -> Text,
        filed_at -> Text,
    }
}

diesel::table! {
    login_failures (id) {
        id -> Text,
        username -> Text,
        address -> Text,
        at -> Text,
    }
}

diesel::table! {
    login_locks (subject) {
        subject -> Text,
        locked_until -> Text,
    }
}

diesel::table! {
    documents (sha256) {
        sha256 -> Text,
        size -> BigInt,
        content_type -> Text,
        bytes -> Binary,
        stored_at -> Text,
    }
}

diesel::table! {
    attachments (id) {
        id -> Text,
        project_id -> Text,
        voucher_id -> Text,
        sha256 -> Text,
        filename -> Text,
        kind -> Text,
        uploaded_at -> Text,
        uploaded_by -> Text,
    }
}

diesel::joinable!(attachments -> documents (sha256));
diesel::allow_tables_to_appear_in_same_query!(attachments, documents, vouchers);

diesel::table! {
    acceptances (id) {
        id -> Text,
        project_id -> Text,
        seq -> Integer,
        date -> Text,
        conclusion -> Text,
        supersedes -> Nullable<Text>,
        record -> Text,
        recorded_by -> Text,
        recorded_at -> Text,
    }
}

diesel::table! {
    archive_entries (id) {
        id -> Text,
        project_id -> Text,
        kind -> Text,
        date -> Text,
        title -> Text,
        text -> Text,
        added_by -> Text,
        added_at -> Text,
    }
}

diesel::joinable!(acceptances -> projects (project_id));
diesel::joinable!(archive_entries -> projects (project_id));
diesel::allow_tables_to_appear_in_same_query!(acceptances, projects);
diesel::allow_tables_to_appear_in_same_query!(archive_entries, projects);

diesel::table! {
    account_days (project_id, code, day) {
        project_id -> Text,
        code -> Text,
        day -> Text,
        debit_fen -> BigInt,
        credit_fen -> BigInt,
    }
}
