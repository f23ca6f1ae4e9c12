//! Language names to ISO 639-1 codes, and a small guess at the language of a text.
//!
//! [`language_code`] knows the English names of about 100 languages, a few common
//! alternative names ("Farsi", "Mandarin", "Serbo-Croatian" → "sh"), the ISO 639-1
//! codes themselves, the ISO 639-2 (bibliographic and terminology) codes and some
//! endonyms ("Deutsch", "Русский", "Français", "Español"); [`language_name`] goes back.
//!
//! [`detect_language`] looks at the first 20 KB only. It decides by script first
//! (Cyrillic, Han/kana, Hangul, Arabic, Hebrew, Greek, Georgian, Armenian, some Indic
//! and South-East Asian scripts), then, for Latin script, by counting common function
//! words of 15 languages, each word weighted by how many of those languages share it.
//! It says `None` for fewer than three words or when no language clearly wins.

use std::collections::HashMap;
use std::sync::LazyLock;

/// "Russian", "russian", "ru", "rus", "Русский" → "ru".
pub fn language_code(name: &str) -> Option<&'static str> {
    let key = name.trim().to_lowercase();
    if key.is_empty() {
        return None;
    }
    NAME_INDEX.get(key.as_str()).copied()
}

/// "ru" (or anything [`language_code`] understands) → "Russian".
pub fn language_name(code: &str) -> Option<&'static str> {
    let code = language_code(code)?;
    LANGUAGES.iter().find(|l| l.0 == code).map(|l| l.1)
}

/// The ISO 639-1 code of the language `text` is most likely written in.
pub fn detect_language(text: &str) -> Option<&'static str> {
    let text = prefix(text, MAX_BYTES);
    let counts = ScriptCounts::of(text);
    if counts.words < 3 {
        return None;
    }
    if let Some(code) = counts.by_script() {
        return Some(code);
    }
    if counts.latin * 2 < counts.letters {
        return None;
    }
    by_stopwords(text)
}

/// (ISO 639-1, English name, other names and codes, all lower case).
type Language = (&'static str, &'static str, &'static [&'static str]);

const LANGUAGES: &[Language] = &[
    ("af", "Afrikaans", &["afr"]),
    ("sq", "Albanian", &["sqi", "alb", "shqip"]),
    ("am", "Amharic", &["amh"]),
    ("ar", "Arabic", &["ara", "العربية"]),
    ("hy", "Armenian", &["hye", "arm"]),
    ("az", "Azerbaijani", &["aze", "azeri"]),
    ("eu", "Basque", &["eus", "baq", "euskara"]),
    ("be", "Belarusian", &["bel", "byelorussian", "belorussian", "беларуская"]),
    ("bn", "Bengali", &["ben", "bangla"]),
    ("bs", "Bosnian", &["bos"]),
    ("br", "Breton", &["bre"]),
    ("bg", "Bulgarian", &["bul", "български"]),
    ("my", "Burmese", &["mya", "bur", "myanmar"]),
    ("ca", "Catalan", &["cat", "català", "valencian"]),
    ("zh", "Chinese", &["zho", "chi", "mandarin", "cantonese", "中文", "汉语", "漢語"]),
    ("hr", "Croatian", &["hrv", "hrvatski"]),
    ("cs", "Czech", &["ces", "cze", "čeština"]),
    ("da", "Danish", &["dan", "dansk"]),
    ("nl", "Dutch", &["nld", "dut", "flemish", "nederlands"]),
    ("en", "English", &["eng"]),
    ("eo", "Esperanto", &["epo"]),
    ("et", "Estonian", &["est", "eesti"]),
    ("fo", "Faroese", &["fao"]),
    ("fi", "Finnish", &["fin", "suomi"]),
    ("fr", "French", &["fra", "fre", "français", "francais"]),
    ("gl", "Galician", &["glg", "galego"]),
    ("ka", "Georgian", &["kat", "geo", "ქართული"]),
    ("de", "German", &["deu", "ger", "deutsch"]),
    ("el", "Greek", &["ell", "gre", "modern greek", "ελληνικά"]),
    ("gu", "Gujarati", &["guj"]),
    ("ha", "Hausa", &["hau"]),
    ("he", "Hebrew", &["heb", "עברית"]),
    ("hi", "Hindi", &["hin", "हिन्दी"]),
    ("hu", "Hungarian", &["hun", "magyar"]),
    ("is", "Icelandic", &["isl", "ice"]),
    ("id", "Indonesian", &["ind", "bahasa indonesia"]),
    ("ga", "Irish", &["gle", "irish gaelic", "gaeilge"]),
    ("it", "Italian", &["ita", "italiano"]),
    ("ja", "Japanese", &["jpn", "日本語"]),
    ("kn", "Kannada", &["kan"]),
    ("kk", "Kazakh", &["kaz", "қазақ"]),
    ("km", "Khmer", &["khm", "cambodian"]),
    ("ko", "Korean", &["kor", "한국어"]),
    ("ku", "Kurdish", &["kur"]),
    ("ky", "Kyrgyz", &["kir", "kirghiz"]),
    ("lo", "Lao", &["lao", "laotian"]),
    ("la", "Latin", &["lat"]),
    ("lv", "Latvian", &["lav", "latviešu"]),
    ("lt", "Lithuanian", &["lit", "lietuvių"]),
    ("lb", "Luxembourgish", &["ltz"]),
    ("mk", "Macedonian", &["mkd", "mac", "македонски"]),
    ("ms", "Malay", &["msa", "may"]),
    ("ml", "Malayalam", &["mal"]),
    ("mt", "Maltese", &["mlt"]),
    ("mr", "Marathi", &["mar"]),
    ("mn", "Mongolian", &["mon", "монгол"]),
    ("ne", "Nepali", &["nep"]),
    ("no", "Norwegian", &["nor", "norsk", "bokmål", "nynorsk", "nob", "nno"]),
    ("ps", "Pashto", &["pus"]),
    ("fa", "Persian", &["fas", "per", "farsi", "فارسی"]),
    ("pl", "Polish", &["pol", "polski"]),
    ("pt", "Portuguese", &["por", "português", "portugues"]),
    ("pa", "Punjabi", &["pan", "panjabi"]),
    ("ro", "Romanian", &["ron", "rum", "moldovan", "română"]),
    ("ru", "Russian", &["rus", "русский", "русский язык"]),
    ("gd", "Scottish Gaelic", &["gla", "gaelic"]),
    ("sr", "Serbian", &["srp", "српски", "srpski"]),
    ("sh", "Serbo-Croatian", &["hbs", "serbo-croat", "serbocroatian", "srpskohrvatski"]),
    ("si", "Sinhala", &["sin", "sinhalese"]),
    ("sk", "Slovak", &["slk", "slo", "slovenčina"]),
    ("sl", "Slovenian", &["slv", "slovene", "slovenščina"]),
    ("so", "Somali", &["som"]),
    ("es", "Spanish", &["spa", "español", "espanol", "castilian", "castellano"]),
    ("sw", "Swahili", &["swa", "kiswahili"]),
    ("sv", "Swedish", &["swe", "svenska"]),
    ("tl", "Tagalog", &["tgl", "filipino"]),
    ("tg", "Tajik", &["tgk", "tadjik"]),
    ("ta", "Tamil", &["tam"]),
    ("te", "Telugu", &["tel"]),
    ("th", "Thai", &["tha"]),
    ("bo", "Tibetan", &["bod", "tib"]),
    ("ti", "Tigrinya", &["tir"]),
    ("tr", "Turkish", &["tur", "türkçe"]),
    ("tk", "Turkmen", &["tuk"]),
    ("uk", "Ukrainian", &["ukr", "українська"]),
    ("ur", "Urdu", &["urd", "اردو"]),
    ("ug", "Uyghur", &["uig", "uighur"]),
    ("uz", "Uzbek", &["uzb", "oʻzbek"]),
    ("vi", "Vietnamese", &["vie", "tiếng việt"]),
    ("cy", "Welsh", &["cym", "wel", "cymraeg"]),
    ("yi", "Yiddish", &["yid"]),
    ("yo", "Yoruba", &["yor"]),
    ("zu", "Zulu", &["zul"]),
    ("xh", "Xhosa", &["xho"]),
];

/// Every accepted spelling (lower case) → ISO 639-1 code.
static NAME_INDEX: LazyLock<HashMap<String, &'static str>> = LazyLock::new(|| {
    let mut index = HashMap::new();
    for &(code, name, others) in LANGUAGES {
        index.insert(code.to_string(), code);
        index.insert(name.to_lowercase(), code);
        for other in others {
            // An English name wins over a colliding code ("may" is Malay's ISO 639-2/B
            // code, but nobody writes the month as a language).
            index.entry(other.to_string()).or_insert(code);
        }
    }
    index
});

/// Only the start of a long text is looked at.
const MAX_BYTES: usize = 20_000;

/// The longest prefix of `text` of at most `max` bytes that ends on a char boundary.
fn prefix(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while end > 0 && !text.is_char_boundary(end) {
        end -= 1;
    }
    text.get(..end).unwrap_or("")
}

/// Letters per script, plus the letters that tell related languages apart.
#[derive(Debug, Default)]
struct ScriptCounts {
    letters: usize,
    words: usize,
    latin: usize,
    cyrillic: usize,
    /// і ї є ґ
    ukrainian: usize,
    /// ы э ъ ё
    russian: usize,
    /// ђ ћ џ љ њ ј
    serbian: usize,
    han: usize,
    kana: usize,
    hangul: usize,
    arabic: usize,
    /// پ چ ژ گ ی ک
    persian: usize,
    /// ٹ ڈ ڑ ں ے
    urdu: usize,
    hebrew: usize,
    greek: usize,
    georgian: usize,
    armenian: usize,
    devanagari: usize,
    bengali: usize,
    tamil: usize,
    thai: usize,
    lao: usize,
    khmer: usize,
    myanmar: usize,
    ethiopic: usize,
}

impl ScriptCounts {
    fn of(text: &str) -> ScriptCounts {
        let mut s = ScriptCounts::default();
        let mut in_word = false;
        for c in text.chars() {
            if !c.is_alphabetic() {
                in_word = false;
                continue;
            }
            s.letters += 1;
            let unspaced = s.count(c);
            // Scripts written without spaces: every character counts as a word.
            if unspaced || !in_word {
                s.words += 1;
            }
            in_word = true;
        }
        s
    }

    /// Counts one letter; true for scripts written without spaces between words.
    fn count(&mut self, c: char) -> bool {
        let u = u32::from(c);
        match u {
            0..=0x024F | 0x1E00..=0x1EFF => self.latin += 1,
            0x0370..=0x03FF | 0x1F00..=0x1FFF => self.greek += 1,
            0x0400..=0x052F => {
                self.cyrillic += 1;
                match c {
                    'і' | 'ї' | 'є' | 'ґ' | 'І' | 'Ї' | 'Є' | 'Ґ' => self.ukrainian += 1,
                    'ы' | 'э' | 'ъ' | 'ё' | 'Ы' | 'Э' | 'Ъ' | 'Ё' => self.russian += 1,
                    'ђ' | 'ћ' | 'џ' | 'љ' | 'њ' | 'ј' | 'Ђ' | 'Ћ' | 'Џ' | 'Љ' | 'Њ' | 'Ј' => {
                        self.serbian += 1;
                    }
                    _ => {}
                }
            }
            0x0530..=0x058F => self.armenian += 1,
            0x0590..=0x05FF => self.hebrew += 1,
            0x0600..=0x06FF | 0x0750..=0x077F | 0xFB50..=0xFDFF | 0xFE70..=0xFEFF => {
                self.arabic += 1;
                match c {
                    'پ' | 'چ' | 'ژ' | 'گ' | 'ی' | 'ک' => self.persian += 1,
                    'ٹ' | 'ڈ' | 'ڑ' | 'ں' | 'ے' => self.urdu += 1,
                    _ => {}
                }
            }
            0x0900..=0x097F => self.devanagari += 1,
            0x0980..=0x09FF => self.bengali += 1,
            0x0B80..=0x0BFF => self.tamil += 1,
            0x0E00..=0x0E7F => {
                self.thai += 1;
                return true;
            }
            0x0E80..=0x0EFF => {
                self.lao += 1;
                return true;
            }
            0x1000..=0x109F => {
                self.myanmar += 1;
                return true;
            }
            0x10A0..=0x10FF | 0x1C90..=0x1CBF | 0x2D00..=0x2D2F => self.georgian += 1,
            0x1100..=0x11FF | 0x3130..=0x318F | 0xAC00..=0xD7AF => self.hangul += 1,
            0x1200..=0x139F => self.ethiopic += 1,
            0x1780..=0x17FF => {
                self.khmer += 1;
                return true;
            }
            0x3040..=0x30FF | 0x31F0..=0x31FF | 0xFF66..=0xFF9F => {
                self.kana += 1;
                return true;
            }
            0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FFFF => {
                self.han += 1;
                return true;
            }
            _ => {}
        }
        false
    }

    /// The language a non-Latin script gives, when that script is at least a fifth of
    /// the letters (so an HTML page's markup or a few quoted words do not decide).
    fn by_script(&self) -> Option<&'static str> {
        let cjk = self.han + self.kana;
        let scripts = [
            (self.cyrillic, "cyrillic"),
            (cjk, "cjk"),
            (self.hangul, "ko"),
            (self.arabic, "arabic"),
            (self.hebrew, "he"),
            (self.greek, "el"),
            (self.georgian, "ka"),
            (self.armenian, "hy"),
            (self.devanagari, "hi"),
            (self.bengali, "bn"),
            (self.tamil, "ta"),
            (self.thai, "th"),
            (self.lao, "lo"),
            (self.khmer, "km"),
            (self.myanmar, "my"),
            (self.ethiopic, "am"),
        ];
        let &(count, script) = scripts.iter().max_by_key(|s| s.0)?;
        if count < 3 || count * 5 < self.letters {
            return None;
        }
        Some(match script {
            "cyrillic" if self.ukrainian > self.russian => "uk",
            "cyrillic" if self.serbian > self.russian => "sr",
            "cyrillic" => "ru",
            // Japanese mixes kanji with kana; Chinese has no kana.
            "cjk" if self.kana * 10 >= cjk => "ja",
            "cjk" => "zh",
            "arabic" if self.urdu * 50 >= self.arabic && self.urdu > 0 => "ur",
            "arabic" if self.persian * 25 >= self.arabic && self.persian > 0 => "fa",
            "arabic" => "ar",
            other => other,
        })
    }
}

/// Latin-script languages told apart by function words.
const STOPWORDS: &[(&str, &[&str])] = &[
    (
        "en",
        &[
            "the", "of", "and", "to", "in", "is", "that", "it", "for", "was", "on", "with", "as", "be", "by", "this",
            "are", "not", "have", "has", "had", "which", "from", "at", "or", "but", "were", "will", "would", "an",
            "they", "their", "there", "been", "we", "he", "his", "she", "her", "you", "our", "should", "these",
            "those", "what", "who", "its", "than", "about", "into", "can", "also", "more", "if",
        ],
    ),
    (
        "de",
        &[
            "der", "die", "das", "und", "ist", "nicht", "ein", "eine", "einen", "einem", "einer", "eines", "des",
            "dem", "den", "mit", "von", "zu", "zum", "zur", "sich", "auf", "für", "im", "auch", "es", "sie", "wir",
            "ich", "dass", "daß", "wird", "werden", "wurde", "sind", "war", "bei", "aus", "nach", "wie", "noch",
            "oder", "aber", "nur", "hat", "haben", "um", "über", "vor", "kann", "diese", "dieser", "dieses", "man",
            "schon", "sehr", "wenn", "uns", "ihre", "hier", "als", "in", "herr", "frau", "bitte", "nun", "doch",
            "jetzt", "damit", "sowie", "wurden", "gibt", "durch", "gegen", "keine",
        ],
    ),
    (
        "fr",
        &[
            "le", "la", "les", "de", "des", "du", "et", "est", "un", "une", "dans", "que", "qui", "pour", "pas", "sur",
            "au", "aux", "avec", "ce", "cette", "ces", "il", "elle", "nous", "vous", "ils", "sont", "été", "par", "ne",
            "se", "son", "sa", "ses", "mais", "ou", "plus", "leur", "être", "à", "l'", "d'", "qu'", "n'", "c'", "j'",
            "s'", "était", "aussi", "comme", "tout", "très", "y", "en", "on", "je", "avait", "même", "fait", "où",
        ],
    ),
    (
        "es",
        &[
            "el",
            "la",
            "los",
            "las",
            "de",
            "del",
            "y",
            "que",
            "en",
            "un",
            "una",
            "es",
            "por",
            "con",
            "no",
            "para",
            "se",
            "su",
            "sus",
            "al",
            "lo",
            "como",
            "más",
            "pero",
            "este",
            "esta",
            "estos",
            "ha",
            "han",
            "fue",
            "son",
            "muy",
            "también",
            "sobre",
            "hay",
            "entre",
            "cuando",
            "porque",
            "ya",
            "sin",
            "yo",
            "nos",
            "le",
            "les",
            "todo",
            "está",
            "ser",
            "eso",
            "esto",
            "señor",
            "señora",
            "usted",
            "ustedes",
            "hemos",
            "desde",
            "hasta",
            "donde",
            "qué",
            "él",
            "ni",
            "o",
            "mucho",
            "todos",
            "muchas",
            "señorías",
            "nosotros",
            "vamos",
            "sí",
            "ese",
            "esa",
            "hace",
            "tiene",
            "puede",
            "estamos",
            "están",
            "nada",
            "nadie",
            "sino",
            "aquí",
            "ahora",
            "después",
            "entonces",
            "hoy",
        ],
    ),
    (
        "it",
        &[
            "il", "lo", "la", "i", "gli", "le", "di", "del", "della", "dei", "delle", "dello", "e", "è", "che", "un",
            "una", "uno", "per", "non", "con", "sono", "da", "dal", "nel", "nella", "si", "come", "ma", "più", "anche",
            "questo", "questa", "essere", "ha", "hanno", "al", "alla", "sul", "sulla", "degli", "cui", "molto", "ci",
            "ne", "l'", "dell'", "all'", "nell'", "un'", "in", "a", "stato", "era", "io", "noi", "perché", "quando",
        ],
    ),
    (
        "pt",
        &[
            "o", "a", "os", "as", "de", "do", "da", "dos", "das", "e", "é", "que", "em", "um", "uma", "para", "com",
            "não", "no", "na", "nos", "nas", "por", "se", "ao", "aos", "mais", "como", "mas", "foi", "são", "ser",
            "também", "muito", "pelo", "pela", "seu", "sua", "isso", "este", "esta", "está", "já", "ou", "eu", "você",
            "há", "pelos", "pelas", "à", "às", "num", "numa", "essa", "esse", "quando", "ele", "ela", "eles",
        ],
    ),
    (
        "gl",
        &[
            "o",
            "a",
            "os",
            "as",
            "de",
            "do",
            "da",
            "dos",
            "das",
            "e",
            "é",
            "que",
            "en",
            "un",
            "unha",
            "para",
            "con",
            "non",
            "no",
            "na",
            "nos",
            "nas",
            "por",
            "se",
            "ao",
            "aos",
            "máis",
            "como",
            "pero",
            "foi",
            "son",
            "ser",
            "tamén",
            "moi",
            "polo",
            "pola",
            "polos",
            "polas",
            "seu",
            "súa",
            "iso",
            "isto",
            "este",
            "esta",
            "está",
            "xa",
            "ou",
            "eu",
            "hai",
            "coa",
            "co",
            "cos",
            "coas",
            "dun",
            "dunha",
            "nun",
            "nunha",
            "cun",
            "cunha",
            "grazas",
            "lles",
            "lle",
            "porque",
            "sobre",
            "entre",
            "aquí",
            "agora",
            "vostede",
            "vostedes",
            "ten",
            "teñen",
            "mesmo",
            "todo",
            "desta",
            "deste",
            "estas",
            "estes",
            "á",
            "ás",
            "cando",
            "sen",
            "ata",
            "dende",
            "despois",
            "aínda",
            "nin",
            "unhas",
            "señor",
            "señora",
            "señorías",
            "vai",
            "van",
            "pode",
            "temos",
            "facer",
            "moito",
            "moita",
            "moitos",
            "moitas",
            "ningún",
            "ningunha",
            "algunha",
            "porén",
            "onde",
            "entón",
            "tampouco",
            "mais",
        ],
    ),
    (
        "ca",
        &[
            "el",
            "la",
            "els",
            "les",
            "de",
            "del",
            "dels",
            "i",
            "que",
            "en",
            "un",
            "una",
            "és",
            "per",
            "amb",
            "no",
            "als",
            "al",
            "es",
            "se",
            "són",
            "com",
            "més",
            "però",
            "aquest",
            "aquesta",
            "aquests",
            "aquestes",
            "ha",
            "han",
            "va",
            "van",
            "fer",
            "molt",
            "també",
            "hi",
            "ho",
            "ja",
            "perquè",
            "sobre",
            "entre",
            "seu",
            "seva",
            "seus",
            "l'",
            "d'",
            "s'",
            "n'",
            "m'",
            "tot",
            "tots",
            "pel",
            "pels",
            "li",
            "ens",
            "us",
            "això",
            "quan",
            "sense",
            "fins",
            "on",
            "dir",
            "senyor",
            "senyora",
            "senyors",
            "senyores",
            "nostre",
            "nostra",
            "doncs",
            "ara",
            "hem",
            "heu",
            "aquí",
            "què",
            "qui",
            "avui",
            "gràcies",
            "hagut",
            "estat",
            "ni",
            "sí",
            "està",
            "estan",
            "fa",
            "té",
            "tenen",
            "cal",
            "fet",
            "així",
            "nosaltres",
            "vostès",
            "des",
        ],
    ),
    (
        "pl",
        &[
            "i", "w", "na", "z", "się", "nie", "jest", "to", "że", "do", "o", "a", "jak", "ale", "po", "co", "tak",
            "za", "od", "przez", "dla", "jego", "jej", "są", "był", "była", "było", "być", "oraz", "tym", "ten", "ta",
            "tego", "które", "który", "która", "już", "tylko", "może", "bardzo", "także", "przy", "ze", "we", "czy",
            "pan", "pani", "panie", "ich", "tej", "jako", "można", "będzie", "został",
        ],
    ),
    (
        "hu",
        &[
            "a", "az", "és", "hogy", "nem", "is", "egy", "ez", "meg", "de", "van", "volt", "csak", "már", "mint",
            "még", "el", "ki", "be", "fel", "azt", "ezt", "vagy", "pedig", "mert", "kell", "lesz", "nagyon", "minden",
            "ha", "akkor", "után", "között", "szerint", "amely", "ami", "aki", "sem", "úgy", "itt", "ott", "nincs",
            "vannak", "lett", "ezért", "azonban", "amit",
        ],
    ),
    (
        "cs",
        &[
            "a", "v", "se", "na", "je", "že", "s", "z", "do", "o", "to", "k", "i", "ve", "jako", "ale", "by", "pro",
            "za", "po", "od", "jsou", "jsem", "byl", "byla", "bylo", "být", "které", "který", "která", "také", "jeho",
            "jen", "už", "tak", "při", "podle", "mezi", "proto", "však", "což", "nebo", "této", "tento", "toto",
            "jsme", "není", "jak", "bude", "může", "když", "již", "ze",
        ],
    ),
    (
        "sk",
        &[
            "a", "v", "sa", "na", "je", "že", "s", "z", "do", "o", "to", "k", "i", "vo", "ako", "ale", "by", "pre",
            "za", "po", "od", "sú", "som", "bol", "bola", "bolo", "byť", "ktoré", "ktorý", "ktorá", "tiež", "jeho",
            "len", "už", "tak", "pri", "podľa", "medzi", "preto", "však", "čo", "alebo", "tejto", "tento", "toto",
            "sme", "aj", "ešte", "nie", "pán", "veľmi", "keď", "ktorí", "bude", "môže", "zo",
        ],
    ),
    (
        "nl",
        &[
            "de", "het", "een", "en", "van", "in", "is", "dat", "op", "te", "zijn", "voor", "met", "die", "niet",
            "aan", "er", "om", "ook", "als", "bij", "maar", "door", "over", "uit", "naar", "dan", "wordt", "werd",
            "nog", "wel", "geen", "zo", "hij", "ze", "wij", "we", "deze", "dit", "kan", "worden", "heeft", "hebben",
            "meer", "tot", "ik", "u",
        ],
    ),
    (
        "tr",
        &[
            "ve",
            "bir",
            "bu",
            "da",
            "de",
            "için",
            "ile",
            "çok",
            "daha",
            "olarak",
            "gibi",
            "en",
            "ne",
            "o",
            "var",
            "yok",
            "ama",
            "değil",
            "kadar",
            "sonra",
            "olan",
            "ki",
            "mi",
            "mı",
            "her",
            "şey",
            "ben",
            "biz",
            "siz",
            "onlar",
            "bunu",
            "şu",
            "diye",
            "ise",
            "veya",
            "hem",
            "göre",
            "olduğu",
            "sayın",
            "arkadaşlar",
            "bütün",
            "bizim",
            "ilgili",
            "çünkü",
            "bunun",
            "ya",
            "yani",
        ],
    ),
];

/// Function word → bit set of the [`STOPWORDS`] languages that use it.
static STOPWORD_INDEX: LazyLock<HashMap<&'static str, u32>> = LazyLock::new(|| {
    let mut index: HashMap<&'static str, u32> = HashMap::new();
    for (i, (_, words)) in STOPWORDS.iter().enumerate() {
        for word in words.iter() {
            *index.entry(word).or_insert(0) |= 1 << i;
        }
    }
    index
});

/// Letters that only some of the [`STOPWORDS`] languages use, with a weight and the
/// languages; each occurrence adds the weight, shared among them.
const LETTERS: &[(char, f64, &[&str])] = &[
    ('ı', 0.3, &["tr"]),
    ('ğ', 0.3, &["tr"]),
    ('ş', 0.3, &["tr"]),
    ('ł', 0.3, &["pl"]),
    ('ą', 0.3, &["pl"]),
    ('ę', 0.3, &["pl"]),
    ('ś', 0.3, &["pl"]),
    ('ź', 0.3, &["pl"]),
    ('ż', 0.3, &["pl"]),
    ('ő', 0.3, &["hu"]),
    ('ű', 0.3, &["hu"]),
    ('ř', 0.3, &["cs"]),
    ('ě', 0.3, &["cs"]),
    ('ů', 0.3, &["cs"]),
    ('ľ', 0.3, &["sk"]),
    ('ď', 0.3, &["cs", "sk"]),
    ('ť', 0.3, &["cs", "sk"]),
    ('ň', 0.3, &["cs", "sk"]),
    ('ô', 0.3, &["sk", "fr", "pt"]),
    ('ĺ', 0.3, &["sk"]),
    ('ŕ', 0.3, &["sk"]),
    ('ß', 0.3, &["de"]),
    ('ä', 0.3, &["de", "sk"]),
    ('ö', 0.3, &["de", "hu", "tr"]),
    ('ü', 0.3, &["de", "hu", "tr"]),
    ('ñ', 0.3, &["es", "gl"]),
    ('ã', 0.3, &["pt"]),
    ('õ', 0.3, &["pt"]),
    ('ç', 0.3, &["fr", "pt", "ca", "tr"]),
    ('œ', 0.3, &["fr"]),
    ('ê', 0.3, &["fr", "pt"]),
    ('è', 0.3, &["fr", "ca", "it"]),
    ('ò', 0.3, &["ca", "it"]),
    ('·', 0.3, &["ca"]),
    // Galician writes x where Spanish and Portuguese mostly do not (xunta, xaneiro).
    ('x', 0.15, &["gl"]),
];

/// A Latin-script language wins with at least this weighted count of function words…
const MIN_SCORE: f64 = 1.5;
/// …and this many times the runner-up's.
const MIN_LEAD: f64 = 1.25;

/// Adds `weight` to the languages of the bit set `langs`, shared among them: a word
/// several languages use counts for each of them in part.
fn add(scores: &mut [f64], langs: u32, weight: f64) {
    let share = weight / f64::from(langs.count_ones().max(1));
    for (i, score) in scores.iter_mut().enumerate() {
        if langs & (1 << i) != 0 {
            *score += share;
        }
    }
}

/// Letter → bit set of the [`STOPWORDS`] languages that use it.
static LETTER_INDEX: LazyLock<HashMap<char, (f64, u32)>> =
    LazyLock::new(|| LETTERS.iter().map(|&(c, weight, langs)| (c, (weight, language_bits(langs)))).collect());

fn language_bits(codes: &[&str]) -> u32 {
    STOPWORDS.iter().enumerate().filter(|(_, (code, _))| codes.contains(code)).fold(0, |bits, (i, _)| bits | 1 << i)
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '’' | 'ʼ')
}

/// A token split at its apostrophes, the parts before one keeping a plain "'":
/// "l’onzena" → "l'", "onzena"; "committee's" → "committee'", "s" (so an English
/// possessive is not the Catalan or French elided "s'").
fn elisions(token: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut rest = token;
    while let Some(i) = rest.find(is_apostrophe) {
        let (head, tail) = rest.split_at(i);
        if !head.is_empty() {
            parts.push(format!("{head}'"));
        }
        let skip = tail.chars().next().map_or(1, char::len_utf8);
        rest = tail.get(skip..).unwrap_or("");
    }
    if !rest.is_empty() {
        parts.push(rest.to_string());
    }
    parts
}

fn by_stopwords(text: &str) -> Option<&'static str> {
    let lower = text.to_lowercase();
    let mut scores = [0.0f64; STOPWORDS.len()];
    for c in lower.chars() {
        let Some(&(weight, langs)) = LETTER_INDEX.get(&c) else {
            continue;
        };
        add(&mut scores, langs, weight);
    }
    for token in lower.split(|c: char| !c.is_alphabetic() && !is_apostrophe(c)) {
        for word in elisions(token) {
            let Some(&langs) = STOPWORD_INDEX.get(word.as_str()) else {
                continue;
            };
            add(&mut scores, langs, 1.0);
        }
    }
    let mut ranked: Vec<(f64, usize)> = scores.iter().copied().zip(0..).collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
    let (best, index) = *ranked.first()?;
    let second = ranked.get(1).map_or(0.0, |r| r.0);
    if best < MIN_SCORE || best < second * MIN_LEAD {
        return None;
    }
    STOPWORDS.get(index).map(|l| l.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use regex::Regex;
    use std::path::PathBuf;

    #[test]
    fn names_to_codes() {
        let cases = [
            ("Russian", "ru"),
            ("russian", "ru"),
            ("RUSSIAN", "ru"),
            ("ru", "ru"),
            ("rus", "ru"),
            ("English", "en"),
            ("eng", "en"),
            ("German", "de"),
            ("deu", "de"),
            ("ger", "de"),
            ("French", "fr"),
            ("fra", "fr"),
            ("fre", "fr"),
            ("Chinese", "zh"),
            ("Mandarin", "zh"),
            ("zho", "zh"),
            ("chi", "zh"),
            ("Hungarian", "hu"),
            ("hun", "hu"),
            ("Polish", "pl"),
            ("pol", "pl"),
            ("Czech", "cs"),
            ("Slovak", "sk"),
            ("Romanian", "ro"),
            ("Bulgarian", "bg"),
            ("Serbian", "sr"),
            ("Croatian", "hr"),
            ("Serbo-Croatian", "sh"),
            ("Ukrainian", "uk"),
            ("Belarusian", "be"),
            ("Japanese", "ja"),
            ("Korean", "ko"),
            ("Vietnamese", "vi"),
            ("Spanish", "es"),
            ("Portuguese", "pt"),
            ("Italian", "it"),
            ("Arabic", "ar"),
            ("Persian", "fa"),
            ("Farsi", "fa"),
            ("Hebrew", "he"),
            ("Turkish", "tr"),
            ("Mongolian", "mn"),
            ("Albanian", "sq"),
            ("Greek", "el"),
            ("Finnish", "fi"),
            ("Swedish", "sv"),
            ("Norwegian", "no"),
            ("Danish", "da"),
            ("Dutch", "nl"),
            ("Hindi", "hi"),
            ("Urdu", "ur"),
            ("Indonesian", "id"),
            ("Khmer", "km"),
            ("Lao", "lo"),
            ("Thai", "th"),
            ("Burmese", "my"),
            ("Georgian", "ka"),
            ("Armenian", "hy"),
            ("Azerbaijani", "az"),
            ("Kazakh", "kk"),
            ("Uzbek", "uz"),
            ("Estonian", "et"),
            ("Latvian", "lv"),
            ("Lithuanian", "lt"),
            ("Slovenian", "sl"),
            ("Slovene", "sl"),
            ("Macedonian", "mk"),
            ("Galician", "gl"),
            ("Catalan", "ca"),
            ("Basque", "eu"),
            ("Irish", "ga"),
            ("Welsh", "cy"),
            ("Afrikaans", "af"),
            ("Swahili", "sw"),
            ("Amharic", "am"),
            ("Tamil", "ta"),
            ("Bengali", "bn"),
            ("Deutsch", "de"),
            ("Русский", "ru"),
            ("русский", "ru"),
            ("Français", "fr"),
            ("Español", "es"),
            ("  German ", "de"),
            ("Malay", "ms"),
        ];
        for (name, code) in cases {
            assert_eq!(language_code(name), Some(code), "{name}");
        }
    }

    #[test]
    fn unknown_names() {
        for name in ["", "  ", "Klingon", "xx", "Russia", "r", "English language of"] {
            assert_eq!(language_code(name), None, "{name}");
        }
    }

    #[test]
    fn codes_to_names() {
        assert_eq!(language_name("ru"), Some("Russian"));
        assert_eq!(language_name("RU"), Some("Russian"));
        assert_eq!(language_name("de"), Some("German"));
        assert_eq!(language_name("ger"), Some("German"));
        assert_eq!(language_name("sh"), Some("Serbo-Croatian"));
        assert_eq!(language_name("fa"), Some("Persian"));
        assert_eq!(language_name("zz"), None);
    }

    #[test]
    fn every_language_round_trips() {
        assert!(LANGUAGES.len() >= 60);
        for &(code, name, _) in LANGUAGES {
            assert_eq!(code.len(), 2, "{code}");
            assert_eq!(language_code(name), Some(code), "{name}");
            assert_eq!(language_code(code), Some(code), "{code}");
            assert_eq!(language_name(code), Some(name), "{code}");
        }
    }

    #[test]
    fn albanian_is_listed() {
        assert_eq!(language_code("sqi"), Some("sq"));
        assert_eq!(language_code("alb"), Some("sq"));
    }

    #[test]
    fn sentences() {
        assert_eq!(
            detect_language(
                "The Presidium decides to promulgate a declaration on Hungary in which Soviet withdrawal and relations with the new government will be addressed."
            ),
            Some("en")
        );
        assert_eq!(
            detect_language(
                "Der Bundeskanzler begrüßt den Präsidenten und erklärt, dass die Beziehungen zwischen beiden Ländern sich in den letzten Jahren sehr gut entwickelt haben."
            ),
            Some("de")
        );
        assert_eq!(
            detect_language(
                "Президиум ЦК постановляет опубликовать декларацию о Венгрии, в которой будет сказано о выводе советских войск."
            ),
            Some("ru")
        );
        assert_eq!(
            detect_language(
                "Президія ЦК вирішила оприлюднити декларацію щодо Угорщини, в якій ідеться про виведення радянських військ і відносини з новим урядом."
            ),
            Some("uk")
        );
        assert_eq!(
            detect_language(
                "Le gouvernement français a décidé de reconnaître le nouveau gouvernement, mais il ne veut pas que la situation se dégrade."
            ),
            Some("fr")
        );
        assert_eq!(
            detect_language(
                "El gobierno de España ha decidido que no es posible aceptar la propuesta de los países del Este."
            ),
            Some("es")
        );
        assert_eq!(detect_language("毛泽东主席会见了苏联大使，双方就两国关系交换了意见。"), Some("zh"));
        assert_eq!(detect_language("これは日本語の文章です。外務省の記録によると、会談は東京で行われた。"), Some("ja"));
        assert_eq!(detect_language("대한민국 정부는 새로운 협정을 체결하기로 결정했다."), Some("ko"));
        assert_eq!(detect_language("ذهب الوزير إلى القاهرة لمناقشة العلاقات بين البلدين"), Some("ar"));
        assert_eq!(detect_language("ראש הממשלה נפגש עם שר החוץ בירושלים"), Some("he"));
        assert_eq!(detect_language("Η κυβέρνηση αποφάσισε να αναγνωρίσει τη νέα κατάσταση"), Some("el"));
        assert_eq!(detect_language("საქართველოს მთავრობამ მიიღო გადაწყვეტილება"), Some("ka"));
    }

    #[test]
    fn too_little_to_say() {
        assert_eq!(detect_language(""), None);
        assert_eq!(detect_language("Hungary"), None);
        assert_eq!(detect_language("the Presidium"), None);
        assert_eq!(detect_language("1956 1957 1958 — 12, 13."), None);
        assert_eq!(detect_language("Khrushchev Molotov Zhukov Malenkov Bulganin Kaganovich"), None);
    }

    #[test]
    fn long_text_only_reads_the_start() {
        let russian = "Президиум ЦК постановляет опубликовать декларацию о Венгрии. ".repeat(1000);
        let text = format!("{russian}{}", "The Presidium decides to act. ".repeat(10_000));
        assert_eq!(detect_language(&text), Some("ru"));
        // A cut inside a multi-byte letter does not panic.
        let text = format!("a{}", "ж".repeat(20_000));
        assert_eq!(detect_language(&text), None);
        assert_eq!(prefix("aжb", 2), "a");
    }

    fn corpus(rel: &str) -> Option<PathBuf> {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora").join(rel);
        if path.exists() {
            Some(path)
        } else {
            eprintln!("skipping: {} is not available", path.display());
            None
        }
    }

    /// (language attribute or "", text) of every `<seg>` of a ParlaMint file.
    fn segments(path: &PathBuf) -> Vec<(String, String)> {
        let xml = std::fs::read_to_string(path).unwrap_or_default();
        let seg = Regex::new(r#"<seg\b([^>]*)>([^<]*)"#).expect("regex");
        let lang = Regex::new(r#"xml:lang="([a-z]+)""#).expect("regex");
        seg.captures_iter(&xml)
            .map(|c| {
                let l = lang.captures(&c[1]).map(|l| l[1].to_string()).unwrap_or_default();
                let text = c[2].replace("&amp;", "&").replace("&quot;", "\"").replace("&apos;", "'");
                (l, text)
            })
            .collect()
    }

    /// (right, wrong, total) over the segments of at least `min_words` words: right when
    /// detected as `expected` (or the segment's own `xml:lang`), wrong when detected as
    /// another language (no answer is neither).
    fn accuracy(dir: &str, files: &[&str], expected: Option<&str>, min_words: usize) -> Option<(usize, usize, usize)> {
        let (mut right, mut wrong, mut total) = (0, 0, 0);
        for file in files {
            let path = corpus(&format!("{dir}/{file}"))?;
            let segs = segments(&path);
            // The whole sitting is one language (for ES-CT: its Catalan part).
            let whole: String = segs
                .iter()
                .filter(|(lang, _)| expected.is_some() || lang == "ca")
                .map(|(_, text)| format!("{text}\n"))
                .collect();
            assert_eq!(detect_language(&whole), Some(expected.unwrap_or("ca")), "{file}");
            for (lang, text) in segs {
                if text.split_whitespace().count() < min_words {
                    continue;
                }
                let want = expected.unwrap_or(lang.as_str());
                total += 1;
                match detect_language(&text) {
                    Some(got) if got == want => right += 1,
                    Some(_) => wrong += 1,
                    None => {}
                }
            }
        }
        Some((right, wrong, total))
    }

    fn assert_accuracy(result: Option<(usize, usize, usize)>, min_right: f64, max_wrong: f64, what: &str) {
        let Some((right, wrong, total)) = result else { return };
        assert!(total >= 20, "{what}: only {total} segments");
        let (r, w) = (right as f64 / total as f64, wrong as f64 / total as f64);
        assert!(r >= min_right, "{what}: {right}/{total} right = {r:.3}");
        assert!(w <= max_wrong, "{what}: {wrong}/{total} wrong = {w:.3}");
    }

    #[test]
    fn wilson_transcript_is_russian() {
        let Some(path) = corpus("wilson-center/digitalarchive-api/transcript.json") else { return };
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap_or_default()).unwrap_or_default();
        let raw = json["raw"].as_str().unwrap_or_default();
        assert!(raw.len() > 1000);
        // The raw field is HTML with inline CSS: markup letters do not outvote the text.
        assert_eq!(detect_language(raw), Some("ru"));
    }

    #[test]
    fn parlamint_austria_is_german() {
        let files = [
            "ParlaMint-AT_2015-07-17-025-XXV-NRSITZ-00088.xml",
            "ParlaMint-AT_2020-11-19-027-XXVII-NRSITZ-00063.xml",
            "ParlaMint-AT_2022-10-04-027-XXVII-NRSITZ-00176.xml",
        ];
        assert_accuracy(accuracy("parlamint/ParlaMint-AT", &files, Some("de"), 15), 0.97, 0.01, "AT");
    }

    #[test]
    fn parlamint_turkey_is_turkish() {
        let files = ["ParlaMint-TR_T27-tbmm-2018-07-07.xml", "ParlaMint-TR_T27-tbmm-2020-05-27.xml"];
        assert_accuracy(accuracy("parlamint/ParlaMint-TR", &files, Some("tr"), 15), 0.97, 0.01, "TR");
    }

    #[test]
    fn parlamint_galicia_is_galician() {
        let files = [
            "ParlaMint-ES-GA_2015-01-26-DSPGDP007.xml",
            "ParlaMint-ES-GA_2015-01-27-DSPG095.xml",
            "ParlaMint-ES-GA_2015-06-22-DSPG114.xml",
            "ParlaMint-ES-GA_2015-07-23-DSPGDP008.xml",
            "ParlaMint-ES-GA_2019-06-25-DSPG120.xml",
            "ParlaMint-ES-GA_2020-08-07-DSPG001.xml",
            "ParlaMint-ES-GA_2021-12-19-DSPG062.xml",
        ];
        // Galician speeches quote Spanish; those segments count as wrong here.
        assert_accuracy(accuracy("parlamint/ParlaMint-ES-GA", &files, Some("gl"), 15), 0.9, 0.03, "ES-GA");
    }

    #[test]
    fn parlamint_catalonia_follows_the_seg_language() {
        // Segments carry xml:lang "ca" or "es" (a few Catalan ones are labelled "es").
        let files = ["ParlaMint-ES-CT_2015-11-09-0301.xml", "ParlaMint-ES-CT_2015-11-12-0303.xml"];
        assert_accuracy(accuracy("parlamint/ParlaMint-ES-CT", &files, None, 15), 0.95, 0.04, "ES-CT");
    }

    #[test]
    fn parlamint_slovakia_is_slovak() {
        let files = ["ParlaMint-SK_2016-02-12-t6m61.xml", "ParlaMint-SK_2019-12-04-t7m54.xml"];
        assert_accuracy(accuracy("parlamint/ParlaMint-SK-light", &files, Some("sk"), 15), 0.85, 0.02, "SK");
    }

    #[test]
    fn parlamint_britain_is_english() {
        let Some(path) = corpus("parlamint/ParlaMint-GB-samples/ParlaMint-GB_2017-09-07-commons.xml") else { return };
        let segs: Vec<String> = segments(&path)
            .into_iter()
            .map(|(_, text)| text)
            .filter(|text| text.split_whitespace().count() >= 8)
            .collect();
        assert!(segs.len() >= 5);
        for text in segs {
            assert_eq!(detect_language(&text), Some("en"), "{text}");
        }
    }

    #[test]
    fn frus_history_paragraphs_are_english() {
        let Some(dir) = corpus("frus/frus-history-documents") else { return };
        let para = Regex::new(r"<p[^>]*>([^<]*)").expect("regex");
        let (mut right, mut wrong, mut total) = (0, 0, 0);
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let xml = std::fs::read_to_string(entry.path()).unwrap_or_default();
            for c in para.captures_iter(&xml) {
                if c[1].split_whitespace().count() < 8 {
                    continue;
                }
                total += 1;
                match detect_language(&c[1]) {
                    Some("en") => right += 1,
                    Some(_) => wrong += 1,
                    None => {}
                }
            }
        }
        assert!(total > 1000, "{total}");
        assert!(right * 100 >= total * 95, "{right}/{total}");
        assert_eq!(wrong, 0);
    }

    #[test]
    fn elided_articles_and_possessives() {
        assert_eq!(elisions("l’onzena"), ["l'", "onzena"]);
        assert_eq!(elisions("committee's"), ["committee'", "s"]);
        assert_eq!(elisions("'"), Vec::<String>::new());
        assert_eq!(elisions("d'l'"), ["d'", "l'"]);
        // "a.m." and "’s" are not Catalan.
        assert_eq!(detect_language("Opening Session - 9:00 a.m. - 12:19 p.m."), None);
        assert_eq!(
            detect_language("The Committee’s report was sent to the Secretary’s office on the same day."),
            Some("en")
        );
        assert_eq!(
            detect_language("Us convido a cantar l'himne nacional de Catalunya, senyores i senyors."),
            Some("ca")
        );
    }

    proptest! {
        #[test]
        fn detect_never_panics(s in "\\PC*") {
            if let Some(code) = detect_language(&s) {
                prop_assert!(language_name(code).is_some());
            }
        }

        #[test]
        fn lookups_never_panic(s in "\\PC{0,30}") {
            if let Some(code) = language_code(&s) {
                prop_assert_eq!(language_code(code), Some(code));
            }
            let _ = language_name(&s);
        }
    }
}
