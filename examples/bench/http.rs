//! A small blocking HTTP+JSON client (one keep-alive connection per client thread), and the
//! set-up every run shares: users of each role with real tokens, one organisation, projects.
use serde_json::{json, Value};
use std::io::Read;
use std::time::{Duration, Instant};

pub type R<T> = Result<T, String>;

pub struct Resp {
    pub status: u16,
    pub body: Value,
    pub bytes: usize,
    /// From the request's start to the body's last byte: the latency a client sees, without the
    /// time this client then takes to parse the body (≈ 10 ms for a page of 500 statements).
    pub received: Duration,
}

#[derive(Clone)]
pub struct Client {
    agent: ureq::Agent,
    base: String,
}

impl Client {
    pub fn new(base: &str) -> Client {
        Client { agent: ureq::AgentBuilder::new().timeout(Duration::from_secs(300)).build(), base: base.to_string() }
    }

    /// One request; `Err` only for a transport failure (no HTTP status).
    pub fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<&str>) -> R<Resp> {
        let started = Instant::now();
        let mut req = self.agent.request(method, &format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.set("Authorization", &format!("Bearer {t}"));
        }
        let result = match body {
            Some(b) => req.set("Content-Type", "application/json").send_string(b),
            None => req.call(),
        };
        let resp = match result {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r,
            Err(e) => return Err(format!("{method} {path}: {e}")),
        };
        let status = resp.status();
        // Not into_string: it stops at 10 MB, and GET /statements over 10,000 projects is larger.
        let mut text = String::new();
        resp.into_reader().read_to_string(&mut text).map_err(|e| format!("{method} {path}: reading the body: {e}"))?;
        let received = started.elapsed();
        Ok(Resp { status, bytes: text.len(), body: serde_json::from_str(&text).unwrap_or(Value::Null), received })
    }

    /// A POST of raw bytes (an import file).
    pub fn post_bytes(&self, token: &str, path: &str, content_type: &str, body: &[u8]) -> R<Resp> {
        let started = Instant::now();
        let req = self
            .agent
            .post(&format!("{}{path}", self.base))
            .set("Authorization", &format!("Bearer {token}"))
            .set("Content-Type", content_type);
        let resp = match req.send_bytes(body) {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r,
            Err(e) => return Err(format!("POST {path}: {e}")),
        };
        let status = resp.status();
        let mut text = String::new();
        resp.into_reader().read_to_string(&mut text).map_err(|e| format!("POST {path}: reading the body: {e}"))?;
        let received = started.elapsed();
        Ok(Resp { status, bytes: text.len(), body: serde_json::from_str(&text).unwrap_or(Value::Null), received })
    }

    pub fn get(&self, token: &str, path: &str) -> R<Resp> {
        self.call("GET", path, Some(token), None)
    }

    pub fn post(&self, token: &str, path: &str, body: &Value) -> R<Resp> {
        self.call("POST", path, Some(token), Some(&body.to_string()))
    }

    /// A GET that must answer 200, with its latency.
    pub fn timed_get(&self, token: &str, path: &str) -> R<(Duration, Value)> {
        let (d, v, _) = self.timed_get_sized(token, path)?;
        Ok((d, v))
    }

    /// A GET that must answer 200, with its latency (to the body's last byte) and body size in
    /// bytes.
    pub fn timed_get_sized(&self, token: &str, path: &str) -> R<(Duration, Value, usize)> {
        let r = self.get(token, path)?;
        let (d, bytes) = (r.received, r.bytes);
        Ok((d, expect(r, 200, path)?, bytes))
    }
}

pub fn expect(r: Resp, status: u16, what: &str) -> R<Value> {
    if r.status != status {
        return Err(format!("{what}: expected {status}, got {} {}", r.status, r.body));
    }
    Ok(r.body)
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap_or_default().to_string()
}

/// Where vouchers are dated and projects start (the period is two years from the start).
pub const START: &str = "2025-03-01";
pub const VOUCHER_DATE: &str = "2025-06-15";

pub struct World {
    pub client: Client,
    pub hr: String,
    pub finance: String,
    pub unit: String,
    pub org_id: String,
}

impl World {
    pub fn setup(base: &str) -> R<World> {
        let client = Client::new(base);
        let admin = login(&client, "admin", super::server::ADMIN_PASSWORD)?;
        let org = client.post(&admin, "/orgs", &json!({"name": "赤峰市高级技工学校", "kind": "school", "region": "红山区"}))?;
        let org_id = id(&expect(org, 201, "POST /orgs")?);
        for (name, role, org) in [("bench_hr", "hr", None), ("bench_fin", "finance", None), ("bench_unit", "unit", Some(&org_id))] {
            let body = json!({"username": name, "password": "bench-password-1", "role": role, "org_id": org});
            expect(client.post(&admin, "/users", &body)?, 201, "POST /users")?;
        }
        Ok(World {
            hr: login(&client, "bench_hr", "bench-password-1")?,
            finance: login(&client, "bench_fin", "bench-password-1")?,
            unit: login(&client, "bench_unit", "bench-password-1")?,
            org_id,
            client,
        })
    }

    /// Registers a base project (grant 500000.00); `disburse` pays the whole grant out.
    pub fn project(&self, client: &Client, n: usize, disburse: bool) -> R<String> {
        let body = json!({"kind": "base", "name": format!("基准测试高技能人才培训基地{n}"), "org_id": self.org_id,
            "start_date": START, "fund_source": "demonstration_matching", "specialties": ["数控加工", "焊接", "工业机器人"]});
        let p = id(&expect(client.post(&self.hr, "/projects", &body)?, 201, "POST /projects")?);
        if disburse {
            let body = json!({"date": START, "amount": "500000.00", "reference": "财拨[2025]1号"});
            expect(client.post(&self.finance, &format!("/projects/{p}/disbursements"), &body)?, 201, "POST disbursements")?;
        }
        Ok(p)
    }

    /// Registers `n` projects from `clients` threads.
    pub fn projects(&self, n: usize, clients: usize, disburse: bool) -> R<Vec<String>> {
        let next = std::sync::atomic::AtomicUsize::new(0);
        let out = std::sync::Mutex::new(vec![String::new(); n]);
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..clients.min(n).max(1))
                .map(|_| {
                    s.spawn(|| -> R<()> {
                        let c = self.client.clone_fresh();
                        loop {
                            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            if i >= n {
                                return Ok(());
                            }
                            let p = self.project(&c, i, disburse)?;
                            out.lock().map_err(|e| e.to_string())?[i] = p;
                        }
                    })
                })
                .collect();
            handles.into_iter().try_for_each(|h| h.join().map_err(|_| "a set-up thread panicked".to_string())?)
        })?;
        out.into_inner().map_err(|e| e.to_string())
    }

    /// Events in a project's chain now (the baseline the checks count from).
    pub fn events(&self, p: &str) -> R<i64> {
        let v = expect(self.client.get(&self.finance, &format!("/projects/{p}/audit-trail/verify"))?, 200, "verify")?;
        v["events"].as_i64().ok_or_else(|| format!("verify answered {v}"))
    }
}

impl Client {
    /// A client with its own connection (ureq agents share their pool when cloned).
    pub fn clone_fresh(&self) -> Client {
        Client::new(&self.base)
    }
}

fn login(c: &Client, username: &str, password: &str) -> R<String> {
    let r = c.call("POST", "/auth/login", None, Some(&json!({"username": username, "password": password}).to_string()))?;
    let v = expect(r, 200, "POST /auth/login")?;
    v["access_token"].as_str().map(str::to_string).ok_or_else(|| format!("login answered {v}"))
}
