//! The embedded assets: GOV.UK Frontend's files from the pinned package and NRM Digital's
//! own, each served at one URL. Fingerprinted files (and the package's fonts, whose names
//! carry its own content hash) are immutable and may be cached for a year.

/// One file served under `/assets/`.
#[derive(Debug)]
pub struct Asset {
    /// The name pages ask for (`govuk-frontend.min.css`, `images/favicon.svg`).
    pub name: &'static str,
    /// Where it is served.
    pub url: &'static str,
    pub content_type: &'static str,
    /// The URL changes whenever the content does.
    pub immutable: bool,
    pub body: &'static [u8],
}

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

/// The pinned GOV.UK Frontend version.
pub const GOVUK_FRONTEND_VERSION: &str = env!("GOVUK_FRONTEND_VERSION");

/// The asset served at `url`.
pub fn by_url(url: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|asset| asset.url == url)
}

/// The URL of the asset called `name`.
///
/// # Panics
/// When no asset has that name: the names are fixed at build time, so a page asking for one
/// that does not exist is a programming error that the page tests catch.
pub fn url(name: &str) -> &'static str {
    ASSETS
        .iter()
        .find(|asset| asset.name == name)
        .map(|asset| asset.url)
        .unwrap_or_else(|| panic!("no asset called {name}"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn stylesheet_and_scripts_are_fingerprinted_and_found_by_url() {
        for name in [
            "govuk-frontend.min.css",
            "govuk-frontend.min.js",
            "nrm.css",
            "nrm-init.js",
            "nrm-start.mjs",
        ] {
            let url = url(name);
            assert_ne!(url, format!("/assets/{name}"), "{name} has a fingerprint");
            let asset = by_url(url).expect("served");
            assert!(asset.immutable);
            assert!(!asset.body.is_empty());
        }
    }

    #[test]
    fn the_fonts_the_stylesheet_names_are_served_where_it_looks() {
        let css = std::str::from_utf8(by_url(url("govuk-frontend.min.css")).unwrap().body)
            .expect("utf-8");
        let mut found = 0;
        for piece in css.split("url(").skip(1) {
            let target = piece.split(')').next().unwrap().trim_matches(['"', '\'']);
            assert!(by_url(target).is_some(), "{target} is served");
            found += 1;
        }
        assert!(found >= 4, "the stylesheet names its fonts");
    }

    #[test]
    fn the_start_module_imports_the_fingerprinted_script() {
        let start = std::str::from_utf8(by_url(url("nrm-start.mjs")).unwrap().body).unwrap();
        let js = url("govuk-frontend.min.js").trim_start_matches("/assets/");
        assert!(start.contains(js), "{start}");
    }
}
