//! HR's project pages (registration, status, leader, rename, annual reports) and the admin's users
//! and organisations: over plain HTTP (CSRF, roles, refusals on their fields, the overdue reports)
//! and in Chromium (a studio registered after an ineligible leader was refused; users and
//! organisations created; the last admin kept).
use super::{root, send, sign_in, Answer, Browser};
use crate::common::{items, on_each_backend, Db, World, ADMIN_PASSWORD};
use serde_json::{json, Value};

fn user_id(w: &World, username: &str) -> String {
    let users = items(&w.get(&w.admin, "/users?limit=500"));
    users.iter().find(|u| u["username"] == username).unwrap_or_else(|| panic!("no user {username}"))["id"].as_str().unwrap().to_string()
}

fn project_count(w: &World) -> usize {
    items(&w.get(&w.hr, "/projects?limit=500")).len()
}

/// Percent-encodes a form value.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn form(fields: &[(&str, &str)]) -> String {
    fields.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

fn post(w: &World, path: &str, cookie: &str, fields: &[(&str, &str)]) -> Answer {
    send("POST", &format!("{}{path}", root(w)), Some(cookie), Some(&form(fields)), &[])
}

fn csrf_of(w: &World, cookie: &str) -> String {
    send("GET", &format!("{}/", root(w)), Some(cookie), None, &[]).csrf()
}

#[test]
fn hr_and_admin_forms_need_the_role_and_the_csrf_token() {
    on_each_backend(|w| {
        let root = root(&w);
        let p = w.studio_project("2025-03-01");
        let unit_user = user_id(&w, "unit1");
        let (hr, admin) = (sign_in(&w, "hr1", "password-123"), sign_in(&w, "admin", ADMIN_PASSWORD));
        let (unit, finance) = (sign_in(&w, "unit1", "password-123"), sign_in(&w, "fin1", "password-123"));
        let manage = format!("/projects/{p}/manage");
        let user_page = format!("/users/{unit_user}");
        let hr_pages = ["/projects/new", manage.as_str(), "/reports"];
        let admin_pages = ["/users/new", user_page.as_str(), "/orgs/new"];
        for page in hr_pages {
            assert_eq!(send("GET", &format!("{root}{page}"), Some(&hr), None, &[]).status, 200, "{page}");
        }
        for page in admin_pages {
            assert_eq!(send("GET", &format!("{root}{page}"), Some(&admin), None, &[]).status, 200, "{page}");
        }
        // Another role: 403, on the pages and on their forms even with a good token.
        for (cookie, pages) in [(&unit, hr_pages), (&finance, hr_pages), (&unit, admin_pages), (&finance, admin_pages), (&hr, admin_pages)]
        {
            let csrf = csrf_of(&w, cookie);
            for page in pages {
                assert_eq!(send("GET", &format!("{root}{page}"), Some(cookie), None, &[]).status, 403, "GET {page}");
                if page != "/reports" {
                    let a = post(&w, page, cookie, &[("csrf", &csrf), ("action", "status"), ("status", "suspended"), ("reason", "x")]);
                    assert_eq!(a.status, 403, "POST {page}: {}", a.text);
                }
            }
        }
        // Every form refuses a post without this session's token, and writes nothing.
        let (projects, users) = (project_count(&w), items(&w.get(&w.admin, "/users?limit=500")).len());
        let studio = [
            ("kind", "studio"),
            ("name", "李师傅工作室"),
            ("org_id", w.org_id.as_str()),
            ("start_date", "2025-03-01"),
            ("fund_source", "employment_talent_fund"),
            ("leader.name", "李明"),
            ("leader.skill_level", "technician"),
            ("leader.birth_date", "1980-01-01"),
        ];
        let others_token = csrf_of(&w, &admin);
        for (cookie, path, fields) in [
            (&hr, "/projects/new", studio.to_vec()),
            (&hr, manage.as_str(), vec![("action", "status"), ("status", "suspended"), ("reason", "整改")]),
            (&hr, manage.as_str(), vec![("action", "name"), ("name", "新名称")]),
            (&admin, "/users/new", vec![("username", "unit9"), ("role", "hr"), ("password", "password-123")]),
            (&admin, user_page.as_str(), vec![("action", "deactivate")]),
            (&admin, "/orgs/new", vec![("name", "新单位"), ("kind", "school"), ("region", "红山区")]),
        ] {
            assert_eq!(post(&w, path, cookie, &fields).status, 403, "{path} without a token");
            let mut wrong = fields.clone();
            wrong.push(("csrf", if cookie == &admin { "0000" } else { others_token.as_str() }));
            assert_eq!(post(&w, path, cookie, &wrong).status, 403, "{path} with another session's token");
        }
        assert_eq!((project_count(&w), items(&w.get(&w.admin, "/users?limit=500")).len()), (projects, users));
        let project = w.get(&w.hr, &format!("/projects/{p}"));
        assert_eq!(project.body["status"], "active");
        assert!(items(&w.get(&w.admin, "/orgs?limit=500")).iter().all(|o| o["name"] != "新单位"));
        let unit_user_now = w.get(&w.admin, &format!("/users/{unit_user}"));
        assert_eq!(unit_user_now.body["active"], true);
    });
}

#[test]
fn refusals_are_shown_on_their_fields_in_chinese_with_the_input_kept() {
    on_each_backend(|w| {
        let hr = sign_in(&w, "hr1", "password-123");
        let csrf = csrf_of(&w, &hr);
        let before = project_count(&w);
        let base = [
            ("csrf", csrf.as_str()),
            ("kind", "base"),
            ("name", "焊接实训基地"),
            ("org_id", w.org_id.as_str()),
            ("start_date", "2025-03-01"),
            ("fund_source", "demonstration_matching"),
            ("specialties", "焊接\n焊接\n钳工"),
        ];
        let a = post(&w, "/projects/new", &hr, &base);
        assert_eq!(a.status, 422, "{}", a.text);
        assert!(a.text.contains("data-code=\"validation_failed\""), "{}", a.text);
        assert!(a.text.contains("data-field=\"specialties\">培训基地至少需要 3 个不同的培训专业，现有 2 个。<"), "{}", a.text);
        assert!(a.text.contains("value=\"焊接实训基地\"") && a.text.contains(">焊接\n焊接\n钳工</textarea>"), "input kept: {}", a.text);
        assert_eq!(project_count(&w), before, "nothing registered");

        // A blank name and a missing leader are both named at once.
        let studio = [
            ("csrf", csrf.as_str()),
            ("kind", "studio"),
            ("name", " "),
            ("org_id", w.org_id.as_str()),
            ("start_date", "2025-03-01"),
            ("fund_source", "employment_talent_fund"),
        ];
        let a = post(&w, "/projects/new", &hr, &studio);
        assert_eq!(a.status, 422);
        assert!(a.text.contains("data-field=\"name\">名称须为 1 至 200 个字符。<"), "{}", a.text);
        assert!(a.text.contains("data-field=\"leader\">技能大师工作室必须填写负责人。<"), "{}", a.text);

        // A status the project's status does not allow: the API's invalid_transition, in Chinese.
        let p = w.base_project("2025-03-01");
        assert_eq!(w.post(&w.hr, &format!("/projects/{p}/status"), json!({"status": "cancelled", "reason": "单位注销"})).status, 200);
        let a = post(
            &w,
            &format!("/projects/{p}/manage"),
            &hr,
            &[("csrf", &csrf), ("action", "status"), ("status", "active"), ("reason", "恢复")],
        );
        assert_eq!(a.status, 409, "{}", a.text);
        assert!(
            a.text.contains("data-code=\"invalid_transition\"") && a.text.contains("项目当前状态为“撤销”，不能变更为“执行中”。"),
            "{}",
            a.text
        );
        let a = post(&w, &format!("/projects/{p}/manage"), &hr, &[("csrf", &csrf), ("action", "name"), ("name", ""), ("reason", "")]);
        assert!(a.status == 422 && a.text.contains("data-field=\"name\">名称须为 1 至 200 个字符。<"), "{}", a.text);

        // A studio's new leader: refused on the field while below technician level, then replaced.
        let studio = w.studio_project("2025-03-01");
        let manage = format!("/projects/{studio}/manage");
        let leader = |level: &str| {
            let fields = [
                ("csrf", csrf.as_str()),
                ("action", "leader"),
                ("leader.name", "孙立"),
                ("leader.skill_level", level),
                ("leader.birth_date", "1980-06-01"),
                ("reason", "原负责人退休"),
            ];
            post(&w, &manage, &hr, &fields)
        };
        let a = leader("senior_worker");
        assert_eq!(a.status, 422);
        assert!(a.text.contains("data-field=\"leader.skill_level\">工作室负责人须具备技师及以上技能等级。<"), "{}", a.text);
        assert!(a.text.contains("value=\"孙立\""), "input kept: {}", a.text);
        assert_eq!(w.get(&w.hr, &format!("/projects/{studio}")).body["leader"]["name"], "王建国");
        let a = leader("senior_technician");
        assert_eq!((a.status, a.header("location")), (303, Some(format!("{manage}?done=leader").as_str())));
        assert_eq!(w.get(&w.hr, &format!("/projects/{studio}")).body["leader"]["name"], "孙立");

        // The admin: a taken username, a unit without an organisation.
        let admin = sign_in(&w, "admin", ADMIN_PASSWORD);
        let csrf = csrf_of(&w, &admin);
        let a = post(&w, "/users/new", &admin, &[("csrf", &csrf), ("username", "hr1"), ("role", "hr"), ("password", "password-123")]);
        assert_eq!(a.status, 409);
        assert!(a.text.contains("data-code=\"already_exists\"") && a.text.contains("value=\"hr1\""), "{}", a.text);
        let a = post(&w, "/users/new", &admin, &[("csrf", &csrf), ("username", "unit7"), ("role", "unit"), ("password", "short")]);
        assert!(a.status == 422 && a.text.contains("data-field=\"password\">密码须为 10 至 256 个字符。<"), "{}", a.text);
        let a = post(&w, "/users/new", &admin, &[("csrf", &csrf), ("username", "unit7"), ("role", "unit"), ("password", "password-123")]);
        assert!(a.status == 422 && a.text.contains("data-field=\"org_id\">建设单位用户必须选择所属单位"), "{}", a.text);
        let a = post(&w, "/orgs/new", &admin, &[("csrf", &csrf), ("name", "赤峰市高级技工学校"), ("kind", "school"), ("region", "红山区")]);
        assert!(a.status == 409 && a.text.contains("data-code=\"already_exists\""), "{}", a.text);

        // A generated password is shown once and works.
        let unit1 = user_id(&w, "unit1");
        let a = post(&w, &format!("/users/{unit1}"), &admin, &[("csrf", &csrf), ("action", "generate")]);
        assert_eq!(a.status, 200, "{}", a.text);
        let at = a.text.find("data-testid=\"new-password\">").expect("the new password") + 27;
        let password = a.text[at..].split('<').next().unwrap().to_string();
        assert_eq!(password.len(), 14);
        sign_in(&w, "unit1", &password);
        assert!(!send("GET", &format!("{}/users/{unit1}", root(&w)), Some(&admin), None, &[]).text.contains(&password), "shown once");
    });
}

#[test]
fn hr_sees_reports_received_and_the_overdue_years() {
    on_each_backend(|w| {
        // Periods wholly in the past, so the overdue years do not depend on today's date.
        let p = w.base_project("2022-03-01");
        let gone = w.base_project("2022-04-01");
        assert_eq!(w.post(&w.hr, &format!("/projects/{gone}/status"), json!({"status": "cancelled", "reason": "单位注销"})).status, 200);
        let filed = w.post(
            &w.unit,
            &format!("/projects/{p}/annual-reports"),
            json!({"year": 2022, "summary": "建成培训体系", "next_year_plan": "扩大培训", "trained_total": 120, "trained_advanced": 20}),
        );
        assert_eq!(filed.status, 201, "{filed:?}");
        let hr = sign_in(&w, "hr1", "password-123");
        let a = send("GET", &format!("{}/reports", root(&w)), Some(&hr), None, &[]);
        assert_eq!(a.status, 200);
        let row =
            |testid: &str, project: &str, year: i32| format!("data-testid=\"{testid}\" data-project-id=\"{project}\" data-year=\"{year}\"");
        assert!(a.text.contains(&row("received-report", &p, 2022)), "{}", a.text);
        assert!(a.text.contains("data-late=\"true\""), "filed years after its December: late");
        for year in [2023, 2024] {
            assert!(a.text.contains(&row("overdue-report", &p, year)), "{year}: {}", a.text);
        }
        assert!(!a.text.contains(&row("overdue-report", &p, 2022)), "2022 was filed");
        assert!(
            !a.text.contains(&format!("data-testid=\"overdue-report\" data-project-id=\"{gone}\"")),
            "a cancelled project is not chased"
        );
    });
}

#[test]
fn the_admin_deactivates_reactivates_and_changes_a_role() {
    on_each_backend(|w| {
        let admin = sign_in(&w, "admin", ADMIN_PASSWORD);
        let csrf = csrf_of(&w, &admin);
        let (hr1, unit1) = (user_id(&w, "hr1"), user_id(&w, "unit1"));
        let page = format!("/users/{hr1}");
        let a = post(&w, &page, &admin, &[("csrf", &csrf), ("action", "deactivate")]);
        assert_eq!((a.status, a.header("location")), (303, Some(page.as_str())));
        assert_eq!(w.get(&w.admin, &page).body["active"], false);
        let refused = send("POST", &format!("{}/login", root(&w)), None, Some("username=hr1&password=password-123"), &[]);
        assert_eq!(refused.status, 401, "a deactivated user cannot sign in");
        assert_eq!(post(&w, &page, &admin, &[("csrf", &csrf), ("action", "reactivate")]).status, 303);
        assert_eq!(post(&w, &page, &admin, &[("csrf", &csrf), ("action", "role"), ("role", "inspector")]).status, 303);
        let hr = w.get(&w.admin, &page);
        assert_eq!((hr.body["active"].as_bool(), hr.body["role"].as_str()), (Some(true), Some("inspector")));
        // A typed password, and the store's rule that a unit stays a unit, in Chinese.
        assert_eq!(post(&w, &page, &admin, &[("csrf", &csrf), ("action", "password"), ("password", "typed-password-9")]).status, 303);
        sign_in(&w, "hr1", "typed-password-9");
        let a = post(&w, &format!("/users/{unit1}"), &admin, &[("csrf", &csrf), ("action", "role"), ("role", "finance")]);
        assert_eq!(a.status, 422);
        assert!(a.text.contains("data-field=\"role\">建设单位用户不能改为其他角色。<"), "{}", a.text);
        assert_eq!(w.get(&w.admin, &format!("/users/{unit1}")).body["role"], "unit");
    });
}

// ---- In the browser ------------------------------------------------------------------------

fn choose(b: &Browser, select: &str, value: &str) {
    b.click(&format!("select[name='{select}'] option[value='{value}']"));
}

/// Types a date as a user does in Chromium's date field, whose order of parts follows the
/// browser's locale (month, day, year in headless Chromium; year first in a Chinese one).
fn type_date(b: &Browser, name: &str, date: &str) {
    let css = format!("input[name='{name}']");
    let (y, rest) = date.split_once('-').unwrap();
    let mut seen = Vec::new();
    for keys in [format!("{}{y}", rest.replace('-', "")), date.replace('-', "")] {
        clear(b, &css);
        b.type_into(&css, &keys);
        let el = b.wait_for(&css, 5);
        let value = b.call("GET", &format!("/element/{el}/property/value"), None);
        if value.as_str() == Some(date) {
            return;
        }
        seen.push(value);
    }
    panic!("the date field {name} did not take {date}: {seen:?}");
}

fn fill_studio(b: &Browser, w: &World, name: &str, birth: &str) {
    b.click("#kind-studio");
    b.type_into("input[name=name]", name);
    choose(b, "org_id", &w.org_id);
    type_date(b, "start_date", "2025-03-01");
    choose(b, "fund_source", "employment_talent_fund");
    b.type_into("input[name='leader.name']", "赵长青");
    choose(b, "leader.skill_level", "technician");
    type_date(b, "leader.birth_date", birth);
    b.click("form.register button[type=submit]");
}

fn clear(b: &Browser, css: &str) {
    let el = b.wait_for(css, 5);
    b.call("POST", &format!("/element/{el}/clear"), None);
}

#[test]
fn hr_registers_a_studio_after_an_ineligible_leader_and_changes_its_status_in_a_browser() {
    let Some(b) = Browser::start() else { return };
    on_each_backend(|w| {
        let root = root(&w);
        let shots = w.db == Db::Sqlite;
        b.sign_in(&root, "hr1", "password-123");
        b.wait_for("[data-testid=project-row], h1", 10);
        b.goto(&format!("{root}/projects/new"));
        // Born 1955: 70 on the start date, above the limit of 65.
        fill_studio(&b, &w, "赵师傅木雕技能大师工作室", "1955-01-10");
        let error = b.wait_for("[data-testid=field-error][data-field='leader.birth_date']", 10);
        assert_eq!(b.text(&error), "负责人在 2025-03-01 已满 70 周岁，须未满 65 周岁（民族技艺传承人未满 68 周岁）。");
        let input = b.wait_for("input[name='leader.birth_date']", 5);
        assert_eq!(b.attr(&input, "aria-invalid").as_deref(), Some("true"));
        let kept = b.wait_for("input[name=name]", 5);
        assert_eq!(b.attr(&kept, "value").as_deref(), Some("赵师傅木雕技能大师工作室"), "the input is kept");
        assert!(b.find_all("[data-testid=field-error]").len() == 1, "only the leader's age was wrong");
        if shots {
            b.screenshot("people-register-errors-zh");
        }
        // Corrected: registered, and the API has it.
        clear(&b, "input[name='leader.birth_date']");
        type_date(&b, "leader.birth_date", "1975-01-10");
        b.click("form.register button[type=submit]");
        b.wait_for("[data-testid=statement-figure]", 10);
        let id = b.current_url().rsplit('/').next().unwrap().to_string();
        let p = w.get(&w.hr, &format!("/projects/{id}"));
        assert_eq!(p.status, 200, "{p:?}");
        assert_eq!((p.body["kind"].as_str(), p.body["name"].as_str()), (Some("studio"), Some("赵师傅木雕技能大师工作室")));
        assert_eq!(p.body["leader"]["birth_date"], "1975-01-10");

        // Suspended, with a reason.
        b.goto(&format!("{root}/projects/{id}/manage"));
        choose(&b, "status", "suspended");
        b.type_into("[data-testid=status-form] input[name=reason]", "负责人长期出国，暂停执行");
        b.click("[data-testid=status-form] button[type=submit]");
        b.wait_for("[data-testid=saved]", 10);
        let status = b.wait_for("[data-testid=project-status]", 5);
        assert_eq!(b.attr(&status, "data-status").as_deref(), Some("suspended"));
        assert_eq!(w.get(&w.hr, &format!("/projects/{id}")).body["status"], "suspended");
        let trail = w.get(&w.inspector, &format!("/projects/{id}/audit-trail?limit=500"));
        let changed: Vec<Value> = items(&trail).into_iter().filter(|e| e["action"] == "project.status_changed").collect();
        assert_eq!(changed.len(), 1, "{trail:?}");
        assert!(changed[0]["data"].to_string().contains("负责人长期出国"), "{}", changed[0]);
        b.goto(&format!("{root}/reports"));
        b.wait_for("[data-testid=no-overdue], [data-testid=overdue-report]", 10);
        if shots {
            b.screenshot("people-reports-zh");
            b.goto(&format!("{root}/projects/{id}/manage"));
            b.wait_for("[data-testid=project-status]", 10);
            b.screenshot("people-manage-zh");
            b.goto(&format!("{root}/projects/new?lang=en"));
            fill_studio(&b, &w, "Master Zhao's studio", "1955-01-10");
            b.wait_for("[data-testid=field-error][data-field='leader.birth_date']", 10);
            b.screenshot("people-register-errors-en");
            b.window(390, 844);
            b.goto(&format!("{root}/projects/new?lang=zh"));
            b.click("#kind-studio");
            b.screenshot("people-register-phone-zh");
            b.window(1366, 768);
        }
    });
}

#[test]
fn the_admin_creates_a_unit_user_and_an_organisation_in_a_browser_and_keeps_the_last_admin() {
    let Some(b) = Browser::start() else { return };
    on_each_backend(|w| {
        let root = root(&w);
        let shots = w.db == Db::Sqlite;
        b.sign_in(&root, "admin", ADMIN_PASSWORD);
        b.wait_for("[data-testid=user-row]", 10);

        // An organisation first, then its accountant.
        b.click("a[href='/orgs/new']");
        b.type_into("input[name=name]", "赤峰市元宝山区职业技术学校");
        choose(&b, "kind", "school");
        b.type_into("input[name=region]", "元宝山区");
        b.click("form.people-form button[type=submit]");
        b.wait_for("[data-testid=org-row]", 10);
        let org =
            items(&w.get(&w.admin, "/orgs?limit=500")).into_iter().find(|o| o["name"] == "赤峰市元宝山区职业技术学校").expect("the org");
        assert_eq!((org["kind"].as_str(), org["region"].as_str()), (Some("school"), Some("元宝山区")));
        let org_id = org["id"].as_str().unwrap().to_string();
        assert!(!b.find_all(&format!("[data-testid=org-row][data-org-id='{org_id}']")).is_empty());

        b.click("a[href='/users/new']");
        b.type_into("input[name=username]", "unit-ybs");
        b.type_into("input[name=display_name]", "刘会计");
        choose(&b, "role", "unit");
        choose(&b, "org_id", &org_id);
        b.type_into("input[name=password]", "ybs-password-1");
        if shots {
            b.screenshot("people-new-user-zh");
        }
        b.click("form.people-form button[type=submit]");
        let active = b.wait_for("[data-testid=user-active]", 10);
        assert_eq!(b.attr(&active, "data-active").as_deref(), Some("true"));
        let user = w.get(&w.admin, &format!("/users/{}", user_id(&w, "unit-ybs")));
        assert_eq!((user.body["role"].as_str(), user.body["org_id"].as_str()), (Some("unit"), Some(org_id.as_str())));

        // The new user signs in and sees the (empty) project list of the organisation.
        b.sign_in(&root, "unit-ybs", "ybs-password-1");
        let who = b.wait_for("header .who", 10);
        assert!(b.text(&who).contains("unit-ybs"), "{}", b.text(&who));

        // The only admin cannot deactivate themselves.
        b.sign_in(&root, "admin", ADMIN_PASSWORD);
        b.wait_for("[data-testid=user-row]", 10);
        b.goto(&format!("{root}/users/{}", user_id(&w, "admin")));
        b.click("[data-testid=deactivate-form] button[type=submit]");
        let refusal = b.wait_for("[data-testid=form-error][data-code=last_admin]", 10);
        assert_eq!(b.text(&refusal), "不能停用或降级最后一位管理员。");
        if shots {
            b.screenshot("people-last-admin-zh");
        }
        assert_eq!(w.get(&w.admin, &format!("/users/{}", user_id(&w, "admin"))).body["active"], true);
    });
}
