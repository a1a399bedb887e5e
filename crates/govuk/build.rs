//! Makes sure the pinned `govuk-frontend` package is installed under `web/node_modules`
//! (running `npm ci` when it is missing or at another version), then writes the table of
//! assets to embed: GOV.UK Frontend's CSS, JavaScript, fonts and images and NRM Digital's own
//! few files, each with a content fingerprint in its URL so it can be cached for a year.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let web = manifest.join("../../web");
    let web = web.canonicalize().unwrap_or(web);
    println!(
        "cargo:rerun-if-changed={}",
        web.join("package.json").display()
    );
    println!(
        "cargo:rerun-if-changed={}",
        web.join("package-lock.json").display()
    );
    println!("cargo:rerun-if-changed={}", web.join("src").display());

    let wanted = pinned_version(&web);
    let package = web.join("node_modules/govuk-frontend");
    if installed_version(&package).as_deref() != Some(wanted.as_str()) {
        install(&web);
    }
    let installed = installed_version(&package);
    assert_eq!(
        installed.as_deref(),
        Some(wanted.as_str()),
        "govuk-frontend {wanted} is not installed in {} after `npm ci`",
        web.display()
    );

    let dist = package.join("dist/govuk");
    println!("cargo:rustc-env=GOVUK_FRONTEND_DIST={}", dist.display());
    println!("cargo:rustc-env=GOVUK_FRONTEND_VERSION={wanted}");

    let mut assets = Vec::new();
    // The package's own files, at the paths its CSS refers to (`/assets/fonts/…`,
    // `/assets/images/…`). Font names already carry the package's content hash.
    for folder in ["fonts", "images"] {
        let dir = dist.join("assets").join(folder);
        let mut names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
            .map(|entry| entry.expect("directory entry").file_name())
            .collect();
        names.sort();
        for name in names {
            let name = name.to_string_lossy().into_owned();
            let file = dir.join(&name);
            assets.push(Asset::unhashed(
                &format!("{folder}/{name}"),
                &file,
                folder == "fonts",
            ));
        }
    }
    assets.push(Asset::unhashed(
        "manifest.json",
        &dist.join("assets/manifest.json"),
        false,
    ));
    // Stylesheets and scripts get a fingerprint of their own.
    let css = Asset::hashed(
        "govuk-frontend.min.css",
        &dist.join("govuk-frontend.min.css"),
    );
    let js = Asset::hashed("govuk-frontend.min.js", &dist.join("govuk-frontend.min.js"));
    let own_css = Asset::hashed("nrm.css", &web.join("src/nrm.css"));
    let own_init = Asset::hashed("nrm-init.js", &web.join("src/nrm-init.js"));
    // The module that starts GOV.UK Frontend imports it by its fingerprinted name, which is
    // written into a copy of `web/src/nrm-start.mjs` here.
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it"));
    let start = out.join("nrm-start.mjs");
    let template = std::fs::read_to_string(web.join("src/nrm-start.mjs"))
        .expect("reading web/src/nrm-start.mjs");
    assert!(template.contains("GOVUK_FRONTEND_MODULE"));
    std::fs::write(
        &start,
        template.replace("GOVUK_FRONTEND_MODULE", &module_relative(&js.url)),
    )
    .expect("writing the start module");
    let own_start = Asset::hashed("nrm-start.mjs", &start);
    assets.extend([css, js, own_css, own_init, own_start]);

    let mut code = String::from("pub static ASSETS: &[Asset] = &[\n");
    for asset in &assets {
        writeln!(
            code,
            "    Asset {{ name: {:?}, url: {:?}, content_type: {:?}, immutable: {}, body: include_bytes!({:?}) }},",
            asset.name,
            asset.url,
            content_type(&asset.name),
            asset.immutable,
            asset.file.display().to_string(),
        )
        .expect("writing to a string");
    }
    code.push_str("];\n");
    std::fs::write(out.join("assets.rs"), code).expect("writing the asset table");
}

struct Asset {
    name: String,
    url: String,
    file: PathBuf,
    immutable: bool,
}

impl Asset {
    fn unhashed(name: &str, file: &Path, immutable: bool) -> Self {
        Self {
            name: name.to_owned(),
            url: format!("/assets/{name}"),
            file: file
                .canonicalize()
                .unwrap_or_else(|e| panic!("{}: {e}", file.display())),
            immutable,
        }
    }

    fn hashed(name: &str, file: &Path) -> Self {
        let bytes =
            std::fs::read(file).unwrap_or_else(|e| panic!("reading {}: {e}", file.display()));
        let digest = Sha256::digest(&bytes);
        let short: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
        let (stem, ext) = name.split_once('.').expect("asset names have an extension");
        Self {
            name: name.to_owned(),
            url: format!("/assets/{stem}-{short}.{ext}"),
            file: file
                .canonicalize()
                .unwrap_or_else(|e| panic!("{}: {e}", file.display())),
            immutable: true,
        }
    }
}

/// `/assets/x.js` as a path relative to another file in `/assets/`.
fn module_relative(url: &str) -> String {
    format!("./{}", url.trim_start_matches("/assets/"))
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("css") => "text/css; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("json") => "application/manifest+json",
        Some("woff2") => "font/woff2",
        Some("woff") => "font/woff",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        _ => "application/octet-stream",
    }
}

fn pinned_version(web: &Path) -> String {
    let text = std::fs::read_to_string(web.join("package.json"))
        .unwrap_or_else(|e| panic!("reading web/package.json: {e}"));
    // `"govuk-frontend": "6.6.0"`: an exact pin, never a range.
    let after = text
        .split("\"govuk-frontend\"")
        .nth(1)
        .expect("web/package.json names govuk-frontend");
    let version = after
        .split('"')
        .nth(1)
        .expect("govuk-frontend has a version")
        .to_owned();
    assert!(
        version.chars().all(|c| c.is_ascii_digit() || c == '.'),
        "govuk-frontend must be pinned to an exact version, not {version:?}"
    );
    version
}

fn installed_version(package: &Path) -> Option<String> {
    let text = std::fs::read_to_string(package.join("package.json")).ok()?;
    let after = text.split("\"version\"").nth(1)?;
    after.split('"').nth(1).map(str::to_owned)
}

fn install(web: &Path) {
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--ignore-scripts"])
        .current_dir(web)
        .status()
        .unwrap_or_else(|e| {
            panic!(
                "running `npm ci` in {}: {e} (is Node.js installed?)",
                web.display()
            )
        });
    assert!(status.success(), "`npm ci` in {} failed", web.display());
}
