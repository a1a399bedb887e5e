//! The official tables, counted from facts. Counting only: no suppression, no rounding, no
//! formats (see `disclosure`, `csv`, `ods`). Each table's definition is in its `definition`
//! and in `docs/statistics.md`.

use chrono::NaiveDate;
use nrm_domain::event::{CompetentAuthority, DisqualificationGround, Outcome};
use nrm_domain::exploitation::{ExploitationType, LocationClass};
use nrm_domain::geography::{Country, PoliceForceArea, UkNation};
use nrm_domain::submission::{AgeAtExploitation, FirstResponderType, Gender};
use serde::Serialize;

use crate::facts::{DecisionFact, Fact, Kind, Nationality, Stage};
use crate::period::Period;

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ColumnKind {
    /// A count.
    Count,
    /// The sum of the row's `Count` columns.
    Total,
    /// Column `numerator` as a whole percentage of column `denominator` (computed from the
    /// published counts, so never finer than they are).
    Percent {
        numerator: usize,
        denominator: usize,
    },
    /// The median of a number of days, over the cases counted in column `count`.
    MedianDays { count: usize },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Column {
    pub heading: String,
    #[serde(flatten)]
    pub kind: ColumnKind,
}

/// One cell before disclosure control.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Cell {
    Count(u64),
    /// A median number of days; `None` when nothing was counted.
    Days(Option<f64>),
    /// Worked out from other cells (a percentage).
    Derived,
}

impl Cell {
    pub fn count(self) -> Option<u64> {
        match self {
            Self::Count(n) => Some(n),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    pub label: String,
    pub cells: Vec<Cell>,
}

/// One table: a row per category, a column per measure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table {
    /// A stable short name (`referrals_by_gender`): file and sheet names.
    pub id: String,
    pub title: String,
    /// What is counted, as at which date, and which date decides the period.
    pub definition: String,
    pub row_heading: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
    /// The last row is the total of the rows above it in every count column. Without it the
    /// rows overlap (one case can be in several) and are not added up.
    pub total_row: bool,
}

impl Table {
    /// The count in row `r`, column `c`, if that cell is a count.
    pub fn count(&self, r: usize, c: usize) -> Option<u64> {
        self.rows.get(r)?.cells.get(c)?.count()
    }
}

/// Every table for one period, as the case file stood at the end of `as_at`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tables {
    pub period: Period,
    pub as_at: NaiveDate,
    /// The facts counted (cases referred or reported by `as_at`).
    pub cases: u64,
    pub tables: Vec<Table>,
}

/// How the tables are built.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// How many nationalities get a row of their own; the rest are grouped.
    pub top_nationalities: usize,
    /// A country's name for row labels (the code when it returns `None`).
    pub country_name: fn(&str) -> Option<&'static str>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            top_nationalities: 10,
            country_name: |_| None,
        }
    }
}

pub fn age_label(a: AgeAtExploitation) -> &'static str {
    match a {
        AgeAtExploitation::Adult => "Adult (18 or over)",
        AgeAtExploitation::Child => "Child (17 or under)",
        AgeAtExploitation::NotKnown => "Age not specified or unknown",
    }
}

const AGES: [AgeAtExploitation; 3] = [
    AgeAtExploitation::Adult,
    AgeAtExploitation::Child,
    AgeAtExploitation::NotKnown,
];

pub fn gender_label(g: Gender) -> &'static str {
    match g {
        Gender::Female => "Female",
        Gender::Male => "Male",
        Gender::Other => "Other",
        Gender::NotKnown => "Not specified or unknown",
    }
}

const GENDERS: [Gender; 4] = [
    Gender::Female,
    Gender::Male,
    Gender::Other,
    Gender::NotKnown,
];

pub fn type_label(t: ExploitationType) -> &'static str {
    match t {
        ExploitationType::Labour => "Labour",
        ExploitationType::Sexual => "Sexual",
        ExploitationType::Criminal => "Criminal",
        ExploitationType::DomesticServitude => "Domestic servitude",
        ExploitationType::OrganHarvesting => "Organ harvesting",
        ExploitationType::Other => "Other",
        ExploitationType::NotKnown => "Not specified or unknown",
    }
}

/// The bulletins' "combined" group: more than one type reported.
pub const COMBINED: &str = "Combined (more than one type)";
pub const COUNTY_LINES: &str = "of which: county lines";

pub fn location_label(l: LocationClass) -> &'static str {
    match l {
        LocationClass::UkOnly => "UK only",
        LocationClass::OverseasOnly => "Overseas only",
        LocationClass::UkAndOverseas => "UK and overseas",
        LocationClass::NotSpecified => "Not specified",
    }
}

const LOCATIONS: [LocationClass; 4] = [
    LocationClass::UkOnly,
    LocationClass::OverseasOnly,
    LocationClass::UkAndOverseas,
    LocationClass::NotSpecified,
];

pub fn responder_label(t: FirstResponderType) -> &'static str {
    match t {
        FirstResponderType::Police => "Police",
        FirstResponderType::LocalAuthority => "Local authority",
        FirstResponderType::GovernmentAgency => "Government agency",
        FirstResponderType::NonGovernmentalOrganisation => "Non-governmental organisation",
    }
}

const RESPONDERS: [FirstResponderType; 4] = [
    FirstResponderType::GovernmentAgency,
    FirstResponderType::LocalAuthority,
    FirstResponderType::Police,
    FirstResponderType::NonGovernmentalOrganisation,
];

pub fn authority_label(a: CompetentAuthority) -> &'static str {
    match a {
        CompetentAuthority::Sca => "Single Competent Authority",
        CompetentAuthority::Ieca => "Immigration Enforcement Competent Authority",
        CompetentAuthority::LocalAuthorityPanel => "Devolved child decision-making pilot panel",
    }
}

const AUTHORITIES: [CompetentAuthority; 3] = [
    CompetentAuthority::Sca,
    CompetentAuthority::Ieca,
    CompetentAuthority::LocalAuthorityPanel,
];

pub fn nation_label(n: UkNation) -> &'static str {
    match n {
        UkNation::England => "England",
        UkNation::Wales => "Wales",
        UkNation::Scotland => "Scotland",
        UkNation::NorthernIreland => "Northern Ireland",
    }
}

const NATIONS: [UkNation; 4] = [
    UkNation::England,
    UkNation::Wales,
    UkNation::Scotland,
    UkNation::NorthernIreland,
];

pub const NOT_IN_UK: &str = "Not specified or outside the UK";
pub const OTHER_NATIONALITIES: &str = "Other nationalities";
pub const MULTIPLE_NATIONALITIES: &str = "Dual or multiple nationalities";
pub const NATIONALITY_NOT_KNOWN: &str = "Not specified or unknown";
pub const TOTAL: &str = "Total";

/// A breakdown: the categories of a table's rows, each case in exactly one.
enum Dim {
    Age,
    Gender,
    Nationality(Vec<Country>),
    Exploitation,
    Location,
    Responder,
    Authority,
    Nation,
    PoliceForceArea(Vec<PoliceForceArea>),
}

impl Dim {
    fn heading(&self) -> &'static str {
        match self {
            Self::Age => "Age group at exploitation",
            Self::Gender => "Gender",
            Self::Nationality(_) => "Nationality",
            Self::Exploitation => "Exploitation type",
            Self::Location => "Location of exploitation",
            Self::Responder => "First Responder Organisation type",
            Self::Authority => "Competent authority",
            Self::Nation => "UK nation of exploitation",
            Self::PoliceForceArea(_) => "Police force area of exploitation",
        }
    }

    fn slug(&self) -> &'static str {
        match self {
            Self::Age => "age",
            Self::Gender => "gender",
            Self::Nationality(_) => "nationality",
            Self::Exploitation => "exploitation",
            Self::Location => "location",
            Self::Responder => "first_responder",
            Self::Authority => "authority",
            Self::Nation => "nation",
            Self::PoliceForceArea(_) => "police_force_area",
        }
    }

    fn labels(&self, options: &Options) -> Vec<String> {
        let s = |v: &str| v.to_owned();
        match self {
            Self::Age => AGES.iter().map(|a| s(age_label(*a))).collect(),
            Self::Gender => GENDERS.iter().map(|g| s(gender_label(*g))).collect(),
            Self::Nationality(top) => top
                .iter()
                .map(|c| {
                    let code = c.code();
                    (options.country_name)(&code).map_or(code, str::to_owned)
                })
                .chain([
                    s(OTHER_NATIONALITIES),
                    s(MULTIPLE_NATIONALITIES),
                    s(NATIONALITY_NOT_KNOWN),
                ])
                .collect(),
            Self::Exploitation => ExploitationType::ALL
                .iter()
                .map(|t| s(type_label(*t)))
                .chain([s(COMBINED)])
                .collect(),
            Self::Location => LOCATIONS.iter().map(|l| s(location_label(*l))).collect(),
            Self::Responder => RESPONDERS.iter().map(|r| s(responder_label(*r))).collect(),
            Self::Authority => AUTHORITIES.iter().map(|a| s(authority_label(*a))).collect(),
            Self::Nation => NATIONS
                .iter()
                .map(|n| s(nation_label(*n)))
                .chain([s(NOT_IN_UK)])
                .collect(),
            Self::PoliceForceArea(areas) => areas
                .iter()
                .map(|a| s(a.name()))
                .chain([s(NOT_IN_UK)])
                .collect(),
        }
    }

    /// The row of a case (for decision tables, `authority` is the one that decided).
    fn index(&self, f: &Fact, authority: Option<CompetentAuthority>) -> usize {
        let pos = |found: Option<usize>, otherwise: usize| found.unwrap_or(otherwise);
        match self {
            Self::Age => pos(AGES.iter().position(|a| *a == f.age), 2),
            Self::Gender => pos(GENDERS.iter().position(|g| *g == f.gender), 3),
            Self::Nationality(top) => match f.nationality {
                Nationality::Single(c) => pos(top.iter().position(|t| *t == c), top.len()),
                Nationality::Multiple => top.len() + 1,
                Nationality::NotKnown => top.len() + 2,
            },
            Self::Exploitation => match f.exploitation.single() {
                Some(t) => pos(ExploitationType::ALL.iter().position(|a| *a == t), 6),
                None if f.exploitation.is_empty() => 6,
                None => ExploitationType::ALL.len(),
            },
            Self::Location => pos(LOCATIONS.iter().position(|l| *l == f.location), 3),
            Self::Responder => pos(RESPONDERS.iter().position(|r| *r == f.first_responder), 0),
            Self::Authority => {
                let a = authority.or(f.authority).unwrap_or(CompetentAuthority::Sca);
                pos(AUTHORITIES.iter().position(|x| *x == a), 0)
            }
            Self::Nation => match f.nation {
                Some(n) => pos(NATIONS.iter().position(|x| *x == n), 4),
                None => 4,
            },
            Self::PoliceForceArea(areas) => match f.police_force_area {
                Some(a) => pos(areas.iter().position(|x| *x == a), areas.len()),
                None => areas.len(),
            },
        }
    }
}

/// The `n` most common single nationalities among `facts` (ties by code).
fn top_nationalities<'a>(facts: impl Iterator<Item = &'a Fact>, n: usize) -> Vec<Country> {
    let mut counts: std::collections::HashMap<Country, u64> = std::collections::HashMap::new();
    for f in facts {
        if let Nationality::Single(c) = f.nationality {
            *counts.entry(c).or_default() += 1;
        }
    }
    let mut all: Vec<(Country, u64)> = counts.into_iter().collect();
    all.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    all.into_iter().take(n).map(|(c, _)| c).collect()
}

fn count_column(heading: &str) -> Column {
    Column {
        heading: heading.to_owned(),
        kind: ColumnKind::Count,
    }
}

fn total_column() -> Column {
    Column {
        heading: TOTAL.to_owned(),
        kind: ColumnKind::Total,
    }
}

/// Rows of counts with the total column and total row filled in.
fn grid(labels: Vec<String>, counts: Vec<Vec<u64>>, with_total_column: bool) -> Vec<Row> {
    let width = counts.first().map_or(0, Vec::len);
    let mut totals = vec![0u64; width + usize::from(with_total_column)];
    let mut rows: Vec<Row> = labels
        .into_iter()
        .zip(counts)
        .map(|(label, mut cells)| {
            if with_total_column {
                cells.push(cells.iter().sum());
            }
            for (t, c) in totals.iter_mut().zip(&cells) {
                *t += c;
            }
            Row {
                label,
                cells: cells.into_iter().map(Cell::Count).collect(),
            }
        })
        .collect();
    rows.push(Row {
        label: TOTAL.to_owned(),
        cells: totals.into_iter().map(Cell::Count).collect(),
    });
    rows
}

struct Builder<'a> {
    period: Period,
    /// The period's first and last days, worked out once.
    days: Days,
    as_at: NaiveDate,
    options: Options,
    /// Only the facts with a date in the period (see [`build`]).
    facts: &'a [&'a Fact],
    tables: Vec<Table>,
}

/// A period's first and last days.
#[derive(Debug, Clone, Copy)]
struct Days {
    start: NaiveDate,
    end: NaiveDate,
}

impl Days {
    fn contains(self, day: NaiveDate) -> bool {
        self.start <= day && day <= self.end
    }

    /// Whether any date a table counts by falls in these days: a fact with none is in no
    /// table of the period.
    fn touch(self, f: &Fact) -> bool {
        counting_days(f).any(|day| self.contains(day))
    }
}

/// Every day a table may count `f` by: its referral, its decisions, its reconsiderations'
/// requests and decisions, its disqualifications. [`touches`] and [`span`] both read this one
/// list, so a fact's kept span can never leave out a day a table counts it by.
fn counting_days(f: &Fact) -> impl Iterator<Item = NaiveDate> + '_ {
    std::iter::once(f.referred_on)
        .chain(f.decisions.iter().map(|d| d.decided_on))
        .chain(
            f.reconsiderations
                .iter()
                .flat_map(|r| std::iter::once(r.requested_on).chain(r.decided.map(|(on, _)| on))),
        )
        .chain(f.disqualifications.iter().map(|d| d.decided_on))
}

/// The earliest and the latest day any table counts `f` by: a fact whose span does not meet a
/// period is in none of its tables ([`touches`] is false), so a store may keep the span beside
/// the fact and hand back only the facts whose span meets the period asked for.
pub fn span(f: &Fact) -> (NaiveDate, NaiveDate) {
    counting_days(f).fold((f.referred_on, f.referred_on), |(from, to), day| {
        (from.min(day), to.max(day))
    })
}

/// Every quarter in which any table counts `f` ([`Period::quarter_number`]s, ascending, each
/// once): a fact is in the tables of a quarter, or of a year, only if one of that period's
/// quarters is among these, so a store may keep them beside the fact and hand back only the
/// facts of the quarters asked for.
pub fn quarters(f: &Fact) -> Vec<i32> {
    let mut quarters: Vec<i32> = counting_days(f).map(Period::quarter_number).collect();
    quarters.sort_unstable();
    quarters.dedup();
    quarters
}

impl Builder<'_> {
    fn when(&self) -> String {
        format!(
            "{} ({} to {}), as the case file stood at the end of {}",
            self.period.describe(),
            self.period.start(),
            self.period.end(),
            self.as_at
        )
    }

    fn cohort(&self, kind: Kind) -> impl Iterator<Item = &Fact> {
        let period = self.days;
        self.facts
            .iter()
            .copied()
            .filter(move |f| f.kind == kind && period.contains(f.referred_on))
    }

    /// Cases of `kind` in the period by `dim` (rows) and age group (columns).
    fn by_age(&mut self, kind: Kind, dim: Dim) {
        let labels = dim.labels(&self.options);
        let mut counts = vec![vec![0u64; AGES.len()]; labels.len()];
        for f in self.cohort(kind) {
            let age = AGES.iter().position(|a| *a == f.age).unwrap_or(2);
            counts[dim.index(f, None)][age] += 1;
        }
        let (noun, prefix, date) = match kind {
            Kind::Referral => ("NRM referrals", "referrals", "the date of referral"),
            Kind::DutyToNotify => (
                "Duty to Notify reports",
                "duty_to_notify",
                "the date of the report",
            ),
        };
        let mut columns: Vec<Column> = AGES.iter().map(|a| count_column(age_label(*a))).collect();
        columns.push(total_column());
        let extra = match dim {
            Dim::Nationality(_) => format!(
                " The {} most common nationalities have a row each; people with more than one nationality are counted once, in their own row.",
                self.options.top_nationalities
            ),
            Dim::Exploitation => " A person is counted once: under the one type reported, or as combined when more than one was.".to_owned(),
            Dim::PoliceForceArea(_) | Dim::Nation => " A person is counted once, under the first police force area named where they were exploited (or the first UK nation named when no area was).".to_owned(),
            Dim::Authority => " The competent authority the referral was first routed to.".to_owned(),
            _ => String::new(),
        };
        self.tables.push(Table {
            id: format!("{prefix}_by_{}", dim.slug()),
            title: format!(
                "{noun} by {} and age group at exploitation, {}",
                dim.heading().to_lowercase(),
                self.period.describe()
            ),
            definition: format!(
                "{noun} whose {date} falls in {}. Age group at the time of exploitation.{extra}",
                self.when()
            ),
            row_heading: dim.heading().to_owned(),
            columns,
            rows: grid(labels, counts, true),
            total_row: true,
        });
    }

    /// Each exploitation type reported (a person can be in several rows), and county lines.
    fn types_reported(&mut self, kind: Kind) {
        let mut counts = vec![vec![0u64; AGES.len()]; ExploitationType::ALL.len() + 1];
        for f in self.cohort(kind) {
            let age = AGES.iter().position(|a| *a == f.age).unwrap_or(2);
            for (i, t) in ExploitationType::ALL.iter().enumerate() {
                if f.exploitation.contains(*t) {
                    counts[i][age] += 1;
                }
            }
            if f.county_lines {
                counts[ExploitationType::ALL.len()][age] += 1;
            }
        }
        let labels: Vec<String> = ExploitationType::ALL
            .iter()
            .map(|t| type_label(*t).to_owned())
            .chain([COUNTY_LINES.to_owned()])
            .collect();
        let mut rows = grid(labels, counts, true);
        rows.pop();
        let (noun, prefix) = match kind {
            Kind::Referral => ("NRM referrals", "referrals"),
            Kind::DutyToNotify => ("Duty to Notify reports", "duty_to_notify"),
        };
        let mut columns: Vec<Column> = AGES.iter().map(|a| count_column(age_label(*a))).collect();
        columns.push(total_column());
        self.tables.push(Table {
            id: format!("{prefix}_types_reported"),
            title: format!("{noun} by each exploitation type reported, {}", self.period.describe()),
            definition: format!(
                "{noun} in {}, counted once under every exploitation type reported, so the rows overlap and have no total. County lines is a kind of criminal exploitation.",
                self.when()
            ),
            row_heading: "Exploitation type".to_owned(),
            columns,
            rows,
            total_row: false,
        });
    }

    fn decisions(&self, stage: Stage) -> impl Iterator<Item = (&Fact, &DecisionFact)> {
        let period = self.days;
        self.facts.iter().copied().flat_map(move |f| {
            f.decisions
                .iter()
                .filter(move |d| d.stage == stage && period.contains(d.decided_on))
                .map(move |d| (f, d))
        })
    }

    fn stage_names(stage: Stage) -> (&'static str, &'static str) {
        match stage {
            Stage::ReasonableGrounds => ("Reasonable Grounds", "rg"),
            Stage::ConclusiveGrounds => ("Conclusive Grounds", "cg"),
        }
    }

    fn outcome_columns() -> Vec<Column> {
        vec![
            count_column("Positive"),
            count_column("Negative"),
            total_column(),
            Column {
                heading: "Positive (%)".to_owned(),
                kind: ColumnKind::Percent {
                    numerator: 0,
                    denominator: 2,
                },
            },
        ]
    }

    fn with_rate(rows: Vec<Row>) -> Vec<Row> {
        rows.into_iter()
            .map(|mut r| {
                r.cells.push(Cell::Derived);
                r
            })
            .collect()
    }

    /// Decisions at `stage` made in the period, by `dim` and outcome.
    fn decided_by(&mut self, stage: Stage, dim: Dim) {
        let labels = dim.labels(&self.options);
        let mut counts = vec![vec![0u64; 2]; labels.len()];
        for (f, d) in self.decisions(stage) {
            let o = usize::from(d.outcome == Outcome::Negative);
            counts[dim.index(f, Some(d.authority))][o] += 1;
        }
        let (name, slug) = Self::stage_names(stage);
        let extra = match dim {
            Dim::Authority => " By the competent authority that made the decision.",
            Dim::Nationality(_) => {
                " The most common nationalities among these decisions have a row each."
            }
            _ => "",
        };
        self.tables.push(Table {
            id: format!("{slug}_decisions_by_{}", dim.slug()),
            title: format!("{name} decisions by {} and outcome, {}", dim.heading().to_lowercase(), self.period.describe()),
            definition: format!(
                "{name} decisions whose decision date falls in {}, whenever the case was referred (so not the decisions on that period's referrals). A decision later reconsidered counts, as does the new decision; a negative decision its review referred back before it was served was never issued and does not.{extra}",
                self.when()
            ),
            row_heading: dim.heading().to_owned(),
            columns: Self::outcome_columns(),
            rows: Self::with_rate(grid(labels, counts, true)),
            total_row: true,
        });
    }

    /// Median days from referral to the first RG and to the first CG decision.
    fn time_to_decision(&mut self) {
        let mut days: Vec<[Vec<i64>; 2]> = vec![[Vec::new(), Vec::new()]; AUTHORITIES.len() + 1];
        for (s, stage) in [Stage::ReasonableGrounds, Stage::ConclusiveGrounds]
            .into_iter()
            .enumerate()
        {
            for (f, d) in self.decisions(stage) {
                if !d.first {
                    continue;
                }
                let n = (d.decided_on - f.referred_on).num_days();
                let a = AUTHORITIES
                    .iter()
                    .position(|x| *x == d.authority)
                    .unwrap_or(0);
                days[a][s].push(n);
                days[AUTHORITIES.len()][s].push(n);
            }
        }
        let rows = days
            .into_iter()
            .enumerate()
            .map(|(i, [rg, cg])| Row {
                label: AUTHORITIES
                    .get(i)
                    .map_or(TOTAL, |a| authority_label(*a))
                    .to_owned(),
                cells: vec![
                    Cell::Count(rg.len() as u64),
                    Cell::Days(median(rg)),
                    Cell::Count(cg.len() as u64),
                    Cell::Days(median(cg)),
                ],
            })
            .collect();
        self.tables.push(Table {
            id: "median_days_to_decision".to_owned(),
            title: format!("Median days from referral to first decision, {}", self.period.describe()),
            definition: format!(
                "First Reasonable Grounds and first Conclusive Grounds decisions on a case whose decision date falls in {}; days counted from the date of referral to the date of the decision (calendar days). By the competent authority that made the decision.",
                self.when()
            ),
            row_heading: "Competent authority".to_owned(),
            columns: vec![
                count_column("Reasonable Grounds decisions"),
                Column { heading: "Reasonable Grounds: median days".to_owned(), kind: ColumnKind::MedianDays { count: 0 } },
                count_column("Conclusive Grounds decisions"),
                Column { heading: "Conclusive Grounds: median days".to_owned(), kind: ColumnKind::MedianDays { count: 2 } },
            ],
            rows,
            total_row: true,
        });
    }

    fn pilot_panels(&mut self) {
        let mut counts = vec![vec![0u64; 2]; 2];
        for (s, stage) in [Stage::ReasonableGrounds, Stage::ConclusiveGrounds]
            .into_iter()
            .enumerate()
        {
            for (_, d) in self.decisions(stage) {
                if d.authority == CompetentAuthority::LocalAuthorityPanel {
                    counts[s][usize::from(d.outcome == Outcome::Negative)] += 1;
                }
            }
        }
        let mut rows = grid(
            vec![
                "Reasonable Grounds".to_owned(),
                "Conclusive Grounds".to_owned(),
            ],
            counts,
            true,
        );
        rows.pop();
        self.tables.push(Table {
            id: "pilot_panel_decisions".to_owned(),
            title: format!("Decisions by devolved child decision-making pilot panels, {}", self.period.describe()),
            definition: format!(
                "Reasonable and Conclusive Grounds decisions made by a local-authority pilot panel, whose decision date falls in {}.",
                self.when()
            ),
            row_heading: "Decision".to_owned(),
            columns: Self::outcome_columns(),
            rows: Self::with_rate(rows),
            total_row: false,
        });
    }

    fn reconsiderations(&mut self) {
        let mut counts = vec![vec![0u64; 3]; 2];
        let period = self.days;
        for f in self.facts {
            for r in &f.reconsiderations {
                let s = usize::from(r.stage == Stage::ConclusiveGrounds);
                if period.contains(r.requested_on) {
                    counts[s][0] += 1;
                }
                if let Some((on, accepted)) = r.decided
                    && period.contains(on)
                {
                    counts[s][if accepted { 1 } else { 2 }] += 1;
                }
            }
        }
        self.tables.push(Table {
            id: "reconsiderations".to_owned(),
            title: format!("Reconsideration requests and decisions, {}", self.period.describe()),
            definition: format!(
                "Requests to reconsider a Reasonable or Conclusive Grounds decision made in {w} (by the date of the request), and reconsiderations decided in it (by the date of that decision). The requests and the decisions are different cohorts and do not add up.",
                w = self.when()
            ),
            row_heading: "Decision reconsidered".to_owned(),
            columns: vec![
                count_column("Requested"),
                count_column("Accepted"),
                count_column("Not accepted"),
            ],
            rows: grid(
                vec!["Reasonable Grounds".to_owned(), "Conclusive Grounds".to_owned()],
                counts,
                false,
            ),
            total_row: true,
        });
    }

    fn disqualifications(&mut self) {
        let mut counts = vec![vec![0u64; AUTHORITIES.len()]; 2];
        let period = self.days;
        for f in self.facts {
            for d in &f.disqualifications {
                if period.contains(d.decided_on) {
                    let g = usize::from(d.ground == DisqualificationGround::BadFaith);
                    let a = AUTHORITIES
                        .iter()
                        .position(|x| *x == d.authority)
                        .unwrap_or(0);
                    counts[g][a] += 1;
                }
            }
        }
        let mut columns: Vec<Column> = AUTHORITIES
            .iter()
            .map(|a| count_column(authority_label(*a)))
            .collect();
        columns.push(total_column());
        self.tables.push(Table {
            id: "disqualifications".to_owned(),
            title: format!("Public order and bad faith disqualifications, {}", self.period.describe()),
            definition: format!(
                "Disqualifications from protection (Nationality and Borders Act 2022 section 63) whose decision date falls in {}, by ground and by the competent authority that made them. One set aside by its review is not counted.",
                self.when()
            ),
            row_heading: "Ground".to_owned(),
            columns,
            rows: grid(
                vec!["Public order".to_owned(), "Bad faith".to_owned()],
                counts,
                true,
            ),
            total_row: true,
        });
    }
}

/// The median of whole numbers (the mean of the middle two for an even count).
pub fn median(mut values: Vec<i64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[mid] as f64
    } else {
        (values[mid - 1] + values[mid]) as f64 / 2.0
    })
}

/// Whether `fact` has a date in `period` that a table counts by (its referral, a decision, a
/// reconsideration request or decision, a disqualification): one with none is in none of the
/// period's tables, so a caller may leave it out before [`build`].
pub fn touches(period: Period, fact: &Fact) -> bool {
    Days {
        start: period.start(),
        end: period.end(),
    }
    .touch(fact)
}

/// Every table for `period`, from the facts of the case file as at `as_at`.
pub fn build(facts: &[Fact], period: Period, as_at: NaiveDate, options: Options) -> Tables {
    let days = Days {
        start: period.start(),
        end: period.end(),
    };
    // Every table counts by a date in the period: the facts with none are set aside once
    // instead of being passed over by every table.
    let touching: Vec<&Fact> = facts.iter().filter(|f| days.touch(f)).collect();
    let mut b = Builder {
        period,
        days,
        as_at,
        options,
        facts: &touching,
        tables: Vec::new(),
    };
    let referral_top = top_nationalities(b.cohort(Kind::Referral), options.top_nationalities);
    let dtn_top = top_nationalities(b.cohort(Kind::DutyToNotify), options.top_nationalities);
    let mut areas: Vec<PoliceForceArea> = PoliceForceArea::all().collect();
    areas.sort_by_key(|a| a.name());

    b.by_age(Kind::Referral, Dim::Gender);
    b.by_age(Kind::Referral, Dim::Nationality(referral_top));
    b.by_age(Kind::Referral, Dim::Exploitation);
    b.types_reported(Kind::Referral);
    b.by_age(Kind::Referral, Dim::Location);
    b.by_age(Kind::Referral, Dim::Responder);
    b.by_age(Kind::Referral, Dim::Authority);
    b.by_age(Kind::Referral, Dim::Nation);
    b.by_age(Kind::Referral, Dim::PoliceForceArea(areas));

    b.by_age(Kind::DutyToNotify, Dim::Gender);
    b.by_age(Kind::DutyToNotify, Dim::Nationality(dtn_top));
    b.by_age(Kind::DutyToNotify, Dim::Exploitation);
    b.types_reported(Kind::DutyToNotify);
    b.by_age(Kind::DutyToNotify, Dim::Responder);

    for stage in [Stage::ReasonableGrounds, Stage::ConclusiveGrounds] {
        let top = top_nationalities(
            b.decisions(stage).map(|(f, _)| f),
            options.top_nationalities,
        );
        for dim in [
            Dim::Authority,
            Dim::Age,
            Dim::Gender,
            Dim::Nationality(top),
            Dim::Exploitation,
        ] {
            b.decided_by(stage, dim);
        }
    }
    b.time_to_decision();
    b.pilot_panels();
    b.reconsiderations();
    b.disqualifications();

    Tables {
        period,
        as_at,
        cases: facts.len() as u64,
        tables: b.tables,
    }
}
