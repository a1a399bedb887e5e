//! The engine end to end on generated people: clusters against the truth, intake matching,
//! keyed blocking tokens.

use nrm_linkage::synth::{Generator, SynthRecord, pairwise_scores};
use nrm_linkage::{Blocker, Dataset, Index, Record, Settings, dedupe, fit};

fn people(n: usize, seed: u64) -> Vec<SynthRecord> {
    let mut g = Generator::new(seed);
    let mut out = Vec::new();
    let mut made = 0;
    while made < n {
        made += g.next_household(&mut out);
    }
    out
}

fn view(r: &SynthRecord) -> Record<'_> {
    Record {
        given_names: &r.given_names,
        family_name: &r.family_name,
        date_of_birth: &r.date_of_birth,
        sex: &r.sex,
        address: &r.address,
        town: &r.town,
        postcode: &r.postcode,
    }
}

fn dataset(records: &[SynthRecord]) -> Dataset {
    let mut ds = Dataset::new();
    for r in records {
        ds.push(&view(r));
    }
    ds.finish();
    ds
}

#[test]
fn dedupe_finds_most_duplicates_and_few_false_links() {
    let records = people(4000, 3);
    let ds = dataset(&records);
    let out = dedupe(&ds, &Settings::default(), None, &mut |_| {});
    let truth: Vec<u32> = records.iter().map(|r| r.person).collect();
    let s = pairwise_scores(&out.cluster, &truth);
    assert!(s.precision > 0.85 && s.recall > 0.75, "{s:?}");
    // Every record has a cluster, and a cluster is named by its first record.
    assert_eq!(out.cluster.len(), records.len());
    assert!(
        out.cluster
            .iter()
            .enumerate()
            .all(|(i, c)| *c as usize <= i)
    );
    assert!(out.model.household < 0.0 && out.model.twins <= 0.0);
}

#[test]
fn a_compacted_dataset_links_the_same_and_takes_more_records_as_before() {
    let records = people(1500, 11);
    let whole = dataset(&records);
    let mut compacted = dataset(&records);
    compacted.compact();
    let settings = Settings::default();
    let a = dedupe(&whole, &settings, None, &mut |_| {});
    let b = dedupe(&compacted, &settings, None, &mut |_| {});
    assert_eq!(a.cluster, b.cluster);
    assert_eq!(a.pairs.len(), b.pairs.len());

    // Records added after `compact` find the same tokens and counts as records added before.
    let (first, rest) = records.split_at(records.len() / 2);
    let mut grown = dataset(first);
    grown.compact();
    for r in rest {
        grown.push(&view(r));
    }
    grown.finish();
    let c = dedupe(&grown, &settings, None, &mut |_| {});
    assert_eq!(a.cluster, c.cluster);
    let blocker = Blocker::unkeyed();
    for i in (0..records.len() as u32).step_by(97) {
        assert_eq!(blocker.tokens(&whole, i), blocker.tokens(&grown, i));
    }
}

#[test]
fn intake_finds_the_earlier_referral_and_not_a_stranger() {
    let records = people(3000, 5);
    let ds = dataset(&records);
    let model = fit(&ds, &Settings::default(), &mut |_| {}).model;
    let mut index = Index::new(ds, model, Blocker::keyed(b"test key"));
    let earlier = records
        .iter()
        .position(|r| !r.given_names.is_empty() && !r.date_of_birth.is_empty())
        .unwrap_or(0);
    let e = &records[earlier];
    // The same person again: family name in capitals, given name misspelt, moved house.
    let family = e.family_name.to_uppercase();
    let mut given = e.given_names.clone();
    given.push('h');
    let again = Record {
        given_names: &given,
        family_name: &family,
        date_of_birth: &e.date_of_birth,
        sex: &e.sex,
        address: "Flat 2, 9 Quayside Walk",
        town: "Grimsby",
        postcode: "DN31 1AA",
    };
    let (_, matches) = index.add(&again, 0.5);
    let best = matches.first().map(|m| records[m.record as usize].person);
    assert_eq!(best, Some(e.person), "{matches:?}");
    let stranger = Record {
        given_names: "Zebedee",
        family_name: "Quatermain-Oyelaran",
        date_of_birth: "1931-12-30",
        sex: "M",
        address: "1 Nowhere Lane",
        town: "Lerwick",
        postcode: "ZE1 0AA",
    };
    let (_, matches) = index.add(&stranger, 0.5);
    assert!(matches.is_empty(), "{matches:?}");
}

#[test]
fn keyed_tokens_depend_on_the_key_and_nothing_else() {
    let records = people(50, 11);
    let ds = dataset(&records);
    let a = Blocker::keyed(b"key one");
    let b = Blocker::keyed(b"key two");
    let plain = Blocker::unkeyed();
    let ta = a.tokens(&ds, 0);
    assert_eq!(ta, Blocker::keyed(b"key one").tokens(&ds, 0), "stable");
    assert_ne!(ta, b.tokens(&ds, 0));
    assert_ne!(ta, plain.tokens(&ds, 0));
    // Records with the same blocking values share the token under the same key.
    let mut two = Dataset::new();
    let r = view(&records[0]);
    two.push(&r);
    two.push(&r);
    assert_eq!(a.tokens(&two, 0), a.tokens(&two, 1));
}
