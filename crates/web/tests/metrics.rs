//! `/metrics` over HTTP on both backends: who may scrape, what is counted, and that no label
//! holds a reference or anything a person typed.

mod support;

use support::{ANALYST, App, CANARY, Identity, each_backend};

const ADMIN: Identity = Identity {
    user: "00000000-0000-4000-8000-00000000a001",
    organisation: "00000000-0000-4000-8000-00000000a101",
    kind: "administrators",
    roles: "administrator",
};

async fn scrape(app: &App, who: Option<Identity>) -> reqwest::Response {
    let request = match who {
        Some(who) => app.get_as("/metrics", who),
        None => reqwest::Client::new().get(format!("{}/metrics", app.base)),
    };
    request.send().await.unwrap_or_else(|e| panic!("{e}"))
}

/// The value of the sample named `name` with exactly these `labels` (in the order written).
fn sample(text: &str, name: &str, labels: &str) -> Option<f64> {
    let head = if labels.is_empty() {
        format!("{name} ")
    } else {
        format!("{name}{{{labels}}} ")
    };
    text.lines()
        .find_map(|l| l.strip_prefix(&head))
        .and_then(|v| v.trim().parse().ok())
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_and_the_queue_by_status() {
    each_backend(|app: App| async move {
        // Three referrals, and one of them read twice.
        let mut references = Vec::new();
        for _ in 0..3 {
            references.push(app.submit_adult().await);
        }
        for _ in 0..2 {
            let read = app
                .get(&format!("/api/v1/cases/{}", references[0]))
                .send()
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(read.status(), 200);
        }

        // Nobody signed in: refused; an analyst: not theirs to read.
        assert_eq!(scrape(&app, None).await.status(), 401);
        assert_eq!(scrape(&app, Some(ANALYST)).await.status(), 403);

        let response = scrape(&app, Some(ADMIN)).await;
        assert_eq!(response.status(), 200);
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(content_type.starts_with("application/openmetrics-text"));
        let text = response.text().await.unwrap_or_default();
        assert!(text.ends_with("# EOF\n"), "{text}");

        // Requests by method, route template and status: the template, never the reference.
        assert_eq!(
            sample(
                &text,
                "nrm_http_requests_total",
                "method=\"POST\",route=\"/api/v1/referrals/adult\",status=\"201\""
            ),
            Some(3.0),
            "{text}"
        );
        assert_eq!(
            sample(
                &text,
                "nrm_http_requests_total",
                "method=\"GET\",route=\"/api/v1/cases/{reference}\",status=\"200\""
            ),
            Some(2.0),
            "{text}"
        );
        assert_eq!(
            sample(
                &text,
                "nrm_http_request_duration_seconds_count",
                "method=\"GET\",route=\"/api/v1/cases/{reference}\""
            ),
            Some(2.0),
            "{text}"
        );
        // The refused scrapes were counted too.
        assert_eq!(
            sample(
                &text,
                "nrm_http_requests_total",
                "method=\"GET\",route=\"/metrics\",status=\"401\""
            ),
            Some(1.0)
        );
        for reference in &references {
            assert!(!text.contains(reference.as_str()), "a reference in a label");
        }
        assert!(!text.contains(CANARY));

        // The queue: three new referrals awaiting Reasonable Grounds at the SCA, none overdue.
        let awaiting: f64 = text
            .lines()
            .filter(|l| {
                l.starts_with("nrm_queue_cases{")
                    && l.contains("status=\"awaiting_reasonable_grounds\"")
            })
            .filter_map(|l| l.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()))
            .sum();
        assert_eq!(awaiting, 3.0, "{text}");
        let overdue: f64 = text
            .lines()
            .filter(|l| l.starts_with("nrm_overdue_cases{"))
            .filter_map(|l| l.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()))
            .sum();
        assert_eq!(overdue, 0.0, "{text}");

        // Long after: the sweep flags all three overdue, and the next scrape says so.
        app.advance(60);
        let sweep = app
            .post_as("/api/v1/deadline-sweep", support::SCA_MANAGER)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(sweep.status().is_success(), "{}", sweep.status());
        let text = scrape(&app, Some(ADMIN))
            .await
            .text()
            .await
            .unwrap_or_default();
        let overdue: f64 = text
            .lines()
            .filter(|l| l.starts_with("nrm_overdue_cases{"))
            .filter_map(|l| l.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()))
            .sum();
        assert_eq!(overdue, 3.0, "{text}");

        // The pool is open and no larger than its limit.
        let max = sample(&text, "nrm_db_pool_max_connections", "").unwrap_or(0.0);
        let busy = sample(&text, "nrm_db_pool_connections", "state=\"in_use\"").unwrap_or(-1.0);
        assert!(max >= 1.0 && (0.0..=max).contains(&busy), "{text}");
        app
    })
    .await;
}
