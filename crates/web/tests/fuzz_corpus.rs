//! Replays the committed fuzz corpus (`fuzz/corpus/<target>/`) through the functions the
//! cargo-fuzz targets call, on the stable toolchain: every input the fuzzer kept, and every
//! crash it ever found, runs in CI. Fuzzing itself runs outside CI (fuzz/Cargo.toml).

use std::path::PathBuf;

fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut files: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_file())
        .map(|path| {
            let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (path, bytes)
        })
        .collect();
    files.sort();
    // A corpus that silently went missing would make this test pass having checked nothing.
    assert!(files.len() >= 5, "{target}: only {} inputs", files.len());
    files
}

fn replay(target: &str, run: fn(&[u8])) {
    for (path, bytes) in corpus(target) {
        if std::panic::catch_unwind(|| run(&bytes)).is_err() {
            panic!("{target}: {} broke an invariant", path.display());
        }
    }
}

// Security target #19. ASVS v5.0.0-1.5.2 (untrusted JSON is parsed strictly and safely) and v5.0.0-16.5.1 (no
// input echoed in errors)
#[test]
fn the_submission_body_corpus_parses_without_panics_or_echoes() {
    replay("submission_body", nrm_web::fuzzing::submission_body);
}

// Security target #19. ASVS v5.0.0-1.5.2 (untrusted form input is parsed safely)
#[test]
fn the_page_form_corpus_is_checked_without_panics() {
    replay("page_form", nrm_web::fuzzing::page_form);
}

// Security target #19. ASVS v5.0.0-1.5.2
#[test]
fn the_rulebook_corpus_parses_without_panics_and_round_trips() {
    replay("rulebook", nrm_web::fuzzing::rulebook);
}

// Security target #19. ASVS v5.0.0-3.7.2 (redirects only to an allow-listed, same-site destination)
#[test]
fn the_next_path_corpus_accepts_only_same_site_relative_paths() {
    replay("next_path", nrm_web::fuzzing::next_path);
}
