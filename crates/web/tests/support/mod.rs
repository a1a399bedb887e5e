//! A real server on a loopback port over a fresh store, a client that signs in with the
//! development headers, a movable clock, and a log capture for the never-log checks.

#![allow(dead_code, reason = "each test file uses part of the support module")]

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{DateTime, Duration, TimeZone, Utc};
use nrm_domain::Rulebook;
use nrm_service::Cases;
use nrm_store::testing::{self, TestStore};
use reqwest::{Client, RequestBuilder, Response};
use serde_json::{Value, json};

pub mod pages;

pub const USER: &str = "00000000-0000-4000-8000-000000000001";
pub const ORGANISATION: &str = "00000000-0000-4000-8000-000000000101";

/// A development sign-in identity: user, organisation, organisation kind, roles.
#[derive(Debug, Clone, Copy)]
pub struct Identity {
    pub user: &'static str,
    pub organisation: &'static str,
    pub kind: &'static str,
    pub roles: &'static str,
}

/// The First Responder who makes every submission in these tests.
pub const RESPONDER: Identity = Identity {
    user: USER,
    organisation: ORGANISATION,
    kind: "first_responder_organisation",
    roles: "first_responder",
};
/// A First Responder in another organisation.
pub const OTHER_RESPONDER: Identity = Identity {
    user: "00000000-0000-4000-8000-000000000009",
    organisation: "00000000-0000-4000-8000-000000000109",
    kind: "first_responder_organisation",
    roles: "first_responder",
};
/// An SCA manager, who decides, manages, routes and allocates.
pub const SCA_MANAGER: Identity = Identity {
    user: "00000000-0000-4000-8000-000000000002",
    organisation: "00000000-0000-4000-8000-000000000201",
    kind: "sca",
    roles: "ca_manager,decision_maker",
};
/// An IECA decision maker.
pub const IECA_DECISION_MAKER: Identity = Identity {
    user: "00000000-0000-4000-8000-000000000007",
    organisation: "00000000-0000-4000-8000-000000000202",
    kind: "ieca",
    roles: "decision_maker",
};
/// An analyst: every case's summary, never personal details.
pub const ANALYST: Identity = Identity {
    user: "00000000-0000-4000-8000-000000000003",
    organisation: "00000000-0000-4000-8000-000000000301",
    kind: "analysts",
    roles: "analyst",
};

/// Who the helpers act as by default for a request: submissions and case reads by the
/// referring First Responder, lists by an analyst, everything else by an SCA manager.
fn identity_for(method: &str, path: &str) -> Identity {
    let list = path == "/api/v1/cases" || path.starts_with("/api/v1/cases?");
    if path.starts_with("/api/v1/referrals")
        || path.starts_with("/api/v1/duty-to-notify")
        || path == "/api/v1/rulebook"
    {
        RESPONDER
    } else if list {
        ANALYST
    } else if method == "GET" && (path.ends_with("/notices") || !path.contains("/access-history")) {
        RESPONDER
    } else {
        SCA_MANAGER
    }
}

/// Adds the development sign-in headers for `who`.
pub fn signed_in(request: RequestBuilder, who: Identity) -> RequestBuilder {
    request
        .header("nrm-dev-user", who.user)
        .header("nrm-dev-organisation", who.organisation)
        .header("nrm-dev-organisation-kind", who.kind)
        .header("nrm-dev-roles", who.roles)
}

/// Everything the service logged during this test binary's run.
pub fn logs() -> String {
    String::from_utf8_lossy(&capture().lock().map(|b| b.clone()).unwrap_or_default()).into_owned()
}

fn capture() -> &'static Arc<Mutex<Vec<u8>>> {
    static CAPTURE: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .with_writer(move || SharedWriter(writer.clone()))
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
        buffer
    })
}

struct SharedWriter(Arc<Mutex<Vec<u8>>>);

impl Write for SharedWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut b) = self.0.lock() {
            b.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A running service for one test.
pub struct App {
    pub base: String,
    pub client: Client,
    pub clock: Arc<Mutex<DateTime<Utc>>>,
    pub store: TestStore,
    server: tokio::task::JoinHandle<()>,
}

impl App {
    pub async fn start(store: TestStore) -> Self {
        Self::start_with(store, true).await
    }

    pub async fn start_with(store: TestStore, dev_actor_headers: bool) -> Self {
        capture();
        let clock = Arc::new(Mutex::new(
            Utc.with_ymd_and_hms(2025, 11, 3, 10, 0, 0)
                .single()
                .unwrap_or_default(),
        ));
        let reader = clock.clone();
        let state = nrm_web::AppState::new(
            Cases::new(store.store.clone(), Rulebook::current()),
            nrm_web::Settings { dev_actor_headers },
        )
        .with_clock(Arc::new(move || {
            reader.lock().map(|t| *t).unwrap_or_default()
        }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("bind: {e}"));
        let address = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("address: {e}"));
        let server = tokio::spawn(async move {
            let _ = axum::serve(
                listener,
                nrm_web::router(state)
                    .into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .await;
        });
        Self {
            base: format!("http://{address}"),
            client: Client::new(),
            clock,
            store,
            server,
        }
    }

    pub async fn stop(self) {
        self.server.abort();
        self.store.cleanup().await;
    }

    /// Moves the service's clock forward.
    pub fn advance(&self, days: i64) {
        if let Ok(mut t) = self.clock.lock() {
            *t += Duration::days(days);
        }
    }

    /// Moves the service's clock forward by minutes.
    pub fn advance_minutes(&self, minutes: i64) {
        if let Ok(mut t) = self.clock.lock() {
            *t += Duration::minutes(minutes);
        }
    }

    pub fn today(&self) -> chrono::NaiveDate {
        self.clock
            .lock()
            .map(|t| t.date_naive())
            .unwrap_or_default()
    }

    pub fn get(&self, path: &str) -> RequestBuilder {
        self.get_as(path, identity_for("GET", path))
    }

    pub fn post(&self, path: &str) -> RequestBuilder {
        self.post_as(path, identity_for("POST", path))
    }

    pub fn get_as(&self, path: &str, who: Identity) -> RequestBuilder {
        signed_in(self.client.get(format!("{}{path}", self.base)), who)
    }

    pub fn post_as(&self, path: &str, who: Identity) -> RequestBuilder {
        signed_in(self.client.post(format!("{}{path}", self.base)), who)
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.post(path)
            .json(body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}"))
    }

    /// The case's current version, read from the store (as a client remembers the last ETag it
    /// saw, without a read that would add to the case's access history); 0 for no such case.
    pub async fn version(&self, reference: &str) -> u64 {
        let Ok(reference) = reference.parse::<nrm_domain::CaseReference>() else {
            return 0;
        };
        let Some(id) = self
            .store
            .store
            .case_id_by_reference(&reference)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
        else {
            return 0;
        };
        self.store
            .store
            .version(id)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or(0)
    }

    /// `If-Match` with the current version of the case a `/api/v1/cases/{reference}/…` path
    /// names: what a client that read the case before changing it sends.
    pub async fn if_match_current(&self, path: &str) -> String {
        let reference = path
            .strip_prefix("/api/v1/cases/")
            .and_then(|rest| rest.split('/').next())
            .unwrap_or_default();
        format!("\"{}\"", self.version(reference).await)
    }

    /// Changes a case as `who`, with `If-Match` naming its current version.
    pub async fn change_as(&self, path: &str, who: Identity, body: &Value) -> Response {
        let tag = self.if_match_current(path).await;
        self.post_as(path, who)
            .header("if-match", tag)
            .json(body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}"))
    }

    /// Changes a case as the default identity for the path, with `If-Match` naming its
    /// current version.
    pub async fn change(&self, path: &str, body: &Value) -> Response {
        self.change_as(path, identity_for("POST", path), body).await
    }

    /// Submits a valid adult referral and returns its reference.
    pub async fn submit_adult(&self) -> String {
        let response = self.post_json("/api/v1/referrals/adult", &adult()).await;
        assert_eq!(response.status(), 201);
        body(response).await["reference"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub async fn total(&self) -> u64 {
        let response = self
            .get("/api/v1/cases")
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        body(response).await["total"].as_u64().unwrap_or(u64::MAX)
    }
}

pub async fn body(response: Response) -> Value {
    response.json().await.unwrap_or(Value::Null)
}

pub const CANARY: &str = nrm_domain::fixtures::CANARY;

pub fn victim() -> Value {
    json!({
        "given_names": format!("Given{CANARY}"),
        "family_name": format!("Family{CANARY}"),
        "other_names": [format!("Alias{CANARY}")],
        "date_of_birth": "1995-06-15",
        "languages": ["Albanian"],
        "interpreter_needed": true,
        "contact": format!("07700 900000 {CANARY}"),
        "narrative": format!("Account of exploitation {CANARY}")
    })
}

pub fn exploitation(types: &[&str]) -> Value {
    json!({
        "types": types,
        "county_lines": types.contains(&"criminal"),
        "location": {"uk_nations": ["england"], "police_force_areas": ["west-midlands"], "overseas_countries": ["AL"]},
        "period": {"started_on": "2024-03-01", "ended_on": "2024-09-30", "ongoing": false}
    })
}

pub fn adult() -> Value {
    json!({
        "victim": victim(),
        "profile": {"gender": "male", "nationalities": ["AL"]},
        "consent": {"informed_consent_to_referral": true, "referral_consent_given_on": "2025-10-30", "support_consent": true},
        "exploitation": exploitation(&["labour"]),
        "first_responder": {"organisation_type": "police"}
    })
}

pub fn child() -> Value {
    let mut v = victim();
    v["date_of_birth"] = json!("2010-02-01");
    json!({
        "victim": v,
        "profile": {"gender": "female", "nationalities": ["VN"]},
        "age_disputed": false,
        "local_authority_notified": true,
        "exploitation": exploitation(&["criminal"]),
        "first_responder": {"organisation_type": "local_authority"}
    })
}

pub fn duty_to_notify() -> Value {
    json!({
        "profile": {"gender": "male", "nationalities": ["SD"]},
        "age_at_exploitation": "adult",
        "exploitation": exploitation(&["sexual"]),
        "first_responder": {"organisation_type": "police"}
    })
}

/// Runs `test` against a fresh app on each backend.
pub async fn each_backend<F, Fut>(test: F)
where
    F: Fn(App) -> Fut,
    Fut: std::future::Future<Output = App>,
{
    for store in testing::all().await {
        eprintln!("backend: {}", store.name);
        let app = test(App::start(store).await).await;
        assert!(!logs().contains(CANARY), "personal data reached the logs");
        app.stop().await;
    }
}
