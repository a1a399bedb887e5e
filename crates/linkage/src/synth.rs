//! Synthetic people with duplicates and ground truth, for benchmarks (feature `synth`).
//!
//! People come in households: partners, children, siblings and twins share the family name
//! and the address and have close (or, for twins, equal) dates of birth. They are different
//! people, so precision is tested, not only recall; so are groups of unrelated people found
//! together at one address (each with a family name of their own, born within a few years of
//! each other, often with dates of birth assessed from their age). Each person has one or more records (one
//! per referral); every record after the first is a corrupted copy: typos by keyboard
//! distance, transliteration variants, short forms, given and family names swapped, middle
//! names added or dropped, dates of birth with day and month swapped, estimated (1 January),
//! mistyped or missing, moves to a new address, missing values.
//!
//! Names are drawn by origin with rank-frequency (Zipf) weights from lists typical of people
//! referred in the UK (British, Albanian, Vietnamese, Eritrean, Sudanese and other Arabic,
//! Romanian, Chinese, South Asian), with a long tail of generated rarer surnames. The variant
//! spellings are made mostly by rules (vowel, digraph and doubled-letter changes), not from
//! the matcher's name groups.

use crate::model::SplitMix;

/// One generated record.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SynthRecord {
    pub id: String,
    /// The ground truth: records of the same person share it.
    pub person: u32,
    pub given_names: String,
    pub family_name: String,
    pub date_of_birth: String,
    pub sex: String,
    pub address: String,
    pub town: String,
    pub postcode: String,
    pub region: String,
}

impl SynthRecord {
    /// The record as the engine reads it.
    pub fn as_record(&self) -> crate::data::Record<'_> {
        crate::data::Record {
            given_names: &self.given_names,
            family_name: &self.family_name,
            date_of_birth: &self.date_of_birth,
            sex: &self.sex,
            address: &self.address,
            town: &self.town,
            postcode: &self.postcode,
        }
    }
}

/// The finished dataset of `records`, in their order.
pub fn dataset(records: &[SynthRecord]) -> crate::data::Dataset {
    let mut ds = crate::data::Dataset::new();
    for r in records {
        ds.push(&r.as_record());
    }
    ds.finish();
    ds
}

struct Origin {
    weight: f64,
    male: &'static [&'static str],
    female: &'static [&'static str],
    family: &'static [&'static str],
    /// Syllables for the tail of rarer family names (empty: none).
    tail: &'static [&'static str],
    /// Share of family names from the tail.
    tail_share: f64,
    /// Given names of two parts (Vietnamese, Chinese), drawn from `male`/`female` twice.
    two_part_given: bool,
    /// How often the order of given and family names is confused.
    swap: f64,
}

const ORIGINS: &[Origin] = &[
    Origin {
        weight: 0.33,
        male: &[
            "James",
            "John",
            "David",
            "Michael",
            "Daniel",
            "Thomas",
            "Jack",
            "Oliver",
            "William",
            "Robert",
            "Paul",
            "Mark",
            "Andrew",
            "Richard",
            "Christopher",
            "Joshua",
            "Ryan",
            "Matthew",
            "Liam",
            "Connor",
            "Kyle",
            "Jordan",
            "Lewis",
            "Callum",
            "Harry",
            "George",
            "Samuel",
            "Joseph",
            "Stephen",
            "Peter",
            "Anthony",
            "Kevin",
            "Jamie",
            "Dean",
            "Lee",
            "Craig",
            "Scott",
            "Adam",
            "Nathan",
            "Luke",
            "Ben",
            "Alexander",
            "Charlie",
            "Tyler",
            "Reece",
            "Bradley",
            "Aaron",
            "Ethan",
            "Mason",
            "Jake",
        ],
        female: &[
            "Sarah",
            "Emma",
            "Laura",
            "Jessica",
            "Amy",
            "Rebecca",
            "Chloe",
            "Sophie",
            "Hannah",
            "Lauren",
            "Emily",
            "Charlotte",
            "Olivia",
            "Megan",
            "Katie",
            "Jade",
            "Danielle",
            "Leanne",
            "Gemma",
            "Stacey",
            "Nicola",
            "Kelly",
            "Michelle",
            "Lisa",
            "Claire",
            "Rachel",
            "Amber",
            "Courtney",
            "Shannon",
            "Paige",
            "Holly",
            "Ellie",
            "Grace",
            "Lucy",
            "Mia",
            "Jasmine",
            "Abigail",
            "Bethany",
            "Natalie",
            "Zoe",
            "Elizabeth",
            "Mary",
            "Catherine",
            "Margaret",
            "Victoria",
            "Samantha",
            "Kirsty",
            "Tracey",
            "Donna",
            "Kayleigh",
        ],
        family: &[
            "Smith",
            "Jones",
            "Williams",
            "Taylor",
            "Brown",
            "Davies",
            "Evans",
            "Wilson",
            "Thomas",
            "Johnson",
            "Roberts",
            "Robinson",
            "Thompson",
            "Wright",
            "Walker",
            "White",
            "Edwards",
            "Hughes",
            "Green",
            "Hall",
            "Lewis",
            "Harris",
            "Clarke",
            "Jackson",
            "Wood",
            "Turner",
            "Martin",
            "Cooper",
            "Hill",
            "Ward",
            "Morris",
            "Moore",
            "Clark",
            "Lee",
            "King",
            "Baker",
            "Harrison",
            "Morgan",
            "Allen",
            "James",
            "Scott",
            "Phillips",
            "Watson",
            "Davis",
            "Parker",
            "Price",
            "Bennett",
            "Young",
            "Griffiths",
            "Mitchell",
            "Kelly",
            "Cook",
            "Carter",
            "Richardson",
            "Bailey",
            "Collins",
            "Bell",
            "Shaw",
            "Murphy",
            "Miller",
            "Cox",
            "Richards",
            "Marshall",
            "Anderson",
            "Simpson",
            "Ellis",
            "Adams",
            "Wilkinson",
            "Foster",
            "Chapman",
            "Powell",
            "Webb",
            "Rogers",
            "Gray",
            "Mason",
            "Hunt",
            "Campbell",
            "Matthews",
            "Owen",
            "Palmer",
            "Holmes",
            "Mills",
            "Barnes",
            "Knight",
            "Lloyd",
            "Butler",
            "Russell",
            "Barker",
            "Fisher",
            "Stevens",
            "Jenkins",
            "Murray",
            "Dixon",
            "Harvey",
            "O'Brien",
            "McDonald",
            "O'Neill",
        ],
        tail: &[
            "ash", "black", "brad", "brook", "bur", "car", "chester", "cole", "dal", "dun", "ford",
            "gar", "green", "ham", "hart", "hay", "holt", "ing", "kings", "lang", "ley", "mar",
            "mor", "new", "north", "ridge", "shaw", "stan", "ton", "wood", "worth", "well", "wick",
            "field", "by", "man", "more", "son", "hurst", "den",
        ],
        tail_share: 0.8,
        two_part_given: false,
        swap: 0.02,
    },
    Origin {
        weight: 0.15,
        male: &[
            "Arben", "Besnik", "Erion", "Klevis", "Ardit", "Klodian", "Dritan", "Gentian",
            "Fatjon", "Ermal", "Endrit", "Artan", "Arjan", "Altin", "Elton", "Indrit", "Mario",
            "Kristian", "Redon", "Xhuljan", "Armando", "Eduart", "Ilir", "Blerim", "Agron",
            "Bujar", "Flamur", "Gezim", "Luan", "Petrit", "Sokol", "Valon", "Arlind", "Erald",
            "Jurgen", "Kevin", "Denis", "Marsel",
        ],
        female: &[
            "Elira", "Jonida", "Blerina", "Alketa", "Anjeza", "Besjana", "Dorina", "Ervisa",
            "Fjorela", "Klea", "Megi", "Sara", "Xhesika", "Ana", "Ledia", "Rozana", "Mirela",
            "Arta", "Valbona", "Drita", "Entela", "Greta", "Aurora", "Ornela",
        ],
        family: &[
            "Hoxha", "Shehu", "Dervishi", "Gashi", "Krasniqi", "Berisha", "Leka", "Kola", "Marku",
            "Cela", "Hasani", "Basha", "Dushku", "Ahmeti", "Lika", "Prifti", "Rama", "Meta",
            "Zeneli", "Muca", "Hysa", "Kastrati", "Hoti", "Gjoka", "Bajrami", "Mema", "Qosja",
            "Sula", "Xhafa", "Bushati", "Lleshi", "Duka", "Pjetri", "Tafa", "Veliu",
        ],
        tail: &[
            "al", "ba", "be", "ra", "mi", "ku", "ja", "ri", "lu", "do", "sha", "xhe", "gji", "ni",
            "ta", "ko", "ve", "le", "hi", "ma",
        ],
        tail_share: 0.6,
        two_part_given: false,
        swap: 0.04,
    },
    Origin {
        weight: 0.10,
        male: &[
            "Văn", "Minh", "Đức", "Thanh", "Tuấn", "Hùng", "Dũng", "Quang", "Huy", "Long", "Nam",
            "Hải", "Sơn", "Trung", "Phong", "Bảo", "Khánh", "Việt", "Cường", "Thắng", "Tiến",
            "Hiếu", "Hoàng", "Anh", "Tâm",
        ],
        female: &[
            "Thị", "Hoa", "Lan", "Linh", "Hương", "Mai", "Ngọc", "Trang", "Thu", "Hằng", "Phương",
            "Thảo", "Hà", "Nhung", "Yến", "Vy", "Anh", "My", "Hạnh", "Loan",
        ],
        family: &[
            "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi",
            "Đỗ", "Hồ", "Ngô", "Dương", "Lý",
        ],
        tail: &[],
        tail_share: 0.0,
        two_part_given: true,
        swap: 0.12,
    },
    Origin {
        weight: 0.08,
        male: &[
            "Tesfay", "Yonas", "Mehari", "Haile", "Berhane", "Kidane", "Filmon", "Dawit", "Samuel",
            "Yohannes", "Tekle", "Habte", "Measho", "Goitom", "Kibrom", "Mulugeta", "Robel",
            "Selam", "Tewelde", "Welde", "Amanuel", "Biniam", "Efrem", "Henok", "Mussie",
            "Natnael", "Semere", "Yemane", "Zerai", "Tsegay",
        ],
        female: &[
            "Selam", "Senait", "Meron", "Helen", "Saba", "Lidya", "Rahel", "Ruth", "Yordanos",
            "Feven", "Hiwet", "Mebrat", "Tsega", "Winta", "Eden", "Salem", "Freweini", "Hanna",
            "Abeba", "Luwam",
        ],
        family: &[
            "Tesfamariam",
            "Gebremedhin",
            "Haile",
            "Kidane",
            "Berhe",
            "Tekle",
            "Woldemichael",
            "Gebreyesus",
            "Tesfay",
            "Mehari",
            "Habtom",
            "Ghebremariam",
            "Araya",
            "Asmelash",
            "Weldegiorgis",
            "Tsegay",
            "Yemane",
            "Zerai",
            "Andemariam",
            "Okbay",
        ],
        tail: &[
            "gebre", "tesfa", "wolde", "habte", "kidane", "hagos", "mehari", "tekle", "mariam",
            "yesus", "michael", "giorgis", "selassie", "medhin",
        ],
        tail_share: 0.5,
        two_part_given: false,
        swap: 0.06,
    },
    Origin {
        weight: 0.10,
        male: &[
            "Mohammed",
            "Ahmed",
            "Abdullah",
            "Hassan",
            "Hussein",
            "Omar",
            "Yusuf",
            "Ibrahim",
            "Ali",
            "Osman",
            "Adam",
            "Ismail",
            "Khalid",
            "Mustafa",
            "Abdelrahman",
            "Yasir",
            "Mahmoud",
            "Salih",
            "Idris",
            "Musa",
            "Tariq",
            "Bilal",
            "Hamza",
            "Karim",
            "Nasser",
            "Said",
            "Saleh",
            "Younis",
            "Zakaria",
            "Amir",
        ],
        female: &[
            "Fatima", "Aisha", "Mariam", "Zainab", "Amina", "Khadija", "Hawa", "Safia", "Huda",
            "Nour", "Leila", "Samira", "Yasmin", "Rania", "Salma", "Asma", "Hiba", "Noor", "Maha",
            "Rasha",
        ],
        family: &[
            "Mohammed",
            "Ahmed",
            "Ibrahim",
            "Osman",
            "Adam",
            "Hassan",
            "Ali",
            "Abdalla",
            "Musa",
            "Yousif",
            "Abdelrahman",
            "Ismail",
            "Hussein",
            "Omer",
            "Suleiman",
            "Idris",
            "Elamin",
            "Babiker",
            "Mahmoud",
            "Khalil",
            "Haddad",
            "Saleh",
            "Yassin",
            "Hamid",
        ],
        tail: &[
            "abdel", "al", "ha", "mid", "sal", "ra", "man", "kar", "im", "ba", "sha", "fi", "qa",
            "sim", "ra", "zaq", "nur", "din",
        ],
        tail_share: 0.5,
        two_part_given: false,
        swap: 0.06,
    },
    Origin {
        weight: 0.07,
        male: &[
            "Ion",
            "Andrei",
            "Mihai",
            "Alexandru",
            "Gheorghe",
            "Vasile",
            "Florin",
            "Constantin",
            "Adrian",
            "Marius",
            "Cristian",
            "Daniel",
            "Ionut",
            "Nicolae",
            "Stefan",
            "Bogdan",
            "Catalin",
            "Gabriel",
            "Razvan",
            "Sorin",
        ],
        female: &[
            "Elena",
            "Maria",
            "Ioana",
            "Andreea",
            "Ana",
            "Mihaela",
            "Gabriela",
            "Alina",
            "Cristina",
            "Florentina",
            "Georgiana",
            "Roxana",
            "Nicoleta",
            "Daniela",
            "Simona",
        ],
        family: &[
            "Popescu",
            "Ionescu",
            "Popa",
            "Radu",
            "Dumitru",
            "Stan",
            "Stoica",
            "Gheorghe",
            "Matei",
            "Ciobanu",
            "Rusu",
            "Munteanu",
            "Constantin",
            "Marin",
            "Dinu",
            "Lazar",
            "Florea",
            "Moldovan",
            "Tudor",
            "Barbu",
        ],
        tail: &[
            "drag", "mir", "ves", "bal", "cost", "stoi", "nedel", "ior", "escu", "eanu", "oiu",
            "achi",
        ],
        tail_share: 0.6,
        two_part_given: false,
        swap: 0.03,
    },
    Origin {
        weight: 0.06,
        male: &[
            "Wei", "Jun", "Ming", "Hao", "Lei", "Jie", "Tao", "Qiang", "Yong", "Bo", "Jian",
            "Chao", "Peng", "Hui", "Long", "Feng", "Xin", "Yang", "Gang", "Bin",
        ],
        female: &[
            "Li", "Jing", "Yan", "Hui", "Xiu", "Mei", "Fang", "Na", "Lan", "Ying", "Xia", "Hong",
            "Yu", "Qing", "Ting", "Juan", "Min", "Xue", "Lin", "Hua",
        ],
        family: &[
            "Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu",
            "Sun", "Ma", "Zhu", "Hu", "Guo", "He", "Lin", "Gao", "Luo",
        ],
        tail: &[],
        tail_share: 0.0,
        two_part_given: true,
        swap: 0.12,
    },
    Origin {
        weight: 0.11,
        male: &[
            "Mohammed", "Ali", "Ahmed", "Imran", "Asif", "Tariq", "Arjun", "Rahul", "Amit",
            "Sanjay", "Harpreet", "Gurpreet", "Raj", "Vikram", "Abdul", "Bilal", "Usman", "Zain",
            "Faisal", "Kamran", "Rohan", "Sunil", "Manoj", "Deepak", "Nadeem",
        ],
        female: &[
            "Fatima", "Ayesha", "Priya", "Anjali", "Sana", "Nadia", "Shabana", "Rubina", "Parveen",
            "Sunita", "Pooja", "Neha", "Kiran", "Amandeep", "Samina", "Farah", "Rukhsana", "Nazia",
            "Sadia", "Shazia",
        ],
        family: &[
            "Khan",
            "Ali",
            "Hussain",
            "Ahmed",
            "Begum",
            "Patel",
            "Singh",
            "Akhtar",
            "Bibi",
            "Iqbal",
            "Shah",
            "Mahmood",
            "Kaur",
            "Sharma",
            "Kumar",
            "Rahman",
            "Islam",
            "Miah",
            "Chowdhury",
            "Malik",
            "Butt",
            "Qureshi",
            "Javed",
            "Aslam",
            "Uddin",
        ],
        tail: &[
            "ra", "jan", "pur", "wal", "ia", "deep", "kar", "ani", "esh", "war", "ji", "man",
            "ath", "it",
        ],
        tail_share: 0.25,
        two_part_given: false,
        swap: 0.04,
    },
];

/// The share of households that are groups of unrelated people found at one address
/// (about one person in nine is in such a group).
const CORESIDENT_SHARE: f64 = 0.07;

/// Towns with postcode areas and regions, roughly by population.
const TOWNS: &[(&str, &str, &str)] = &[
    ("London", "E", "London"),
    ("London", "N", "London"),
    ("London", "SE", "London"),
    ("London", "SW", "London"),
    ("London", "NW", "London"),
    ("London", "W", "London"),
    ("Birmingham", "B", "West Midlands"),
    ("Manchester", "M", "North West"),
    ("Leeds", "LS", "Yorkshire and the Humber"),
    ("Glasgow", "G", "Scotland"),
    ("Liverpool", "L", "North West"),
    ("Bristol", "BS", "South West"),
    ("Sheffield", "S", "Yorkshire and the Humber"),
    ("Bradford", "BD", "Yorkshire and the Humber"),
    ("Edinburgh", "EH", "Scotland"),
    ("Cardiff", "CF", "Wales"),
    ("Leicester", "LE", "East Midlands"),
    ("Coventry", "CV", "West Midlands"),
    ("Nottingham", "NG", "East Midlands"),
    ("Newcastle upon Tyne", "NE", "North East"),
    ("Stoke-on-Trent", "ST", "West Midlands"),
    ("Southampton", "SO", "South East"),
    ("Derby", "DE", "East Midlands"),
    ("Portsmouth", "PO", "South East"),
    ("Plymouth", "PL", "South West"),
    ("Wolverhampton", "WV", "West Midlands"),
    ("Luton", "LU", "East of England"),
    ("Reading", "RG", "South East"),
    ("Northampton", "NN", "East Midlands"),
    ("Peterborough", "PE", "East of England"),
    ("Hull", "HU", "Yorkshire and the Humber"),
    ("Middlesbrough", "TS", "North East"),
    ("Slough", "SL", "South East"),
    ("Bolton", "BL", "North West"),
    ("Oldham", "OL", "North West"),
    ("Preston", "PR", "North West"),
    ("Belfast", "BT", "Northern Ireland"),
    ("Swansea", "SA", "Wales"),
    ("Dover", "CT", "South East"),
    ("Croydon", "CR", "London"),
    ("Ilford", "IG", "London"),
    ("Romford", "RM", "London"),
    ("Watford", "WD", "East of England"),
    ("Chelmsford", "CM", "East of England"),
    ("Norwich", "NR", "East of England"),
    ("Exeter", "EX", "South West"),
    ("Aberdeen", "AB", "Scotland"),
    ("Dundee", "DD", "Scotland"),
    ("Wigan", "WN", "North West"),
    ("Huddersfield", "HD", "Yorkshire and the Humber"),
];

const STREETS: &[&str] = &[
    "High",
    "Station",
    "Church",
    "Victoria",
    "Park",
    "Green",
    "Manor",
    "Queens",
    "Kings",
    "New",
    "Mill",
    "School",
    "London",
    "Grange",
    "Albert",
    "Windsor",
    "York",
    "Alexandra",
    "George",
    "North",
    "South",
    "West",
    "Springfield",
    "Highfield",
    "Chester",
    "Main",
    "Broad",
    "Market",
    "Castle",
    "Bridge",
    "Orchard",
    "Meadow",
    "Elm",
    "Oak",
    "Cedar",
    "Willow",
    "Beech",
    "Ash",
    "Birch",
    "Holly",
    "Rose",
    "Stanley",
    "Richmond",
    "Cambridge",
    "Oxford",
    "Clarence",
    "Denmark",
    "Hamilton",
    "Wellington",
    "Nelson",
    "Balmoral",
    "Derby",
    "Moor",
    "Hill",
    "Valley",
    "Forest",
    "Brook",
    "Lake",
    "River",
    "Canal",
];
const STREET_TYPES: &[&str] = &[
    "Road", "Street", "Lane", "Avenue", "Close", "Drive", "Way", "Court", "Gardens", "Crescent",
    "Place", "Terrace", "Grove",
];
const LETTERS: &[u8] = b"ABDEFGHJLNPQRSTUWXYZ";

/// QWERTY neighbours, for typos by keyboard distance.
fn neighbours(c: char) -> &'static str {
    match c.to_ascii_lowercase() {
        'q' => "wa",
        'w' => "qes",
        'e' => "wrd",
        'r' => "etf",
        't' => "ryg",
        'y' => "tuh",
        'u' => "yij",
        'i' => "uok",
        'o' => "ipl",
        'p' => "ol",
        'a' => "qsz",
        's' => "awdz",
        'd' => "sefx",
        'f' => "drgc",
        'g' => "fthv",
        'h' => "gyjb",
        'j' => "hukn",
        'k' => "jilm",
        'l' => "kop",
        'z' => "asx",
        'x' => "zsdc",
        'c' => "xdfv",
        'v' => "cfgb",
        'b' => "vghn",
        'n' => "bhjm",
        'm' => "njk",
        _ => "",
    }
}

/// Transliteration-style variants made by rule: vowels and digraphs that romanisations of
/// one name disagree on, doubled letters, accents dropped.
const RULES: &[(&str, &str)] = &[
    ("ou", "u"),
    ("u", "ou"),
    ("oo", "u"),
    ("ee", "i"),
    ("i", "ee"),
    ("e", "a"),
    ("a", "e"),
    ("o", "u"),
    ("u", "o"),
    ("y", "i"),
    ("i", "y"),
    ("ie", "y"),
    ("kh", "h"),
    ("h", "kh"),
    ("dh", "d"),
    ("th", "t"),
    ("ph", "f"),
    ("f", "ph"),
    ("c", "k"),
    ("k", "c"),
    ("q", "k"),
    ("j", "y"),
    ("y", "j"),
    ("w", "v"),
    ("v", "w"),
    ("ss", "s"),
    ("s", "ss"),
    ("mm", "m"),
    ("m", "mm"),
    ("ll", "l"),
    ("l", "ll"),
    ("dd", "d"),
    ("tt", "t"),
    ("x", "ks"),
    ("z", "s"),
    ("ei", "ai"),
    ("ai", "ay"),
    ("ay", "ai"),
    ("gh", "g"),
    ("g", "gh"),
    ("sh", "sch"),
];

/// A few whole-name variants that rules cannot make.
const VARIANTS: &[&[&str]] = &[
    &[
        "Mohammed", "Muhammad", "Mohamed", "Mohammad", "Mohamad", "Muhammed",
    ],
    &["Yusuf", "Yousef", "Youssef", "Yousif", "Jusuf"],
    &["Hussein", "Husain", "Hussain", "Hossain", "Husayn"],
    &["Abdelrahman", "Abdulrahman", "Abdel Rahman", "Abd Elrahman"],
    &["Omar", "Umar", "Omer"],
    &["Osman", "Othman", "Usman", "Uthman"],
    &["Tesfay", "Tesfaye", "Tesfai"],
    &["Yohannes", "Yohanes", "Johannes"],
    &["Gebremedhin", "Ghebremedhin", "Gebre Medhin"],
    &["Woldemichael", "Weldemichael", "Wolde Michael"],
    &["Abdalla", "Abdallah", "Abdullah"],
    &["Yousif", "Yusuf", "Youssef"],
    &["Zhang", "Chang", "Cheung"],
    &["Chen", "Chan"],
    &["Zhou", "Chow"],
    &["Huang", "Wong"],
    &["Xu", "Hsu"],
    &["Liu", "Lau"],
    &["Wu", "Ng"],
];

const NICKNAMES: &[(&str, &str)] = &[
    ("James", "Jim"),
    ("William", "Bill"),
    ("Robert", "Bob"),
    ("Thomas", "Tom"),
    ("Michael", "Mike"),
    ("Christopher", "Chris"),
    ("Joseph", "Joe"),
    ("Daniel", "Dan"),
    ("Samuel", "Sam"),
    ("Alexander", "Alex"),
    ("Matthew", "Matt"),
    ("Elizabeth", "Liz"),
    ("Rebecca", "Becky"),
    ("Catherine", "Kate"),
    ("Margaret", "Maggie"),
    ("Victoria", "Vicky"),
    ("Samantha", "Sam"),
    ("Jessica", "Jess"),
    ("Nicola", "Nicky"),
    ("Abigail", "Abby"),
    ("Andrew", "Andy"),
    ("Anthony", "Tony"),
    ("Richard", "Rich"),
    ("Stephen", "Steve"),
    ("Joshua", "Josh"),
    ("Benjamin", "Ben"),
    ("Nathan", "Nat"),
    ("Charlotte", "Charlie"),
];

/// The generator.
#[derive(Debug)]
pub struct Generator {
    rng: SplitMix,
    next_person: u32,
    next_record: u64,
}

#[derive(Clone)]
struct Person {
    origin: usize,
    given: String,
    family: String,
    dob: (u16, u8, u8),
    male: bool,
    home: Home,
}

#[derive(Clone)]
struct Home {
    address: String,
    town: &'static str,
    postcode: String,
    region: &'static str,
}

impl Generator {
    pub fn new(seed: u64) -> Generator {
        Generator {
            rng: SplitMix(seed),
            next_person: 0,
            next_record: 0,
        }
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.unit() < p
    }

    fn pick<'a, T>(&mut self, list: &'a [T]) -> &'a T {
        &list[self.rng.below(list.len())]
    }

    /// Rank-frequency (Zipf, exponent 0.8) pick: the first of 50 names about 8 %, the first
    /// ten together about 40 %.
    fn zipf<'a, T>(&mut self, list: &'a [T]) -> &'a T {
        let weight = |r: usize| 1.0 / ((r + 1) as f64).powf(0.8);
        let total: f64 = (0..list.len()).map(weight).sum();
        let mut x = self.rng.unit() * total;
        for (r, item) in list.iter().enumerate() {
            x -= weight(r);
            if x < 0.0 {
                return item;
            }
        }
        &list[list.len() - 1]
    }

    fn origin(&mut self) -> usize {
        let mut x = self.rng.unit() * ORIGINS.iter().map(|o| o.weight).sum::<f64>();
        for (i, o) in ORIGINS.iter().enumerate() {
            x -= o.weight;
            if x < 0.0 {
                return i;
            }
        }
        ORIGINS.len() - 1
    }

    fn given(&mut self, origin: usize, male: bool) -> String {
        let o = &ORIGINS[origin];
        let list = if male { o.male } else { o.female };
        if o.two_part_given {
            let first = *self.zipf(list);
            let mut second = *self.pick(list);
            while second == first {
                second = *self.pick(list);
            }
            format!("{first} {second}")
        } else if self.chance(0.2) {
            format!("{} {}", self.zipf(list), self.pick(list))
        } else {
            (*self.zipf(list)).to_owned()
        }
    }

    fn family(&mut self, origin: usize) -> String {
        let o = &ORIGINS[origin];
        if !o.tail.is_empty() && self.chance(o.tail_share) {
            let parts = 2 + usize::from(self.chance(0.3));
            let mut s = String::new();
            for _ in 0..parts {
                let part = self.pick::<&str>(o.tail);
                s.push_str(part);
            }
            capitalise(&s)
        } else {
            (*self.zipf(o.family)).to_owned()
        }
    }

    fn home(&mut self) -> Home {
        let (town, area, region) = *self.zipf(TOWNS);
        let flat = if self.chance(0.25) {
            format!("Flat {}, ", 1 + self.rng.below(30))
        } else {
            String::new()
        };
        let address = format!(
            "{flat}{} {} {}",
            1 + self.rng.below(250),
            self.pick(STREETS),
            self.pick(STREET_TYPES)
        );
        let postcode = format!(
            "{area}{} {}{}{}",
            1 + self.rng.below(28),
            self.rng.below(10),
            *self.pick(LETTERS) as char,
            *self.pick(LETTERS) as char
        );
        Home {
            address,
            town,
            postcode,
            region,
        }
    }

    fn dob_near(&mut self, year: u16, spread: u16) -> (u16, u8, u8) {
        let y = year + self.rng.below(usize::from(2 * spread) + 1) as u16 - spread;
        (
            y,
            1 + self.rng.below(12) as u8,
            1 + self.rng.below(28) as u8,
        )
    }

    /// One household's people: a first adult, then partner, children, siblings and twins
    /// sharing the family name and address; or, one time in [`CORESIDENT_SHARE`], a group of
    /// unrelated people found at one address ([`Generator::coresidents`]).
    fn household(&mut self) -> Vec<Person> {
        if self.chance(CORESIDENT_SHARE) {
            return self.coresidents();
        }
        let origin = self.origin();
        let home = self.home();
        let family = self.family(origin);
        let year = 1955 + self.rng.below(50) as u16;
        let male = self.chance(0.6);
        let first = Person {
            origin,
            given: self.given(origin, male),
            family: family.clone(),
            dob: self.dob_near(year, 0),
            male,
            home,
        };
        let size = match self.rng.below(100) {
            0..=59 => 1,
            60..=74 => 2,
            75..=86 => 3,
            87..=94 => 4,
            _ => 5,
        };
        let mut people = vec![first.clone()];
        while people.len() < size {
            let male = self.chance(0.5);
            let mut p = first.clone();
            p.male = male;
            match self.rng.below(10) {
                // A sibling or cousin; one in twenty a twin (same date of birth).
                0..=4 => {
                    if self.chance(0.9) {
                        p.dob = self.dob_near(first.dob.0, 6);
                    }
                }
                // A child.
                5..=7 => p.dob = self.dob_near(first.dob.0 + 25, 7),
                // A partner, sometimes with another family name.
                _ => {
                    p.dob = self.dob_near(first.dob.0, 5);
                    if self.chance(0.5) {
                        p.family = self.family(origin);
                    }
                }
            }
            // Relatives do not share a given name (for two-part Vietnamese and Chinese given
            // names, the last part: brothers may all be Văn).
            let two_part = ORIGINS[origin].two_part_given;
            let names = |g: &str| -> Vec<String> {
                if two_part {
                    g.rsplit(' ').take(1).map(str::to_owned).collect()
                } else {
                    g.split(' ').map(str::to_owned).collect()
                }
            };
            for _ in 0..50 {
                p.given = self.given(origin, male);
                let mine = names(&p.given);
                if people
                    .iter()
                    .all(|q| names(&q.given).iter().all(|n| !mine.contains(n)))
                {
                    break;
                }
            }
            people.push(p);
        }
        people
    }

    /// Unrelated people found together at one address (several people referred from one
    /// house, a farm or a nail bar): two to six, each with a family name of their own, mostly
    /// of one origin and often of one sex, born within a few years of each other, and in
    /// some groups with dates of birth assessed from their age (1 January of the year).
    fn coresidents(&mut self) -> Vec<Person> {
        let size = match self.rng.below(100) {
            0..=34 => 2,
            35..=59 => 3,
            60..=79 => 4,
            80..=91 => 5,
            _ => 6,
        };
        let origin = self.origin();
        let home = self.home();
        let year = 1970 + self.rng.below(36) as u16;
        let sex = self.chance(0.65).then(|| self.chance(0.6));
        let assessed = if self.chance(0.4) { 0.7 } else { 0.1 };
        let mut people: Vec<Person> = Vec::with_capacity(size);
        while people.len() < size {
            let origin = if self.chance(0.75) {
                origin
            } else {
                self.origin()
            };
            let male = sex.unwrap_or_else(|| self.chance(0.5));
            let mut dob = self.dob_near(year, 4);
            if self.chance(assessed) {
                dob = (dob.0, 1, 1);
            }
            let family = self.family(origin);
            let given = self.given(origin, male);
            people.push(Person {
                origin,
                given,
                family,
                dob,
                male,
                home: home.clone(),
            });
        }
        people
    }

    /// The records of the next household (its people with all their records), appended to
    /// `out`; returns how many people it had.
    pub fn next_household(&mut self, out: &mut Vec<SynthRecord>) -> usize {
        let people = self.household();
        for p in &people {
            let person = self.next_person;
            self.next_person += 1;
            let copies = match self.rng.below(100) {
                0..=54 => 1,
                55..=79 => 2,
                80..=91 => 3,
                92..=96 => 4,
                _ => 5,
            };
            for k in 0..copies {
                let r = self.record(p, person, k > 0);
                out.push(r);
            }
        }
        people.len()
    }

    fn record(&mut self, p: &Person, person: u32, corrupt: bool) -> SynthRecord {
        self.next_record += 1;
        let o = &ORIGINS[p.origin];
        let mut given = p.given.clone();
        let mut family = p.family.clone();
        let (mut y, mut m, mut d) = p.dob;
        let mut home = p.home.clone();
        let mut dob_missing = self.chance(0.04);
        let mut address_missing = self.chance(0.12);
        let mut sex = if p.male { "M" } else { "F" }.to_owned();
        if corrupt {
            given = self.corrupt_name(&given, true);
            family = self.corrupt_name(&family, false);
            if self.chance(0.02) {
                given.clear();
            }
            if self.chance(0.02) {
                family.clear();
            }
            if self.chance(o.swap) {
                std::mem::swap(&mut given, &mut family);
            }
            match self.rng.below(100) {
                0..=4 if d <= 12 => std::mem::swap(&mut m, &mut d),
                5..=12 => {
                    m = 1;
                    d = 1;
                    if self.chance(0.3) {
                        y = y + 1 - self.rng.below(3) as u16;
                    }
                }
                13..=19 => {
                    // One digit mistyped.
                    match self.rng.below(3) {
                        0 => d = 1 + self.rng.below(28) as u8,
                        1 => m = 1 + self.rng.below(12) as u8,
                        _ => y = y - y % 10 + self.rng.below(10) as u16,
                    }
                }
                20..=22 => y = y + 1 - 2 * self.rng.below(2) as u16,
                23..=28 => dob_missing = true,
                _ => {}
            }
            if self.chance(0.4) {
                home = self.home();
            } else {
                if self.chance(0.08) {
                    home.address = self.typo(&home.address);
                }
                if self.chance(0.1) {
                    home.postcode.clear();
                }
            }
            address_missing = self.chance(0.15);
            if self.chance(0.08) {
                sex.clear();
            } else if self.chance(0.01) {
                sex = if p.male { "F" } else { "M" }.to_owned();
            }
        }
        if address_missing {
            home.address.clear();
            home.postcode.clear();
            if self.chance(0.5) {
                home.town = "";
            }
        }
        SynthRecord {
            id: format!("r{}", self.next_record),
            person,
            given_names: given,
            family_name: family,
            date_of_birth: if dob_missing {
                String::new()
            } else if self.chance(0.5) {
                format!("{y:04}-{m:02}-{d:02}")
            } else {
                format!("{y:04}{m:02}{d:02}")
            },
            sex,
            address: home.address,
            town: home.town.to_owned(),
            postcode: home.postcode,
            region: home.region.to_owned(),
        }
    }

    fn corrupt_name(&mut self, name: &str, given: bool) -> String {
        let mut s = name.to_owned();
        if self.chance(0.10) {
            s = self.variant(&s);
        }
        if given
            && self.chance(0.05)
            && let Some((_, short)) = NICKNAMES.iter().find(|(full, _)| s == *full)
        {
            s = (*short).to_owned();
        }
        if given && self.chance(0.06) {
            // A middle name dropped or the names written as one.
            if let Some((first, _)) = s.split_once(' ') {
                s = if self.chance(0.7) {
                    first.to_owned()
                } else {
                    s.replace(' ', "")
                };
            }
        }
        if self.chance(0.12) {
            s = self.typo(&s);
        }
        if self.chance(0.2) {
            s = strip_accents(&s);
        }
        if self.chance(0.1) {
            s = s.to_uppercase();
        }
        s
    }

    fn variant(&mut self, name: &str) -> String {
        if let Some(group) = VARIANTS.iter().find(|g| g.contains(&name))
            && self.chance(0.6)
        {
            return (*self.pick(group)).to_owned();
        }
        let lower = strip_accents(name).to_lowercase();
        for _ in 0..6 {
            let (from, to) = *self.pick(RULES);
            let positions: Vec<usize> = lower.match_indices(from).map(|(i, _)| i).collect();
            if positions.is_empty() {
                continue;
            }
            let at = *self.pick(&positions);
            let changed = format!("{}{}{}", &lower[..at], to, &lower[at + from.len()..]);
            return capitalise(&changed);
        }
        name.to_owned()
    }

    /// One keyboard typo: a neighbouring key instead, a letter dropped, a neighbour added, or
    /// two letters swapped.
    fn typo(&mut self, s: &str) -> String {
        let mut chars: Vec<char> = s.chars().collect();
        let letters: Vec<usize> = (0..chars.len())
            .filter(|&i| chars[i].is_alphabetic())
            .collect();
        if letters.len() < 3 {
            return s.to_owned();
        }
        // Rarely the first letter.
        let at = letters[1 + self.rng.below(letters.len() - 1)];
        let upper = chars[at].is_uppercase();
        let near = neighbours(chars[at]);
        let neighbour = |c: char| if upper { c.to_ascii_uppercase() } else { c };
        match self.rng.below(100) {
            0..=49 if !near.is_empty() => {
                let c = near.as_bytes()[self.rng.below(near.len())] as char;
                chars[at] = neighbour(c);
            }
            50..=69 => {
                chars.remove(at);
            }
            70..=84 if !near.is_empty() => {
                let c = near.as_bytes()[self.rng.below(near.len())] as char;
                chars.insert(at, neighbour(c).to_ascii_lowercase());
            }
            _ if at + 1 < chars.len() => chars.swap(at, at + 1),
            _ => {
                chars.remove(at);
            }
        }
        chars.into_iter().collect()
    }
}

fn capitalise(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut start = true;
    for c in s.chars() {
        if start {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        start = c == ' ' || c == '-';
    }
    out
}

fn strip_accents(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .map(|c| match c {
            'đ' => 'd',
            'Đ' => 'D',
            c => c,
        })
        .collect()
}

/// Pairwise precision, recall and F1 of a clustering against the truth (both given as a
/// label per record).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scores {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub true_pairs: u64,
    pub predicted_pairs: u64,
}

pub fn pairwise_scores<A: std::hash::Hash + Eq + Clone, B: std::hash::Hash + Eq + Clone>(
    predicted: &[A],
    truth: &[B],
) -> Scores {
    use rustc_hash::FxHashMap;
    let pairs =
        |counts: &mut dyn Iterator<Item = u64>| counts.map(|c| c * (c.max(1) - 1) / 2).sum::<u64>();
    let mut p: FxHashMap<&A, u64> = FxHashMap::default();
    let mut t: FxHashMap<&B, u64> = FxHashMap::default();
    let mut both: FxHashMap<(&A, &B), u64> = FxHashMap::default();
    for (a, b) in predicted.iter().zip(truth) {
        *p.entry(a).or_default() += 1;
        *t.entry(b).or_default() += 1;
        *both.entry((a, b)).or_default() += 1;
    }
    let predicted_pairs = pairs(&mut p.values().copied());
    let true_pairs = pairs(&mut t.values().copied());
    let agreed = pairs(&mut both.values().copied());
    let precision = if predicted_pairs == 0 {
        1.0
    } else {
        agreed as f64 / predicted_pairs as f64
    };
    let recall = if true_pairs == 0 {
        1.0
    } else {
        agreed as f64 / true_pairs as f64
    };
    let f1 = if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    };
    Scores {
        precision,
        recall,
        f1,
        true_pairs,
        predicted_pairs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn households_have_records_and_truth() {
        let mut g = Generator::new(7);
        let mut out = Vec::new();
        let mut people = 0;
        while people < 2000 {
            people += g.next_household(&mut out);
        }
        assert!(out.len() > people, "duplicates are generated");
        let persons: std::collections::HashSet<u32> = out.iter().map(|r| r.person).collect();
        assert_eq!(persons.len(), people);
        // Some records of one person differ from the first (corrupted copies).
        let differing = out
            .windows(2)
            .filter(|w| w[0].person == w[1].person && w[0].given_names != w[1].given_names)
            .count();
        assert!(differing > 0);
        // Repeatable from the seed.
        let mut again = Vec::new();
        let mut g2 = Generator::new(7);
        while again.len() < out.len() {
            g2.next_household(&mut again);
        }
        assert_eq!(again[..100], out[..100]);
    }

    #[test]
    fn some_unrelated_people_share_an_address() {
        let mut g = Generator::new(7);
        let mut out = Vec::new();
        let mut people = 0;
        while people < 5000 {
            people += g.next_household(&mut out);
        }
        // First records (the person's own address) of different people at one address
        // under different family names, some with dates of birth estimated.
        let mut first: std::collections::HashMap<u32, &SynthRecord> = Default::default();
        for r in &out {
            first.entry(r.person).or_insert(r);
        }
        let mut at: std::collections::HashMap<&str, Vec<&SynthRecord>> = Default::default();
        for r in first.values().filter(|r| !r.address.is_empty()) {
            at.entry(r.address.as_str()).or_default().push(r);
        }
        let (mut unrelated, mut estimated) = (0, 0);
        for group in at.values() {
            for (k, a) in group.iter().enumerate() {
                for b in &group[k + 1..] {
                    if a.postcode == b.postcode && a.family_name != b.family_name {
                        unrelated += 1;
                        let jan = |d: &str| d.ends_with("0101") || d.ends_with("01-01");
                        estimated += usize::from(jan(&a.date_of_birth) || jan(&b.date_of_birth));
                    }
                }
            }
        }
        assert!(unrelated > 200 && estimated > 20, "{unrelated} {estimated}");
    }

    #[test]
    fn pairwise_scores_of_known_clusterings() {
        let truth = [1, 1, 1, 2, 2, 3];
        assert_eq!(pairwise_scores(&truth, &truth).f1, 1.0);
        let predicted = [1, 1, 9, 2, 2, 2];
        let s = pairwise_scores(&predicted, &truth);
        // Predicted pairs: (0,1), (3,4), (3,5), (4,5); true: (0,1), (0,2), (1,2), (3,4).
        assert_eq!((s.predicted_pairs, s.true_pairs), (4, 4));
        assert!((s.precision - 0.5).abs() < 1e-12);
        assert!((s.recall - 0.5).abs() < 1e-12);
    }
}
