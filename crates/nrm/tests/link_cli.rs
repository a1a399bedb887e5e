//! `nrm link dedupe` and `nrm link evaluate` driven as a researcher would, from the shell: the
//! commands that run without the service's runtime.

use std::process::{Command, Output};

fn nrm(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nrm"))
        .args(args)
        .env("NRM_LOG", "warn")
        .current_dir(std::env::temp_dir())
        .output()
        .unwrap_or_else(|e| panic!("run nrm: {e}"))
}

#[test]
fn a_file_is_generated_deduplicated_and_scored_from_the_shell() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // The benchmark writes generated people with their truth, and deduplicates them in a
    // child process of its own.
    let bench = nrm(&[
        "bench".as_ref(),
        "link".as_ref(),
        "--people".as_ref(),
        "1500".as_ref(),
        "--queries".as_ref(),
        "10".as_ref(),
        "--dir".as_ref(),
        dir.path().as_os_str(),
    ]);
    let report = String::from_utf8_lossy(&bench.stdout);
    assert!(
        bench.status.success(),
        "{}",
        String::from_utf8_lossy(&bench.stderr)
    );
    assert!(report.contains("1500"), "{report}");
    let input = dir.path().join("people-1500.csv");
    let truth = dir.path().join("people-1500.truth.csv");
    // One person twice (names in capitals and a near spelling, day and month swapped, moved)
    // and her twin sister at her first address.
    let append = |path: &std::path::Path, rows: &str| {
        use std::io::Write as _;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(path)
            .unwrap_or_else(|e| panic!("{e}"));
        f.write_all(rows.as_bytes())
            .unwrap_or_else(|e| panic!("{e}"));
    };
    append(
        &input,
        "x1,Selam,Tesfamariam,1994-03-07,F,4 Canal Street,Leeds,LS1 4AB,\n\
         x2,SELAM,Tesfamaryam,1994-07-03,F,,Leeds,,\n\
         x3,Senait,Tesfamariam,1994-03-07,F,4 Canal Street,Leeds,LS1 4AB,\n",
    );
    append(&truth, "x1,selam\nx2,selam\nx3,senait\n");
    let output = dir.path().join("clusters.csv");
    let run = nrm(&[
        "link".as_ref(),
        "dedupe".as_ref(),
        "--input".as_ref(),
        input.as_os_str(),
        "--output".as_ref(),
        output.as_os_str(),
        "--stats".as_ref(),
    ]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(stderr.contains("stats: records="), "{stderr}");
    let clusters = std::fs::read_to_string(&output).unwrap_or_else(|e| panic!("{e}"));
    let rows = std::fs::read_to_string(&input).unwrap_or_else(|e| panic!("{e}"));
    assert!(clusters.starts_with("id,cluster\n"));
    assert_eq!(
        clusters.lines().count(),
        rows.lines().count(),
        "a row for every row"
    );
    let cluster = |id: &str| {
        clusters
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{id},")))
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("{id} has no cluster"))
    };
    assert_eq!(cluster("x1"), cluster("x2"));
    assert_ne!(cluster("x1"), cluster("x3"));

    let score = nrm(&[
        "link".as_ref(),
        "evaluate".as_ref(),
        "--clusters".as_ref(),
        output.as_os_str(),
        "--truth".as_ref(),
        truth.as_os_str(),
    ]);
    let stdout = String::from_utf8_lossy(&score.stdout);
    assert!(
        score.status.success(),
        "{}",
        String::from_utf8_lossy(&score.stderr)
    );
    let f1: f64 = stdout
        .split("F1 ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no F1 in {stdout}"));
    assert!(f1 > 0.8, "{stdout}");

    // A file that is not there: a clear error and a failing exit, nothing written.
    let missing = dir.path().join("missing.csv");
    let nothing = dir.path().join("nothing.csv");
    let run = nrm(&[
        "link".as_ref(),
        "dedupe".as_ref(),
        "--input".as_ref(),
        missing.as_os_str(),
        "--output".as_ref(),
        nothing.as_os_str(),
    ]);
    assert!(!run.status.success());
    assert!(String::from_utf8_lossy(&run.stderr).contains("cannot"));
    assert!(!nothing.exists());
}
